//! Waiting for a condition that is checked under a lock, with a listener
//! of an `event_listener::Event` as the wake-up: the loop behind
//! `Queue::get`, `Queue::join`, a queue's put, and
//! `watch::Receiver::changed`. Uses `event_listener` only.

use event_listener::Event;

/// Locks with `lock` and hands the guard to `check`, until `check` returns
/// `Ok` with the answer. An `Err` hands the guard back: the listener is
/// made while it is still held, so the change that `check` waits for (made
/// under the same lock, then notified) cannot slip in between the check
/// and the listen.
pub(crate) async fn wait_for<G, R>(
    event: &Event,
    mut lock: impl FnMut() -> G,
    mut check: impl FnMut(G) -> Result<R, G>,
) -> R {
    loop {
        let listener = match check(lock()) {
            Ok(answer) => return answer,
            Err(guard) => {
                let listener = event.listen();
                drop(guard);
                listener
            }
        };
        listener.await;
    }
}

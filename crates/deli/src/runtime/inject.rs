//! The global injection queue — spawns and wakes from outside the workers,
//! and the overflow of full local queues — is a [`Fifo`] of tasks; this
//! file adds what only the runtime does with it at shutdown.

use crate::task::{OwnedTasks, Runnable};

pub(crate) use crate::fifo::Fifo as Inject;

/// Shutdown's last step for a scheduler whose workers have stopped: wake
/// every task still registered (a parked task is in no queue), so each
/// lands in `inject`, and drop what lands there; dropping a future can
/// wake others, so repeat until a round finds nothing. Then close `inject`
/// and drop whatever raced in, so later wakes and starts drop their task
/// rather than queue it where nobody looks.
pub(crate) fn drain_until_quiet(owned: &OwnedTasks, inject: &Inject<Runnable>) {
    loop {
        let wakers = owned.take_all();
        let woke = !wakers.is_empty();
        for waker in wakers {
            waker.wake();
        }
        let mut dropped = false;
        while let Some(task) = inject.pop() {
            drop(task);
            dropped = true;
        }
        if !woke && !dropped {
            break;
        }
    }
    for task in inject.close_and_take() {
        drop(task);
    }
}

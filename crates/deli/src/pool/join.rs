//! `join`: run two closures, possibly in parallel, and return both results.
//!
//! On a pool thread, the second closure is pushed on the thread's deque
//! (where idle threads steal it) and the first runs right away; then the
//! thread takes the second back and runs it too, or — if it was stolen —
//! runs other work until the thief is done. Nothing is allocated: the
//! second half lives on this stack frame, which is why the closures may
//! borrow. From outside the pool, the whole join is queued as one job and
//! the caller blocks. Calls this folder only.

use std::panic::resume_unwind;

use super::job::{SpinLatch, StackJob, Work};
use super::latch::ThreadLatch;
use super::shared::Shared;
use super::worker::WorkerThread;

/// `join` on pool thread `worker` (of the pool the caller asked for).
pub(super) fn join_on_worker<A, B, RA, RB>(worker: &WorkerThread, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let job_b = StackJob::new(b, SpinLatch::new(worker.index, &worker.shared.sleep));
    // SAFETY: `job_b` stays in this frame, and the frame is not left until
    // the reference is popped back below or the job's latch is set: `a` and
    // the work run while waiting cannot unwind (caught), and `AbortOnUnwind`
    // stops the process before any unwind could leave early.
    let job_b_ref = unsafe { job_b.as_job_ref() };
    // SAFETY: as above; this second reference is only compared, never run.
    let job_b_id = unsafe { job_b.as_job_ref() };
    worker.push(job_b_ref);
    // From here until `job_b` is finished or taken back, another thread may
    // hold it: an unwind out of this frame would leave that thread writing
    // into freed stack. Nothing below should unwind (`a`, and all the work
    // run while waiting, run under `catch_unwind`); should something still,
    // abort rather than let the frame go.
    let guard = AbortOnUnwind;

    let result_a = std::panic::catch_unwind(std::panic::AssertUnwindSafe(a));

    let result_b = loop {
        if job_b.latch.core.probe() {
            break job_b.take_result();
        }
        match worker.pop_local() {
            Some(job) if job == job_b_id => break job_b.run_inline(),
            // Work pushed below ours (by an enclosing join) when ours was
            // stolen: run it while the thief works on ours.
            Some(job) => worker.execute(Work::Stack(job)),
            None => {
                worker.wait_until(&job_b.latch);
                break job_b.take_result();
            }
        }
    };
    // Both halves are done; only now may a panic leave this frame.
    std::mem::forget(guard);
    match (result_a, result_b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(payload), _) | (Ok(_), Err(payload)) => resume_unwind(payload),
    }
}

/// Aborts the process if dropped by an unwind (see `join_on_worker`).
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        if std::thread::panicking() {
            std::process::abort();
        }
    }
}

/// Runs `op` on a thread of the pool behind `shared` and blocks the calling
/// (non-pool) thread until it returns. Once the pool is closed, `op` runs
/// here, with no pool thread (`None`).
pub(super) fn run_on_pool<OP, R>(shared: &Shared, op: OP) -> R
where
    OP: FnOnce(Option<&WorkerThread>) -> R + Send,
    R: Send,
{
    let job = StackJob::new(
        || op(WorkerThread::current()),
        ThreadLatch::for_current_thread(),
    );
    // SAFETY: `job` stays in this frame until its latch is set (waited for
    // below) or the pool refused the reference (then nobody else has it).
    let job_ref = unsafe { job.as_job_ref() };
    match shared.push(Work::Stack(job_ref)) {
        Ok(()) => {
            job.latch.wait();
            job.into_value()
        }
        Err(_refused) => match job.run_inline() {
            Ok(value) => value,
            Err(payload) => resume_unwind(payload),
        },
    }
}

/// `join` without a pool thread: one half after the other, both always
/// run, the first panic propagated after both.
pub(super) fn join_here<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB,
{
    let result_a = std::panic::catch_unwind(std::panic::AssertUnwindSafe(a));
    let result_b = std::panic::catch_unwind(std::panic::AssertUnwindSafe(b));
    match (result_a, result_b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(payload), _) | (Ok(_), Err(payload)) => resume_unwind(payload),
    }
}

//! Issue 19, point 3: `spawn_local` for futures that are not `Send`,
//! `Handle::current()` and `Runtime::enter()`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use deli::{Handle, JobError, LocalSet, Runtime};

#[test]
fn local_tasks_hold_rc_across_awaits_on_a_current_thread_runtime() {
    let runtime = Runtime::builder().current_thread().build().unwrap();
    let local = LocalSet::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let seen = log.clone();
    local.block_on(&runtime, async move {
        let mut tickets = Vec::new();
        for n in 0..4u64 {
            let log = seen.clone();
            tickets.push(deli::spawn_local(async move {
                // A RefCell borrow would not be allowed across an await in
                // a Send task; an Rc alone makes the future !Send.
                deli::sleep(Duration::from_millis(5 * (4 - n))).await;
                log.borrow_mut().push(n);
                n
            }));
        }
        let mut total = 0;
        for ticket in tickets {
            total += ticket.await.unwrap();
        }
        assert_eq!(total, 6);
    });
    let mut order = log.borrow().clone();
    order.sort_unstable();
    assert_eq!(order, [0, 1, 2, 3]);
}

#[test]
fn local_tasks_are_woken_from_other_threads_and_run_on_a_multi_thread_runtime() {
    let runtime = Runtime::builder().workers(2).build().unwrap();
    let pool = deli::ThreadPool::new(1).unwrap();
    let local = LocalSet::new();
    let here = std::thread::current().id();
    let answer = local.block_on(&runtime, async {
        let counter = Rc::new(RefCell::new(0));
        let mine = counter.clone();
        let job = pool.submit(|| {
            std::thread::sleep(Duration::from_millis(10));
            41
        });
        let ticket = deli::spawn_local(async move {
            // Woken by the pool's thread; polled here.
            let value = job.await.unwrap();
            assert_eq!(std::thread::current().id(), here);
            *mine.borrow_mut() += value;
            // A Send task spawned from a local one still goes to the workers.
            deli::spawn(async { 1 }).await.unwrap()
        });
        let one = ticket.await.unwrap();
        let value = *counter.borrow();
        value + one
    });
    assert_eq!(answer, 42);
}

#[test]
fn dropping_the_set_drops_unfinished_local_tasks_on_its_thread() {
    struct OnDrop(Rc<RefCell<bool>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            *self.0.borrow_mut() = true;
        }
    }
    let runtime = Runtime::builder().current_thread().build().unwrap();
    let local = LocalSet::new();
    let dropped = Rc::new(RefCell::new(false));
    let guard = OnDrop(dropped.clone());
    let stuck = local.spawn_local(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    let queued = local.spawn_local(async { 1 });
    // Run once so `stuck` is waiting; then drop the set with it.
    local.block_on(&runtime, async { deli::yield_now().await });
    assert_eq!(queued.wait_blocking(), Ok(1));
    assert_eq!(local.len(), 1);
    drop(local);
    assert!(*dropped.borrow());
    assert_eq!(stuck.wait_blocking(), Err(JobError::Shutdown));
}

#[test]
fn spawn_local_outside_a_set_fails_its_ticket_without_panicking() {
    assert_eq!(
        deli::spawn_local(async { 1 }).wait_blocking(),
        Err(JobError::NoRuntime)
    );
}

#[test]
fn handle_current_is_the_runtime_inside_and_panics_outside() {
    assert!(Handle::try_current().is_none());
    let outside = std::panic::catch_unwind(Handle::current);
    assert!(outside.is_err());
    let runtime = Runtime::builder().workers(1).build().unwrap();
    let handle = runtime.block_on(async { deli::spawn(async { Handle::current() }).await });
    let handle = handle.unwrap();
    assert_eq!(handle.spawn(async { 3 }).wait_blocking(), Ok(3));
}

#[test]
fn enter_lets_a_plain_thread_spawn_until_the_guard_drops() {
    let runtime = Runtime::builder().workers(1).build().unwrap();
    let other = Runtime::builder().current_thread().build().unwrap();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            assert_eq!(
                deli::spawn(async {}).wait_blocking(),
                Err(JobError::NoRuntime)
            );
            {
                let _guard = runtime.enter();
                assert_eq!(deli::spawn(async { 5 }).wait_blocking(), Ok(5));
                // Timers work too: the runtime's driver is current.
                let slept = deli::spawn(deli::sleep(Duration::from_millis(1)));
                assert_eq!(slept.wait_blocking(), Ok(()));
                {
                    let _inner = other.enter();
                    assert!(format!("{:?}", Handle::current()).contains("current-thread"));
                }
                assert!(format!("{:?}", Handle::current()).contains("multi-thread"));
            }
            assert!(Handle::try_current().is_none());
            assert_eq!(
                deli::spawn(async {}).wait_blocking(),
                Err(JobError::NoRuntime)
            );
        });
    });
}

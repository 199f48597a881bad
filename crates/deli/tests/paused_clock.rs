//! The paused test clock: `#[deli::test(start_paused = true)]`,
//! `Builder::start_paused`, `deli::time::{pause, resume, advance, Instant}`,
//! and auto-advance (time jumps to the next timer only when nothing can
//! run: no task ready, no I/O ready).
//!
//! Every test runs its runtime on a thread of its own under a real-time
//! bound, so that a clock that fails to advance fails the test instead of
//! hanging it for an hour.

use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use deli::time::{ClockError, Instant};

const HOUR: Duration = Duration::from_secs(3600);
/// Far more than any of these tests needs on a loaded machine; they take
/// milliseconds when the clock works, and an hour of real time when not.
const REAL_BOUND: Duration = Duration::from_secs(30);

/// Runs `future` on a new current-thread runtime started paused, on its own
/// thread; panics if it has not finished within `REAL_BOUND` of real time.
fn run_paused<F, T>(future: F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = deli::Runtime::builder()
            .current_thread()
            .start_paused(true)
            .build()
            .expect("runtime");
        let _ = done_tx.send(runtime.block_on(future));
    });
    done_rx
        .recv_timeout(REAL_BOUND)
        .expect("the paused clock let the test finish in real time")
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[deli::test(start_paused = true)]
async fn an_hour_long_timeout_takes_no_real_time() {
    let real = std::time::Instant::now();
    let start = Instant::now();
    let result = deli::timeout(HOUR, std::future::pending::<()>()).await;
    assert!(result.is_err(), "the timeout fired");
    assert!(start.elapsed() >= HOUR, "an hour passed on the clock");
    assert!(start.elapsed() < HOUR + ms(2), "and no more than that");
    assert!(
        real.elapsed() < Duration::from_secs(5),
        "{:?}",
        real.elapsed()
    );
}

#[test]
fn interval_ticks_under_paused_time() {
    let ticks = run_paused(async {
        let start = Instant::now();
        let mut interval = deli::interval(Duration::from_secs(60));
        let mut seen = Vec::new();
        for _ in 0..5 {
            interval.tick().await;
            seen.push(start.elapsed());
        }
        seen
    });
    for (n, at) in ticks.iter().enumerate() {
        let due = Duration::from_secs(60) * n as u32;
        // A paused clock stands on a whole millisecond, so ticks are exact.
        assert_eq!(*at, due, "tick {n}");
    }
}

#[test]
fn advance_fires_timers_in_deadline_order_and_no_more() {
    let (order, later) = run_paused(async {
        let order = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let mut tickets = Vec::new();
        for delay in [30u64, 10, 20, 40] {
            let order = order.clone();
            tickets.push(deli::spawn(async move {
                deli::sleep(ms(delay)).await;
                order.lock().unwrap().push((delay, start.elapsed()));
            }));
        }
        // Let every task register its timer, then move time by hand. The
        // main future stays runnable, so auto-advance never kicks in.
        deli::yield_now().await;
        deli::time::advance(ms(25)).await.unwrap();
        let first = order.lock().unwrap().clone();
        deli::time::advance(ms(10)).await.unwrap();
        assert_eq!(start.elapsed(), ms(35));
        let later = order.lock().unwrap().clone();
        for ticket in tickets {
            ticket.await.unwrap(); // the 40 ms one by auto-advance
        }
        (first, later)
    });
    let delays: Vec<u64> = order.iter().map(|(d, _)| *d).collect();
    assert_eq!(delays, [10, 20], "only the due timers, in deadline order");
    for (delay, at) in &order {
        assert_eq!(*at, ms(*delay), "each task sees the clock at its deadline");
    }
    let delays: Vec<u64> = later.iter().map(|(d, _)| *d).collect();
    assert_eq!(delays, [10, 20, 30]);
}

#[test]
fn no_jump_while_a_task_is_runnable() {
    let seen = run_paused(async {
        let spins = Arc::new(AtomicUsize::new(0));
        let counter = spins.clone();
        let spinner = deli::spawn(async move {
            for _ in 0..2_000 {
                counter.fetch_add(1, Ordering::SeqCst);
                deli::yield_now().await;
            }
        });
        let start = Instant::now();
        deli::sleep(ms(1)).await;
        let seen = (spins.load(Ordering::SeqCst), start.elapsed());
        spinner.await.unwrap();
        seen
    });
    assert_eq!(seen.0, 2_000, "the clock waited until the spinner was done");
    assert_eq!(seen.1, ms(1));
}

#[test]
fn no_jump_while_io_is_ready() {
    let (read, waited) = run_paused(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut writer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let probe = accepted.try_clone().unwrap();
        let mut reader = deli::net::TcpStream::from_std(accepted).unwrap();
        let start = Instant::now();
        let ticket = deli::spawn(async move {
            let mut buf = [0u8; 16];
            let read = deli::timeout(HOUR, reader.read(&mut buf)).await;
            (
                read.map(|n| n.map(|n| buf[..n].to_vec()).ok()),
                start.elapsed(),
            )
        });
        // The reader polls once and waits for readiness.
        deli::yield_now().await;
        writer.write_all(b"ping").unwrap();
        // Make sure the bytes are in the socket before the runtime idles.
        let mut peek = [0u8; 4];
        let real = std::time::Instant::now();
        while probe.peek(&mut peek).map_or(true, |n| n == 0) {
            assert!(
                real.elapsed() < Duration::from_secs(5),
                "loopback delivered"
            );
            std::thread::yield_now();
        }
        ticket.await.unwrap()
    });
    assert_eq!(read, Ok(Some(b"ping".to_vec())), "I/O won, not the hour");
    assert_eq!(waited, Duration::ZERO, "the clock did not move");
}

#[test]
fn pause_resume_and_advance_say_what_is_wrong() {
    assert_eq!(deli::time::pause(), Err(ClockError::NoRuntime));
    assert_eq!(deli::time::resume(), Err(ClockError::NoRuntime));
    let runtime = deli::Runtime::builder().current_thread().build().unwrap();
    runtime.block_on(async {
        let advanced = deli::time::advance(ms(1)).await;
        assert_eq!(advanced, Err(ClockError::NotPaused));
        assert_eq!(deli::time::resume(), Err(ClockError::NotPaused));
        deli::time::pause().unwrap();
        deli::time::pause().unwrap(); // pausing twice is fine
        let start = Instant::now();
        deli::time::advance(HOUR).await.unwrap();
        assert_eq!(start.elapsed(), HOUR);
        deli::time::resume().unwrap();
        // Running again, from where it stood.
        let resumed = Instant::now();
        deli::sleep(ms(5)).await;
        assert!(resumed.elapsed() >= ms(5));
        assert!(start.elapsed() >= HOUR + ms(5));
    });
    let refused = deli::Runtime::builder()
        .multi_thread()
        .start_paused(true)
        .build();
    assert_eq!(
        refused.err().map(|e| e.kind()),
        Some(std::io::ErrorKind::InvalidInput)
    );
}

#[test]
fn each_runtime_has_its_own_clock() {
    let (paused_tx, paused_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let paused = std::thread::spawn(move || {
        let runtime = deli::Runtime::builder()
            .current_thread()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async move {
            deli::time::advance(HOUR * 24).await.unwrap();
            paused_tx.send(()).unwrap();
            // Stay paused (and a day ahead) while the other runtime runs.
            let _ = go_rx.recv_timeout(REAL_BOUND);
        });
    });
    paused_rx.recv_timeout(REAL_BOUND).unwrap();
    let runtime = deli::Runtime::builder().current_thread().build().unwrap();
    let (on_clock, real) = runtime.block_on(async {
        let real = std::time::Instant::now();
        let start = Instant::now();
        deli::sleep(ms(20)).await;
        (start.elapsed(), real.elapsed())
    });
    go_tx.send(()).unwrap();
    paused.join().unwrap();
    assert!(on_clock >= ms(20), "{on_clock:?}");
    assert!(real >= ms(20), "a running clock's sleep takes real time");
    assert!(on_clock < HOUR, "the other runtime's day did not leak in");
}

#[test]
fn a_multi_thread_runtime_can_be_advanced_by_hand() {
    let runtime = deli::Runtime::builder().workers(2).build().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let elapsed = runtime.block_on(async {
            deli::time::pause().unwrap();
            let start = Instant::now();
            let sleeper = deli::spawn(async move {
                deli::sleep(HOUR).await;
                start.elapsed()
            });
            deli::sleep(ms(0)).await;
            for _ in 0..100 {
                if sleeper.is_done() {
                    break;
                }
                deli::time::advance(HOUR / 4).await.unwrap();
                std::thread::sleep(ms(1));
            }
            sleeper.await.unwrap()
        });
        let _ = tx.send(elapsed);
    });
    let elapsed = rx.recv_timeout(REAL_BOUND).expect("done in real time");
    assert!(elapsed >= HOUR && elapsed < HOUR * 2, "{elapsed:?}");
}

#[test]
fn scope_deadlines_follow_the_paused_clock() {
    let (moved_on, failed, elapsed) = run_paused(async {
        let start = Instant::now();
        let moved_on = deli::move_on_after(HOUR, std::future::pending::<()>()).await;
        let failed = deli::fail_after(2 * HOUR, deli::sleep(3 * HOUR)).await;
        (moved_on, failed.is_err(), Instant::now() - start)
    });
    assert_eq!(moved_on, None);
    assert!(failed, "fail_after should have given Elapsed");
    assert_eq!(elapsed, 3 * HOUR);
}

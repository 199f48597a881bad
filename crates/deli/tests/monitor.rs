//! The monitor: a task that blocks its worker (spins, sleeps the thread)
//! does not stall the runtime. With 2 workers: a ticker keeps ticking past
//! a task spinning forever; both workers blocked at once and work still
//! gets done; a task woken into a blocked worker's fast-path slot still
//! runs; a TCP echo server keeps answering; the report names the right task
//! and spawn location; a well-behaved run starts no extra threads; spares
//! retire after their keep-alive. Also: with no spares allowed the monitor
//! still hands over and reports; the builder refuses absurd settings.
//!
//! The tests take turns (a spinning task holds a core): on a 2-core machine
//! two of them at once would starve each other's runtimes.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{eventually, within, Gate, BOUND};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn two_workers(name: &str) -> deli::Builder {
    deli::Runtime::builder().workers(2).thread_name(name)
}

/// A future that spins on its thread, never yielding, until `stop` is set:
/// "forever" as far as the runtime can tell.
async fn spin_until(stop: Arc<AtomicBool>, spinning: Arc<AtomicUsize>) {
    spinning.fetch_add(1, Ordering::SeqCst);
    while !stop.load(Ordering::Relaxed) {
        std::hint::spin_loop();
    }
}

/// Counts a tick every 10 ms, forever.
async fn tick_every_10ms(ticks: Arc<AtomicUsize>) {
    loop {
        deli::sleep(Duration::from_millis(10)).await;
        ticks.fetch_add(1, Ordering::SeqCst);
    }
}

/// The names of this process's threads that look like `<prefix>-<n>`.
fn worker_threads(prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return names;
    };
    for task in tasks.flatten() {
        let Ok(comm) = std::fs::read_to_string(task.path().join("comm")) else {
            continue;
        };
        let comm = comm.trim();
        let is_worker = comm
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if is_worker {
            names.insert(comm.to_owned());
        }
    }
    names
}

#[test]
fn a_ticker_keeps_ticking_while_a_task_spins_forever() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let runtime = two_workers("tick").build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let spinning = Arc::new(AtomicUsize::new(0));
        let ticks = Arc::new(AtomicUsize::new(0));
        {
            let (stop, spinning, ticks) = (stop.clone(), spinning.clone(), ticks.clone());
            // The spinner is spawned by the ticker, onto the ticker's own
            // worker: the worst place for it.
            runtime.spawn(async move {
                deli::spawn(spin_until(stop, spinning)).detach();
                tick_every_10ms(ticks).await;
            });
        }
        eventually(Duration::from_secs(10), "the spinner runs", || {
            spinning.load(Ordering::SeqCst) == 1
        });
        let before = ticks.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(1));
        let ticked = ticks.load(Ordering::SeqCst) - before;
        stop.store(true, Ordering::Relaxed);
        assert!(ticked >= 50, "only {ticked} ticks in one second");
    });
}

#[test]
fn both_workers_blocked_and_work_still_gets_done() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let runtime = two_workers("both").build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let spinning = Arc::new(AtomicUsize::new(0));
        for _ in 0..2 {
            runtime
                .spawn(spin_until(stop.clone(), spinning.clone()))
                .detach();
        }
        eventually(Duration::from_secs(10), "both workers spin", || {
            spinning.load(Ordering::SeqCst) == 2
        });
        let ticks = Arc::new(AtomicUsize::new(0));
        runtime.spawn(tick_every_10ms(ticks.clone())).detach();
        let mut answer = runtime.spawn(async { 6 * 7 });
        assert_eq!(
            answer.wait_blocking_timeout(Duration::from_secs(10)),
            Ok(42)
        );
        eventually(Duration::from_secs(10), "the ticker ticks", || {
            ticks.load(Ordering::SeqCst) >= 20
        });
        stop.store(true, Ordering::Relaxed);
    });
}

#[test]
fn a_task_woken_into_a_blocked_workers_slot_still_runs() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let runtime = two_workers("slot").build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let gate = Arc::new(Gate::default());
        let waiting = Arc::new(AtomicBool::new(false));
        let mut woken = {
            let (gate, waiting) = (gate.clone(), waiting.clone());
            runtime.spawn(async move {
                waiting.store(true, Ordering::SeqCst);
                gate.wait().await;
            })
        };
        eventually(Duration::from_secs(10), "the waiter waits", || {
            waiting.load(Ordering::SeqCst) && woken.state() == deli::State::Waiting
        });
        {
            let stop = stop.clone();
            runtime.spawn(async move {
                // Woken from inside this task's poll: the waiter goes to
                // this worker's fast-path slot, and this worker then spins.
                gate.open();
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            });
        }
        let result = woken.wait_blocking_timeout(Duration::from_secs(10));
        stop.store(true, Ordering::Relaxed);
        assert_eq!(result, Ok(()));
    });
}

#[test]
fn tcp_echo_keeps_answering_while_a_worker_is_blocked() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let runtime = two_workers("echo").build().unwrap();
        let addr = runtime.block_on(async {
            let listener = deli::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            deli::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    deli::spawn(async move {
                        let mut buf = [0u8; 1024];
                        loop {
                            match stream.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => {
                                    if stream.write_all(&buf[..n]).await.is_err() {
                                        return;
                                    }
                                }
                            }
                        }
                    })
                    .detach();
                }
            })
            .detach();
            addr
        });
        let stop = Arc::new(AtomicBool::new(false));
        let spinning = Arc::new(AtomicUsize::new(0));
        runtime
            .spawn(spin_until(stop.clone(), spinning.clone()))
            .detach();
        eventually(Duration::from_secs(10), "the spinner runs", || {
            spinning.load(Ordering::SeqCst) == 1
        });
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        for round in 0..50u32 {
            let message = format!("ping {round}");
            client.write_all(message.as_bytes()).unwrap();
            let mut answer = vec![0u8; message.len()];
            client.read_exact(&mut answer).unwrap();
            assert_eq!(answer, message.as_bytes());
        }
        stop.store(true, Ordering::Relaxed);
    });
}

#[test]
fn the_report_names_the_blocking_task_and_where_it_was_spawned() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let reports = Arc::new(Mutex::new(Vec::<deli::BlockedTask>::new()));
        let sink = reports.clone();
        let runtime = two_workers("report")
            .monitor(Some(Duration::from_millis(20)))
            .on_blocked(move |report| sink.lock().unwrap().push(report.clone()))
            .build()
            .unwrap();
        let hog = async { std::thread::sleep(Duration::from_millis(300)) };
        let builder = deli::TaskBuilder::new().name("hog");
        let mut ticket = builder.spawn_on(hog, runtime.handle());
        let line = line!() - 1;
        let id = ticket.id();
        assert_eq!(
            ticket.wait_blocking_timeout(Duration::from_secs(10)),
            Ok(())
        );
        let mine = |reports: &[deli::BlockedTask]| -> Vec<deli::BlockedTask> {
            reports.iter().filter(|r| r.id() == id).cloned().collect()
        };
        eventually(
            Duration::from_secs(10),
            "the episode is reported over",
            || {
                mine(&reports.lock().unwrap())
                    .iter()
                    .any(deli::BlockedTask::is_over)
            },
        );
        let mine = mine(&reports.lock().unwrap());
        assert_eq!(mine.len(), 2, "noticed once, over once: {mine:?}");
        for report in &mine {
            assert_eq!(report.name(), Some("hog"));
            assert!(report.spawned_at().file().ends_with("monitor.rs"));
            assert_eq!(report.spawned_at().line(), line);
        }
        assert!(!mine[0].is_over() && mine[1].is_over());
        assert!(mine[0].duration() >= Duration::from_millis(20));
        assert!(mine[1].duration() >= mine[0].duration());
        assert!(mine[1].duration() <= Duration::from_secs(10));
    });
}

#[test]
fn a_well_behaved_run_starts_no_extra_threads() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let reports = Arc::new(AtomicUsize::new(0));
        let counted = reports.clone();
        // A threshold well above any poll here, however busy the machine.
        let runtime = two_workers("calm")
            .monitor(Some(Duration::from_millis(200)))
            .on_blocked(move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let started = Instant::now();
        runtime.block_on(async {
            while started.elapsed() < Duration::from_millis(500) {
                let tickets: Vec<_> = (0..200)
                    .map(|i| {
                        deli::spawn(async move {
                            deli::yield_now().await;
                            if i % 10 == 0 {
                                deli::sleep(Duration::from_millis(1)).await;
                            }
                            i
                        })
                    })
                    .collect();
                for ticket in tickets {
                    ticket.await.unwrap();
                }
            }
        });
        let expected: BTreeSet<String> = ["calm-0", "calm-1"].map(String::from).into();
        assert_eq!(worker_threads("calm"), expected);
        assert_eq!(reports.load(Ordering::SeqCst), 0);
    });
}

/// Pins thread `tid` to CPU 0 and sets its nice value; false if the OS
/// refuses (a restricted container), and the test then skips.
fn pin_to_cpu0_with_nice(tid: libc::pid_t, nice: libc::c_int) -> bool {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes
    // within it; the calls take a thread id and a pointer to that set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
            && libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice) == 0
    }
}

/// A worker the OS keeps off the CPU (pinned, at the lowest priority, next
/// to a spinning thread of normal priority) runs its short polls only now
/// and then: its poll word stands still for many thresholds, exactly as if
/// a poll were blocking. It is not reported, and no spare starts for it.
#[test]
fn a_worker_the_os_does_not_run_is_not_taken_for_blocked() {
    let _turn = one_at_a_time();
    if std::fs::read_dir("/proc/self/task").is_err() {
        eprintln!("skipped: no /proc here to read threads' states from");
        return;
    }
    within(BOUND, || {
        let reports = Arc::new(AtomicUsize::new(0));
        let counted = reports.clone();
        let runtime = deli::Runtime::builder()
            .workers(1)
            .thread_name("starved")
            .monitor(Some(Duration::from_millis(10)))
            .on_blocked(move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let worker = runtime.block_on(async {
            // SAFETY: gettid has no preconditions.
            deli::spawn(async { unsafe { libc::gettid() } })
                .await
                .unwrap()
        });
        let stop = Arc::new(AtomicBool::new(false));
        let hog_ready = Arc::new(AtomicUsize::new(0));
        let hog = {
            let (stop, ready) = (stop.clone(), hog_ready.clone());
            std::thread::spawn(move || {
                // SAFETY: gettid has no preconditions.
                let me = unsafe { libc::gettid() };
                ready.store(
                    if pin_to_cpu0_with_nice(me, 0) { 1 } else { 2 },
                    Ordering::SeqCst,
                );
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        };
        while hog_ready.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        if hog_ready.load(Ordering::SeqCst) == 2 || !pin_to_cpu0_with_nice(worker, 19) {
            stop.store(true, Ordering::SeqCst);
            hog.join().unwrap();
            eprintln!("skipped: cannot pin threads or lower their priority here");
            return;
        }
        let polls = runtime.block_on(async {
            let ticket = deli::spawn(async {
                let started = Instant::now();
                let mut polls = 0u64;
                while started.elapsed() < Duration::from_millis(600) {
                    deli::yield_now().await;
                    polls += 1;
                }
                polls
            });
            ticket.await.unwrap()
        });
        stop.store(true, Ordering::SeqCst);
        hog.join().unwrap();
        assert!(polls > 0);
        assert_eq!(
            reports.load(Ordering::SeqCst),
            0,
            "a starved worker was reported"
        );
        assert_eq!(
            worker_threads("starved"),
            BTreeSet::from(["starved-0".to_owned()]),
            "a spare was started"
        );
    });
}

#[test]
fn spares_retire_after_their_keep_alive() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let noticed = Arc::new(AtomicBool::new(false));
        let flag = noticed.clone();
        let runtime = two_workers("retire")
            .spare_keep_alive(Duration::from_millis(100))
            .on_blocked(move |report| {
                if !report.is_over() {
                    flag.store(true, Ordering::SeqCst);
                }
            })
            .build()
            .unwrap();
        let release = Arc::new(AtomicBool::new(false));
        let mut blocker = {
            let release = release.clone();
            runtime.spawn(async move {
                while !release.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        };
        eventually(Duration::from_secs(10), "the monitor notices", || {
            noticed.load(Ordering::SeqCst)
        });
        eventually(Duration::from_secs(10), "a spare runs", || {
            worker_threads("retire").len() == 3
        });
        release.store(true, Ordering::SeqCst);
        assert_eq!(
            blocker.wait_blocking_timeout(Duration::from_secs(10)),
            Ok(())
        );
        eventually(
            Duration::from_secs(10),
            "back to two worker threads",
            || worker_threads("retire").len() == 2,
        );
        // Still a working runtime with two workers.
        let sum = runtime.block_on(async {
            let a = deli::spawn(async { 1 });
            let b = deli::spawn(async { 2 });
            a.await.unwrap() + b.await.unwrap()
        });
        assert_eq!(sum, 3);
    });
}

#[test]
fn without_spares_the_monitor_still_hands_over_and_reports() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let reported = Arc::new(AtomicUsize::new(0));
        let counted = reported.clone();
        let runtime = two_workers("nospare")
            .max_spare_workers(0)
            .on_blocked(move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let spinning = Arc::new(AtomicUsize::new(0));
        runtime
            .spawn(spin_until(stop.clone(), spinning.clone()))
            .detach();
        eventually(Duration::from_secs(10), "the episode is reported", || {
            reported.load(Ordering::SeqCst) >= 1
        });
        let mut answer = runtime.spawn(async { 6 * 7 });
        assert_eq!(
            answer.wait_blocking_timeout(Duration::from_secs(10)),
            Ok(42)
        );
        assert_eq!(worker_threads("nospare").len(), 2);
        stop.store(true, Ordering::Relaxed);
    });
}

#[test]
fn the_builder_refuses_a_zero_threshold_and_too_many_spares() {
    let zero = deli::Runtime::builder()
        .monitor(Some(Duration::ZERO))
        .build();
    assert_eq!(zero.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    let too_many = deli::Runtime::builder()
        .workers(2)
        .max_spare_workers(usize::MAX)
        .build();
    assert_eq!(
        too_many.unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
    // Without the monitor, spares do not count.
    let quiet = deli::Runtime::builder()
        .workers(2)
        .monitor(None)
        .max_spare_workers(usize::MAX)
        .build();
    assert!(quiet.is_ok());
}

#[test]
fn shutdown_timeout_leaves_a_worker_stuck_in_a_poll_behind() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let runtime = two_workers("stuck").build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let spinning = Arc::new(AtomicUsize::new(0));
        let stuck = runtime.spawn(spin_until(stop.clone(), spinning.clone()));
        let idle = runtime.spawn(std::future::pending::<()>());
        eventually(Duration::from_secs(10), "the spinner runs", || {
            spinning.load(Ordering::SeqCst) == 1
        });
        let start = std::time::Instant::now();
        // The spinner never returns from its poll: the shutdown gives up on
        // its worker after the timeout instead of hanging.
        assert!(!runtime.shutdown_timeout(Duration::from_millis(200)));
        assert!(start.elapsed() < Duration::from_secs(10));
        assert_eq!(idle.wait_blocking(), Err(deli::JobError::Shutdown));
        // Once the poll returns, the task and its worker end on their own.
        stop.store(true, Ordering::Relaxed);
        assert_eq!(stuck.wait_blocking(), Ok(()));
    });
}

#[test]
fn a_task_that_would_wait_after_shutdown_ends_instead_of_hanging() {
    let _turn = one_at_a_time();
    within(BOUND, || {
        let runtime = two_workers("late").build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let spinning = Arc::new(AtomicUsize::new(0));
        let (s, n) = (stop.clone(), spinning.clone());
        // Spins through the shutdown, then waits on something that never
        // comes: nobody is left to wake or drop it.
        let late = runtime.spawn(async move {
            spin_until(s, n).await;
            std::future::pending::<()>().await;
        });
        eventually(Duration::from_secs(10), "the spinner runs", || {
            spinning.load(Ordering::SeqCst) == 1
        });
        assert!(!runtime.shutdown_timeout(Duration::from_millis(100)));
        stop.store(true, Ordering::Relaxed);
        assert_eq!(late.wait_blocking(), Err(deli::JobError::Shutdown));
    });
}

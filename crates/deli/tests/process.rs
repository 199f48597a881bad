//! The process pool under faults: crashes, signals, memory and time limits,
//! cancel, big values, and no child left behind.
//!
//! This file has its own `main` (`harness = false`): a worker child
//! re-executes this test binary, and `deli::process::init()` must turn it
//! into a worker before any test runs. Every wait is bounded.

mod common;

use std::time::{Duration, Instant};

use deli::process::{ProcessError, ProcessPool};
use deli::JobError;

#[deli::job]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[deli::job]
fn worker_pid() -> u32 {
    std::process::id()
}

#[deli::job]
fn parse(text: String) -> Result<u64, std::num::ParseIntError> {
    text.parse()
}

#[deli::job]
fn panics(message: String) -> u8 {
    panic!("{message}")
}

#[deli::job]
fn aborts() {
    std::process::abort()
}

#[deli::job]
fn exits(code: i32) {
    std::process::exit(code)
}

#[deli::job]
fn sleeps(millis: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(millis));
    millis
}

#[deli::job]
fn allocates(bytes: usize) -> usize {
    let block = vec![1u8; bytes];
    std::hint::black_box(&block);
    block.len()
}

#[deli::job]
fn big(bytes: usize) -> Vec<u8> {
    vec![7; bytes]
}

#[deli::job]
fn crashes_sometimes(n: u64) -> u64 {
    if crash_at(n) {
        if n % 2 == 0 {
            std::process::abort();
        }
        std::process::exit(9);
    }
    n * 2
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Order {
    item: String,
    quantity: u32,
    tags: Vec<String>,
}

#[deli::job]
fn restock(order: Order, extra: u32) -> Order {
    Order {
        quantity: order.quantity + extra,
        ..order
    }
}

#[deli::job]
fn env_var(key: String) -> Option<String> {
    std::env::var(key).ok()
}

static MARK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[deli::job]
fn set_mark(value: u64) {
    MARK.store(value, std::sync::atomic::Ordering::SeqCst);
}

#[deli::job]
fn mark() -> u64 {
    MARK.load(std::sync::atomic::Ordering::SeqCst)
}

/// A fixed pseudo-random tenth of the inputs.
fn crash_at(n: u64) -> bool {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 29;
    x.wrapping_mul(0xBF58_476D_1CE4_E5B9) % 10 == 0
}

#[deli::job]
fn command_line() -> Vec<String> {
    std::env::args().skip(1).collect()
}

/// A pool given a program (here this test binary again, which serves the
/// frames as any worker must) runs it with its arguments, and raw jobs
/// travel as name and bytes both ways.
fn a_given_program_serves_raw_jobs() {
    let program = std::env::current_exe().expect("the test binary");
    let pool = ProcessPool::builder()
        .workers(1)
        .program(program, ["given-program-argument"])
        .build()
        .expect("a pool over a given program");
    let raw = pool.submit_raw(
        add.name(),
        postcard::to_stdvec(&(20u64, 22u64)).expect("encoded"),
    );
    let value = wait(raw).expect("a raw value");
    assert_eq!(postcard::from_bytes::<u64>(&value), Ok(42));
    let argv = wait(pool.submit_raw(command_line.name(), Vec::new())).expect("a raw value");
    assert_eq!(
        postcard::from_bytes::<Vec<String>>(&argv),
        Ok(vec!["given-program-argument".to_owned()])
    );
    match wait(pool.submit_raw("no::such::job", Vec::new())) {
        Err(JobError::Remote(text)) => assert!(text.contains("no::such::job"), "{text}"),
        other => panic!("unexpected {other:?}"),
    }
}

/// A raw job's own timeout kills its child; the pool's other jobs and its
/// queue are unaffected; `cancel_queued` fails only what waits.
fn per_job_timeouts_and_cancel_queued() {
    let pool = new_pool(1);
    let nap = |millis: u64| postcard::to_stdvec(&millis).expect("encoded");
    let slow =
        pool.submit_raw_with_timeout(sleeps.name(), nap(60_000), Some(Duration::from_millis(200)));
    let quick = pool.submit_raw_with_timeout(sleeps.name(), nap(1), Some(BOUND));
    assert_eq!(wait(slow), Err(JobError::TimedOut));
    assert!(wait(quick).is_ok());

    let running = pool.submit(sleeps, 300);
    // Most likely in the child by then; the test holds either way.
    std::thread::sleep(Duration::from_millis(100));
    let queued: Vec<_> = (0..3).map(|_| pool.submit(sleeps, 1)).collect();
    let cancelled_now = pool.cancel_queued();
    assert!(cancelled_now >= 3, "the three just queued are cancelled");
    let results: Vec<_> = std::iter::once(running).chain(queued).map(wait).collect();
    let cancelled = results
        .iter()
        .filter(|result| **result == Err(JobError::Cancelled))
        .count();
    assert_eq!(cancelled, cancelled_now, "{results:?}");
    assert!(results
        .iter()
        .all(|result| matches!(result, Ok(_) | Err(JobError::Cancelled))));
    assert_eq!(wait(pool.submit(add, (1, 1))), Ok(2));
}

/// A generous bound for one result on a busy machine.
const BOUND: Duration = Duration::from_secs(20);

fn wait<T>(ticket: deli::Ticket<T>) -> Result<T, JobError> {
    let deadline = Instant::now() + BOUND;
    while !ticket.is_done() {
        assert!(Instant::now() < deadline, "a ticket hung");
        std::thread::sleep(Duration::from_millis(1));
    }
    ticket.wait_blocking()
}

fn new_pool(workers: usize) -> ProcessPool {
    ProcessPool::new(workers).expect("a process pool")
}

/// Children of this process, zombies included.
fn children() -> Vec<u32> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name may hold spaces: fields resume after its ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let ppid = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(me) {
            found.push(pid);
        }
    }
    found
}

fn values_errors_and_map() {
    let pool = new_pool(2);
    assert_eq!(wait(pool.submit(add, (2, 3))), Ok(5));
    match wait(pool.submit(parse, "nope".to_owned())) {
        Err(JobError::Remote(text)) => assert!(text.contains("invalid digit"), "{text}"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(wait(pool.submit(parse, "41".to_owned())), Ok(41));
    let order = Order {
        item: "tea".to_owned(),
        quantity: 2,
        tags: vec!["green".to_owned()],
    };
    let restocked = wait(pool.submit(restock, (order, 3))).unwrap();
    assert_eq!(restocked.quantity, 5);
    assert_eq!(restocked.tags, ["green"]);
    let tickets: Vec<_> = (0..100u64).map(|n| pool.submit(add, (n, 1))).collect();
    let mut total = 0;
    for (_index, result) in deli::as_completed(tickets) {
        total += result.unwrap();
    }
    assert_eq!(total, (1..=100).sum::<u64>());
}

fn a_panic_keeps_the_child_serving() {
    let pool = new_pool(1);
    let before = wait(pool.submit(worker_pid, ())).unwrap();
    assert_eq!(
        wait(pool.submit(panics, "boom".to_owned())),
        Err(JobError::Panicked("boom".into()))
    );
    assert_eq!(wait(pool.submit(worker_pid, ())), Ok(before));
}

fn abort_and_exit_fail_only_their_job() {
    let pool = new_pool(1);
    let first = wait(pool.submit(worker_pid, ())).unwrap();
    match wait(pool.submit(aborts, ())) {
        Err(JobError::WorkerDied(text)) => assert!(text.contains("SIGABRT"), "{text}"),
        other => panic!("unexpected {other:?}"),
    }
    match wait(pool.submit(exits, 3)) {
        Err(JobError::WorkerDied(text)) => assert!(text.contains("status 3"), "{text}"),
        other => panic!("unexpected {other:?}"),
    }
    let replacement = wait(pool.submit(worker_pid, ())).unwrap();
    assert_ne!(first, replacement);
    assert_eq!(wait(pool.submit(add, (1, 1))), Ok(2));
}

fn an_external_sigkill_fails_the_running_job() {
    let pool = new_pool(1);
    let child = wait(pool.submit(worker_pid, ())).unwrap();
    let ticket = pool.submit(sleeps, 30_000);
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: kill has no memory-safety preconditions; `child` is our
    // worker, alive until its driver reaps it after this signal.
    unsafe { libc::kill(child as libc::pid_t, libc::SIGKILL) };
    match wait(ticket) {
        Err(JobError::WorkerDied(text)) => assert!(text.contains("SIGKILL"), "{text}"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(wait(pool.submit(add, (2, 2))), Ok(4));
}

fn an_allocation_past_the_memory_limit_kills_only_its_child() {
    let pool = ProcessPool::builder()
        .workers(1)
        .memory_limit(1 << 30)
        .build()
        .unwrap();
    assert_eq!(wait(pool.submit(allocates, 1 << 20)), Ok(1 << 20));
    match wait(pool.submit(allocates, 4 << 30)) {
        Err(JobError::WorkerDied(_)) => {}
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(wait(pool.submit(allocates, 1 << 20)), Ok(1 << 20));
}

fn a_job_past_its_timeout_is_killed() {
    let pool = ProcessPool::builder()
        .workers(1)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let start = Instant::now();
    assert_eq!(wait(pool.submit(sleeps, 60_000)), Err(JobError::TimedOut));
    assert!(start.elapsed() < BOUND);
    assert_eq!(wait(pool.submit(sleeps, 1)), Ok(1));
}

fn cancel_kills_a_running_job() {
    let pool = new_pool(1);
    let child = wait(pool.submit(worker_pid, ())).unwrap();
    let ticket = pool.submit(sleeps, 60_000);
    let queued = pool.submit(add, (5, 5));
    std::thread::sleep(Duration::from_millis(200));
    ticket.cancel();
    assert_eq!(wait(ticket), Err(JobError::Cancelled));
    // The job behind it still runs, in a replacement child.
    assert_eq!(wait(queued), Ok(10));
    assert_ne!(wait(pool.submit(worker_pid, ())), Ok(child));
}

/// `on_job_start` names each job once, in the order one child runs them,
/// before its ticket is done; a running job is named while it runs, the
/// job queued behind it only once it runs.
fn on_job_start_names_each_job_as_it_starts() {
    use std::sync::{Arc, Mutex};
    let started = Arc::new(Mutex::new(Vec::new()));
    let seen = started.clone();
    let pool = ProcessPool::builder()
        .workers(1)
        .on_job_start(move |id| seen.lock().unwrap().push(id))
        .build()
        .expect("a pool with a start hook");
    let started_ids = || started.lock().unwrap().clone();
    let tickets: Vec<_> = (0..20).map(|n| pool.submit(add, (n, 1))).collect();
    let ids: Vec<_> = tickets.iter().map(|ticket| ticket.id()).collect();
    for (n, ticket) in (0..20).zip(tickets) {
        assert_eq!(wait(ticket), Ok(n + 1));
    }
    assert_eq!(started_ids(), ids);

    let long = pool.submit(sleeps, 60_000);
    let behind = pool.submit(add, (2, 2));
    let (long_id, behind_id) = (long.id(), behind.id());
    let deadline = Instant::now() + BOUND;
    while !started_ids().contains(&long_id) {
        assert!(Instant::now() < deadline, "the long job never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(!long.is_done());
    assert!(!started_ids().contains(&behind_id));
    long.cancel();
    assert_eq!(wait(long), Err(JobError::Cancelled));
    assert_eq!(wait(behind), Ok(4));
    let all = started_ids();
    assert_eq!(all.iter().filter(|id| **id == behind_id).count(), 1);
}

fn cancel_of_a_queued_job_skips_it() {
    let pool = new_pool(1);
    let running = pool.submit(sleeps, 300);
    let queued = pool.submit(sleeps, 60_000);
    queued.cancel();
    assert_eq!(wait(queued), Err(JobError::Cancelled));
    assert_eq!(wait(running), Ok(300));
}

fn a_scope_kills_its_process_children_when_one_fails() {
    let pool = new_pool(2);
    let runtime = deli::Runtime::builder().workers(2).build().unwrap();
    let child = wait(pool.submit(worker_pid, ())).unwrap();
    let start = Instant::now();
    let pool_ref = &pool;
    let (error, long) = runtime.block_on(async {
        let mut long = None;
        let outcome = deli::scope(|s| {
            long = Some(s.submit_job(pool_ref, sleeps, 60_000));
            async move {
                deli::sleep(Duration::from_millis(200)).await;
                s.submit_job(pool_ref, panics, "job failed".to_owned());
            }
        })
        .await;
        (outcome.unwrap_err(), long.unwrap())
    });
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "the long job was killed, not awaited"
    );
    let failure = error.first().unwrap();
    assert_eq!(failure.kind(), deli::scope::ChildKind::Process);
    assert!(
        matches!(
            failure.error().downcast_ref::<JobError>(),
            Some(JobError::Remote(text)) if text.contains("job failed")
        ) || matches!(
            failure.error().downcast_ref::<JobError>(),
            Some(JobError::Panicked(panic)) if panic.message().contains("job failed")
        ),
        "{failure}"
    );
    assert_eq!(error.failures().len(), 1);
    assert_eq!(wait(long), Err(JobError::Cancelled));
    // The pool replaced what it killed and keeps serving.
    assert_eq!(wait(pool.submit(add, (1, 2))), Ok(3));
    let _ = child;
}

fn a_thousand_jobs_with_random_crashes_all_resolve() {
    let pool = new_pool(2);
    let (mut values, mut died) = (0, 0);
    for (index, result) in pool.map(crashes_sometimes, 0..1_000u64).enumerate() {
        match result {
            Ok(value) => {
                assert_eq!(value, index as u64 * 2);
                values += 1;
            }
            Err(JobError::WorkerDied(_)) => died += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    let expected = (0..1_000u64).filter(|&n| crash_at(n)).count();
    assert!(expected > 50 && expected < 150, "{expected}");
    assert_eq!(died, expected);
    assert_eq!(values + died, 1_000);
}

fn a_16_mib_value_arrives_whole() {
    let pool = new_pool(1);
    let value = wait(pool.submit(big, 16 << 20)).unwrap();
    assert_eq!(value.len(), 16 << 20);
    assert!(value.iter().all(|&byte| byte == 7));
}

fn an_oversized_frame_fails_the_worker_not_the_parent() {
    let pool = ProcessPool::builder()
        .workers(1)
        .max_frame_bytes(1024)
        .build()
        .unwrap();
    match wait(pool.submit(big, 4096)) {
        Err(JobError::WorkerDied(text)) => assert!(text.contains("over the limit"), "{text}"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(wait(pool.submit(big, 10)).map(|v| v.len()), Ok(10));
    // Arguments over the limit never leave the parent.
    match wait(pool.submit(env_var, "x".repeat(4096))) {
        Err(JobError::Remote(text)) => assert!(text.contains("over the frame limit"), "{text}"),
        other => panic!("unexpected {other:?}"),
    }
}

fn max_jobs_per_child_replaces_children() {
    let pool = ProcessPool::builder()
        .workers(1)
        .max_jobs_per_child(2)
        .build()
        .unwrap();
    let pids: Vec<u32> = (0..4)
        .map(|_| wait(pool.submit(worker_pid, ())).unwrap())
        .collect();
    assert_eq!(pids[0], pids[1]);
    assert_eq!(pids[2], pids[3]);
    assert_ne!(pids[0], pids[2]);
}

fn initializer_and_env_reach_every_child() {
    let pool = ProcessPool::builder()
        .workers(2)
        .initializer(set_mark, 77)
        .env("DELI_TEST_SETTING", "on")
        .max_jobs_per_child(3)
        .build()
        .unwrap();
    for result in pool.map(mark, std::iter::repeat_n((), 10)) {
        assert_eq!(result, Ok(77));
    }
    assert_eq!(
        wait(pool.submit(env_var, "DELI_TEST_SETTING".to_owned())),
        Ok(Some("on".to_owned()))
    );
}

fn shutdown_finishes_the_queue_and_terminate_fails_it() {
    let pool = new_pool(1);
    let tickets: Vec<_> = [50, 50, 50].map(|ms| pool.submit(sleeps, ms)).into();
    pool.shutdown(true, false);
    for ticket in tickets {
        assert_eq!(wait(ticket), Ok(50));
    }

    let doomed = new_pool(1);
    let running = doomed.submit(sleeps, 60_000);
    let queued = doomed.submit(sleeps, 60_000);
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    doomed.terminate();
    assert!(start.elapsed() < BOUND);
    assert_eq!(wait(running), Err(JobError::Shutdown));
    assert_eq!(wait(queued), Err(JobError::Shutdown));
}

/// Issue 19: the process pool has the thread pool's shape — `new` refuses
/// 0 with `NoWorkers`, `shutdown(wait, cancel_pending)` on `&self`, and a
/// drop that finishes the queue (it used to fail it).
fn pools_share_new_shutdown_and_drop() {
    assert!(matches!(ProcessPool::new(0), Err(ProcessError::NoWorkers)));
    assert!(matches!(
        deli::ThreadPool::new(0),
        Err(deli::pool::ThreadPoolError::NoWorkers)
    ));

    // Dropping runs the queue, like a thread pool's drop.
    let pool = new_pool(1);
    let tickets: Vec<_> = [30, 30].map(|ms| pool.submit(sleeps, ms)).into();
    drop(pool);
    for ticket in tickets {
        assert_eq!(wait(ticket), Ok(30));
    }

    // shutdown(wait: false, cancel_pending: true): the running job
    // finishes, the queued one is cancelled, the call does not wait.
    for cancel_pending in [true, false] {
        let (started, has_started) = std::sync::mpsc::channel();
        let pool = ProcessPool::builder()
            .workers(1)
            .on_job_start(move |id| {
                let _ = started.send(id);
            })
            .build()
            .unwrap();
        let running = pool.submit(sleeps, 1_000);
        assert_eq!(has_started.recv_timeout(BOUND), Ok(running.id()));
        let queued = pool.submit(sleeps, 10);
        pool.shutdown(false, cancel_pending);
        assert!(!running.is_done(), "shutdown(false, _) waited");
        assert_eq!(wait(pool.submit(sleeps, 1)), Err(JobError::Shutdown));
        pool.shutdown(true, cancel_pending);
        assert_eq!(wait(running), Ok(1_000));
        let expected = if cancel_pending {
            Err(JobError::Cancelled)
        } else {
            Ok(10)
        };
        assert_eq!(wait(queued), expected);

        let threads = deli::ThreadPool::new(1).unwrap();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started, has_started) = std::sync::mpsc::channel::<()>();
        let running = threads.submit(move || {
            let _ = started.send(());
            hold.recv().is_ok()
        });
        has_started.recv().unwrap();
        let queued = threads.submit(|| 10);
        threads.shutdown(false, cancel_pending);
        release.send(()).unwrap();
        threads.shutdown(true, cancel_pending);
        assert_eq!(running.wait_blocking(), Ok(true));
        let expected = if cancel_pending {
            Err(JobError::Cancelled)
        } else {
            Ok(10)
        };
        assert_eq!(queued.wait_blocking(), expected);
    }
}

/// A fork of the parent made after the children started holds copies of
/// their request pipes, so closing the parent's ends is no end of file for
/// them: a graceful shutdown still ends (the idle children are killed after
/// a grace period) instead of waiting for them forever.
fn shutdown_ends_while_a_fork_holds_the_pipes() {
    let pool = new_pool(1);
    assert_eq!(wait(pool.submit(add, (1, 2))), Ok(3));
    // SAFETY: the forked child calls only async-signal-safe functions
    // (sleep, _exit) before it ends.
    let holder = unsafe { libc::fork() };
    assert!(holder >= 0, "fork failed");
    if holder == 0 {
        // SAFETY: as above.
        unsafe {
            libc::sleep(60);
            libc::_exit(0);
        }
    }
    let (done, ended) = std::sync::mpsc::channel();
    let shutdown = std::thread::spawn(move || {
        pool.shutdown(true, false);
        let _ = done.send(());
    });
    let outcome = ended.recv_timeout(BOUND);
    // SAFETY: `holder` is this process's child, not yet reaped.
    unsafe {
        libc::kill(holder, libc::SIGKILL);
        libc::waitpid(holder, std::ptr::null_mut(), 0);
    }
    assert!(outcome.is_ok(), "the shutdown hung");
    shutdown.join().expect("the shutdown thread");
}

fn no_child_and_no_zombie_remains_after_drop() {
    let pool = new_pool(2);
    for result in pool.map(crashes_sometimes, 0..50u64) {
        let _ = result;
    }
    assert!(!children().is_empty());
    drop(pool);
    assert_eq!(children(), Vec::<u32>::new());
}

fn children_die_with_their_parent() {
    let exe = std::env::current_exe().unwrap();
    let mut parent = std::process::Command::new(exe)
        .env("DELI_TEST_ROLE", "parent")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let stdout = parent.stdout.take().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let pids: Vec<u32> = line
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2, "{line}");
    parent.kill().unwrap();
    parent.wait().unwrap();
    let deadline = Instant::now() + BOUND;
    while pids
        .iter()
        .any(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
    {
        assert!(Instant::now() < deadline, "children outlived their parent");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `parent` role of `children_die_with_their_parent`: prints its
/// workers' pids and waits to be killed.
fn act_as_parent() -> ! {
    let pool = new_pool(2);
    let mut pids: Vec<u32> = Vec::new();
    let deadline = Instant::now() + BOUND;
    while pids.len() < 2 && Instant::now() < deadline {
        pids = children();
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "{}",
        pids.iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    std::thread::sleep(BOUND);
    drop(pool);
    std::process::exit(1)
}

fn building_twice_and_bad_settings() {
    assert!(matches!(ProcessPool::new(0), Err(ProcessError::NoWorkers)));
    let a = new_pool(1);
    let b = new_pool(1);
    assert_eq!(wait(a.submit(add, (1, 2))), Ok(3));
    assert_eq!(wait(b.submit(add, (3, 4))), Ok(7));
}

/// Process jobs traced: each run is on its child's lane (the child's pid),
/// from Running to Terminated, recorded by the parent; a job that fails its
/// child ends there too. The Chrome JSON gives each child a pid of its own.
fn process_jobs_are_traced_on_their_childs_lane() {
    let pool = new_pool(2);
    deli::trace::start();
    let tickets: Vec<_> = (0..6).map(|_| pool.submit(worker_pid, ())).collect();
    let ids: Vec<_> = tickets.iter().map(deli::Ticket::id).collect();
    let pids: Vec<u32> = tickets.into_iter().map(|t| wait(t).unwrap()).collect();
    let crash = pool.submit(aborts, ());
    let crash_id = crash.id();
    assert!(matches!(wait(crash), Err(JobError::WorkerDied(_))));
    let trace = deli::trace::stop();

    use deli::trace::{JobKind, Lane};
    for (&id, &pid) in ids.iter().zip(&pids) {
        let events: Vec<_> = trace.events().iter().filter(|e| e.task == id).collect();
        let states: Vec<_> = events.iter().map(|e| e.state).collect();
        assert_eq!(
            states,
            [
                deli::State::New,
                deli::State::Ready,
                deli::State::Running,
                deli::State::Terminated
            ],
            "{events:?}"
        );
        assert!(events.iter().all(|e| e.kind == JobKind::Process));
        assert_eq!(events[2].lane, Lane::Process { pid });
        assert_eq!(events[3].lane, Lane::Process { pid });
        assert!(trace.lanes().contains(&Lane::Process { pid }));
    }
    let crash_end = trace
        .events()
        .iter()
        .find(|e| e.task == crash_id && e.state == deli::State::Terminated)
        .expect("the crashed job ends");
    assert!(matches!(crash_end.lane, Lane::Process { .. }));

    let json: serde_json::Value = serde_json::from_str(&trace.to_chrome_json()).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    for &pid in &pids {
        let has = |ph: &str, name: &str, tid: u64, label: String| {
            events.iter().any(|e| {
                e["ph"] == ph
                    && e["name"] == name
                    && e["pid"] == pid
                    && e["tid"] == tid
                    && e["args"]["name"] == label.as_str()
            })
        };
        assert!(has(
            "M",
            "process_name",
            0,
            format!("deli worker process {pid}")
        ));
        assert!(has("M", "thread_name", 1, format!("process {pid}")));
        assert!(events.iter().any(|e| e["ph"] == "X"
            && e["cat"] == "process"
            && e["pid"] == pid
            && e["tid"] == 1
            && e["dur"].as_f64().is_some_and(|d| d >= 0.0)));
    }
}

type Test = (&'static str, fn());

const TESTS: &[Test] = &[
    ("values_errors_and_map", values_errors_and_map),
    (
        "a_panic_keeps_the_child_serving",
        a_panic_keeps_the_child_serving,
    ),
    (
        "abort_and_exit_fail_only_their_job",
        abort_and_exit_fail_only_their_job,
    ),
    (
        "an_external_sigkill_fails_the_running_job",
        an_external_sigkill_fails_the_running_job,
    ),
    (
        "an_allocation_past_the_memory_limit_kills_only_its_child",
        an_allocation_past_the_memory_limit_kills_only_its_child,
    ),
    (
        "a_job_past_its_timeout_is_killed",
        a_job_past_its_timeout_is_killed,
    ),
    ("cancel_kills_a_running_job", cancel_kills_a_running_job),
    (
        "on_job_start_names_each_job_as_it_starts",
        on_job_start_names_each_job_as_it_starts,
    ),
    (
        "cancel_of_a_queued_job_skips_it",
        cancel_of_a_queued_job_skips_it,
    ),
    (
        "a_scope_kills_its_process_children_when_one_fails",
        a_scope_kills_its_process_children_when_one_fails,
    ),
    (
        "a_thousand_jobs_with_random_crashes_all_resolve",
        a_thousand_jobs_with_random_crashes_all_resolve,
    ),
    ("a_16_mib_value_arrives_whole", a_16_mib_value_arrives_whole),
    (
        "an_oversized_frame_fails_the_worker_not_the_parent",
        an_oversized_frame_fails_the_worker_not_the_parent,
    ),
    (
        "max_jobs_per_child_replaces_children",
        max_jobs_per_child_replaces_children,
    ),
    (
        "initializer_and_env_reach_every_child",
        initializer_and_env_reach_every_child,
    ),
    (
        "shutdown_finishes_the_queue_and_terminate_fails_it",
        shutdown_finishes_the_queue_and_terminate_fails_it,
    ),
    (
        "pools_share_new_shutdown_and_drop",
        pools_share_new_shutdown_and_drop,
    ),
    (
        "shutdown_ends_while_a_fork_holds_the_pipes",
        shutdown_ends_while_a_fork_holds_the_pipes,
    ),
    (
        "children_die_with_their_parent",
        children_die_with_their_parent,
    ),
    (
        "building_twice_and_bad_settings",
        building_twice_and_bad_settings,
    ),
    (
        "process_jobs_are_traced_on_their_childs_lane",
        process_jobs_are_traced_on_their_childs_lane,
    ),
    (
        "a_given_program_serves_raw_jobs",
        a_given_program_serves_raw_jobs,
    ),
    (
        "per_job_timeouts_and_cancel_queued",
        per_job_timeouts_and_cancel_queued,
    ),
    // Last: it checks that every earlier pool left nothing behind too.
    (
        "no_child_and_no_zombie_remains_after_drop",
        no_child_and_no_zombie_remains_after_drop,
    ),
];

fn main() {
    deli::process::init();
    if std::env::var_os("DELI_TEST_ROLE").is_some() {
        act_as_parent();
    }
    let failed = common::run_tests(TESTS, |test| test());
    common::exit_if_failed(&failed);
}

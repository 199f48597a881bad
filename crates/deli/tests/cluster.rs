//! deli::cluster against a real `redis-server` on loopback: worker
//! processes standing for machines (this binary re-executed), one killed
//! mid-run; retries, timeouts, cancels, crashes, reconnects, Redis going
//! away, job names nobody serves, and scopes.
//!
//! Redis: `DELI_TEST_REDIS_URL` when set (scripts/test-cluster.sh starts
//! one), else a `redis-server` this test starts on a free port with no
//! persistence; without either the tests say so and pass (cargo test
//! --workspace runs them on machines without Redis too). Each test uses a
//! namespace of its own.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deli::cluster::{ClusterError, ClusterPool, ServeOptions, Worker};
use deli::JobError;

/// Generous: the machine is shared with other builds.
const LONG: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------- jobs

#[deli::job]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// Sleeps, then answers with the pid of the worker that ran it.
#[deli::job]
fn nap(millis: u64) -> u32 {
    std::thread::sleep(Duration::from_millis(millis));
    worker_pid()
}

/// Leaves `DIR/started-TAG` saying "CHILD_PID WORKER_PID", sleeps, and
/// answers with the worker's pid.
#[deli::job]
fn nap_marked(dir: String, tag: u64, millis: u64) -> u32 {
    let marker = Path::new(&dir).join(format!("started-{tag}"));
    let text = format!("{} {}", std::process::id(), worker_pid());
    // One marker per start; a job run again overwrites it.
    let _ = std::fs::write(marker, text);
    std::thread::sleep(Duration::from_millis(millis));
    worker_pid()
}

/// Kills the worker process running it, as a machine dying would.
#[deli::job]
fn kill_own_worker() {
    // SAFETY: kill(2) on our parent, the worker process; no memory involved.
    unsafe {
        libc::kill(libc::getppid(), libc::SIGKILL);
    }
    std::thread::sleep(Duration::from_secs(30));
}

#[deli::job]
fn crash() {
    std::process::abort();
}

#[deli::job]
fn fail(text: String) -> Result<(), String> {
    Err(text)
}

fn worker_pid() -> u32 {
    // SAFETY: getppid has no preconditions.
    unsafe { libc::getppid() as u32 }
}

// --------------------------------------------------------------- redis

struct Redis {
    url: String,
    port: u16,
    server: Option<Child>,
    dir: PathBuf,
}

fn redis_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "deli-cluster-test-{}-{name}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

impl Redis {
    /// A redis-server of this test's own, on `port`.
    fn start_on(port: u16, dir: PathBuf) -> Option<Redis> {
        let binary = redis_binary()?;
        let server = Command::new(binary)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = Redis {
            url: format!("redis://127.0.0.1:{port}/0"),
            port,
            server: Some(server),
            dir,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < LONG, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }

    fn start_own() -> Option<Redis> {
        Redis::start_on(free_port(), temp_dir("redis"))
    }

    /// The shared server of the test script, or one of our own.
    fn shared() -> Option<Redis> {
        match std::env::var("DELI_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(Redis {
                url,
                port: 0,
                server: None,
                dir: PathBuf::new(),
            }),
            _ => Redis::start_own(),
        }
    }

    fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

// -------------------------------------------------------------- workers

fn namespace(test: &str) -> String {
    format!("t{}-{test}", std::process::id())
}

/// A worker process: this binary, re-executed.
fn worker_process(url: &str, namespace: &str, concurrency: usize, claim: Duration) -> Child {
    Command::new(std::env::current_exe().expect("the test binary"))
        .env("DELI_CLUSTER_TEST_WORKER", url)
        .env("DELI_CLUSTER_TEST_NAMESPACE", namespace)
        .env("DELI_CLUSTER_TEST_CONCURRENCY", concurrency.to_string())
        .env("DELI_CLUSTER_TEST_CLAIM_MS", claim.as_millis().to_string())
        .stdout(Stdio::null())
        .spawn()
        .expect("a worker process")
}

fn act_as_worker(url: &str) -> ! {
    let number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    let options = ServeOptions::default()
        .namespace(std::env::var("DELI_CLUSTER_TEST_NAMESPACE").unwrap_or_default())
        .concurrency(number("DELI_CLUSTER_TEST_CONCURRENCY", 2) as usize)
        .claim_timeout(Duration::from_millis(number(
            "DELI_CLUSTER_TEST_CLAIM_MS",
            1500,
        )));
    match deli::cluster::serve(url, options) {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("worker: {error}");
            std::process::exit(2)
        }
    }
}

fn in_process_worker(url: &str, namespace: &str, concurrency: usize) -> Worker {
    let options = ServeOptions::default()
        .namespace(namespace)
        .concurrency(concurrency)
        .claim_timeout(Duration::from_secs(2));
    Worker::start(url, options).expect("an in-process worker")
}

struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for(what: &str, bound: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < bound, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// "CHILD_PID WORKER_PID" from a job's start marker.
fn marker(dir: &Path, tag: u64) -> Option<(i32, i32)> {
    let text = std::fs::read_to_string(dir.join(format!("started-{tag}"))).ok()?;
    let mut parts = text.split(' ').map(|part| part.parse().ok());
    Some((parts.next()??, parts.next()??))
}

fn is_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

// ---------------------------------------------------------------- tests

fn three_workers_one_killed_mid_run(redis: &Redis) {
    let ns = namespace("killed");
    let dir = temp_dir("killed");
    let claim = Duration::from_millis(1500);
    let mut workers = Workers(
        (0..3)
            .map(|_| worker_process(&redis.url, &ns, 2, claim))
            .collect(),
    );
    let pool = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .max_retries(3)
        .build()
        .unwrap();
    let jobs = 24u64;
    let dir_text = dir.to_string_lossy().into_owned();
    let tickets: Vec<_> = (0..jobs)
        .map(|tag| pool.submit(nap_marked, (dir_text.clone(), tag, 400)))
        .collect();
    // Kill the first worker seen running a job.
    let victim_pid = workers.0[0].id() as i32;
    wait_for("the victim to start a job", LONG, || {
        (0..jobs).any(|tag| marker(&dir, tag).is_some_and(|(_, worker)| worker == victim_pid))
    });
    let victim_jobs: Vec<u64> = (0..jobs)
        .filter(|&tag| marker(&dir, tag).is_some_and(|(_, worker)| worker == victim_pid))
        .collect();
    workers.0[0].kill().unwrap();
    workers.0[0].wait().unwrap();

    let mut results = Vec::new();
    for mut ticket in tickets {
        results.push(ticket.wait_blocking_timeout(LONG));
    }
    for (tag, result) in results.iter().enumerate() {
        assert!(result.is_ok(), "job {tag} ended with {result:?}");
    }
    // The victim's running jobs were claimed back and finished elsewhere.
    let survivors = [workers.0[1].id(), workers.0[2].id()];
    let rerun = victim_jobs
        .iter()
        .filter(|&&tag| {
            results[tag as usize]
                .as_ref()
                .is_ok_and(|pid| survivors.contains(pid))
        })
        .count();
    assert!(rerun >= 1, "no job of the killed worker was run again");
    let _ = std::fs::remove_dir_all(&dir);
}

fn retries_run_out_with_worker_died(redis: &Redis) {
    let ns = namespace("retries");
    let workers = Workers(
        (0..3)
            .map(|_| worker_process(&redis.url, &ns, 1, Duration::from_millis(1000)))
            .collect(),
    );
    let pool = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .max_retries(1)
        .build()
        .unwrap();
    let mut ticket = pool.submit(kill_own_worker, ());
    match ticket.wait_blocking_timeout(LONG) {
        Err(JobError::WorkerDied(reason)) => {
            assert!(reason.contains("died 2 times"), "{reason}")
        }
        other => panic!("expected WorkerDied, got {other:?}"),
    }
    drop(workers);
}

fn timeout_kills_the_job_and_the_worker_goes_on(redis: &Redis) {
    let ns = namespace("timeout");
    let worker = in_process_worker(&redis.url, &ns, 1);
    let pool = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let mut ticket = pool.submit(nap, 20_000);
    assert_eq!(ticket.wait_blocking_timeout(LONG), Err(JobError::TimedOut));
    assert!(started.elapsed() < Duration::from_secs(15));
    let mut next = pool.submit(add, (2, 3));
    assert_eq!(next.wait_blocking_timeout(LONG), Ok(5));
    worker.stop();
}

fn cancel_reaches_the_worker_and_kills_the_child(redis: &Redis) {
    let ns = namespace("cancel");
    let dir = temp_dir("cancel");
    let worker = in_process_worker(&redis.url, &ns, 1);
    let pool = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .build()
        .unwrap();
    let ticket = pool.submit(nap_marked, (dir.to_string_lossy().into_owned(), 1, 30_000));
    wait_for("the job to start", LONG, || marker(&dir, 1).is_some());
    let (child, _) = marker(&dir, 1).unwrap();
    assert!(is_alive(child));
    ticket.cancel();
    assert_eq!(ticket.wait_blocking(), Err(JobError::Cancelled));
    wait_for("the job's child to be killed", LONG, || !is_alive(child));
    // The worker serves on with a fresh child.
    assert_eq!(pool.submit(add, (1, 1)).wait_blocking_timeout(LONG), Ok(2));
    worker.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

fn a_crashing_job_kills_only_its_child(redis: &Redis) {
    let ns = namespace("crash");
    let worker = in_process_worker(&redis.url, &ns, 1);
    let pool = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .build()
        .unwrap();
    assert!(matches!(
        pool.submit(crash, ()).wait_blocking_timeout(LONG),
        Err(JobError::WorkerDied(_))
    ));
    assert_eq!(
        pool.submit(fail, "no".into()).wait_blocking_timeout(LONG),
        Err(JobError::Remote("no".into()))
    );
    assert_eq!(
        pool.submit(add, (20, 22)).wait_blocking_timeout(LONG),
        Ok(42)
    );
    worker.stop();
}

fn results_survive_a_client_reconnect(redis: &Redis) {
    let ns = namespace("reconnect");
    let worker = in_process_worker(&redis.url, &ns, 1);
    let first = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .build()
        .unwrap();
    let (id, ticket) = first.try_submit(nap, 800).unwrap();
    drop(first);
    assert_eq!(ticket.wait_blocking(), Err(JobError::Shutdown));
    let second = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .build()
        .unwrap();
    let mut attached = second.attach::<u32>(&id);
    assert_eq!(attached.wait_blocking_timeout(LONG), Ok(std::process::id()));
    worker.stop();
}

fn map_as_completed_and_await(redis: &Redis) {
    let ns = namespace("map");
    let worker = in_process_worker(&redis.url, &ns, 2);
    let pool = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .build()
        .unwrap();
    let tickets = pool.map(add, (0..200u64).map(|n| (n, n)));
    let mut seen: Vec<(usize, u64)> = deli::as_completed(tickets)
        .map(|(index, result)| (index, result.unwrap()))
        .collect();
    seen.sort();
    assert_eq!(seen.len(), 200);
    assert!(seen.iter().all(|&(index, value)| value == 2 * index as u64));
    let pool = Arc::new(pool);
    let awaited = deli::run({
        let pool = pool.clone();
        async move { pool.submit(add, (3, 4)).await }
    });
    assert_eq!(awaited, Ok(7));
    worker.stop();
}

fn no_worker_for_a_job_name_is_an_error_after_the_deadline(redis: &Redis) {
    let ns = namespace("noworker");
    let pool = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .no_worker_deadline(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let mut ticket = pool.submit_by_name::<_, u64>("nobody::serves::this", &1u64);
    match ticket.wait_blocking_timeout(LONG) {
        Err(JobError::NoWorker(name)) => assert_eq!(name, "nobody::serves::this"),
        other => panic!("expected a no-worker error, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(500));
}

fn scope_failure_cancels_cluster_jobs(redis: &Redis) {
    let ns = namespace("scope");
    let dir = temp_dir("scope");
    let worker = in_process_worker(&redis.url, &ns, 2);
    let pool = Arc::new(
        ClusterPool::builder(&redis.url)
            .namespace(&ns)
            .build()
            .unwrap(),
    );
    let dir_text = dir.to_string_lossy().into_owned();
    let outcome = deli::run({
        let pool = pool.clone();
        let dir = dir.clone();
        deli::scope(move |s| async move {
            s.submit_cluster(&pool, nap_marked, (dir_text, 7, 30_000));
            // Fail only once the long job runs, so its cancel must reach
            // the worker.
            while marker(&dir, 7).is_none() {
                deli::sleep(Duration::from_millis(20)).await;
            }
            s.submit_cluster(&pool, fail, "bad".to_owned());
        })
    });
    let error = outcome.unwrap_err();
    assert_eq!(
        error.first().unwrap().error().to_string(),
        JobError::Remote("bad".into()).to_string()
    );
    let (child, _) = marker(&dir, 7).unwrap();
    wait_for("the long job's child to be killed", LONG, || {
        !is_alive(child)
    });
    worker.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

fn redis_down_gives_typed_errors_and_reconnects() {
    // Nothing listens here: a typed error, quickly.
    let dead = format!("redis://127.0.0.1:{}/0", free_port());
    let started = Instant::now();
    assert!(matches!(
        ClusterPool::connect(&dead),
        Err(ClusterError::Redis(_))
    ));
    assert!(matches!(
        Worker::start(&dead, ServeOptions::default()),
        Err(ClusterError::Redis(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(20));

    let Some(mut redis) = Redis::start_own() else {
        return;
    };
    let ns = namespace("down");
    let dir = temp_dir("down");
    let worker = in_process_worker(&redis.url, &ns, 2);
    let pool = ClusterPool::builder(&redis.url)
        .namespace(&ns)
        .broker_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let mut waiting = pool.submit(nap_marked, (dir.to_string_lossy().into_owned(), 1, 20_000));
    wait_for("the job to start", LONG, || marker(&dir, 1).is_some());
    redis.kill();
    match waiting.wait_blocking_timeout(LONG) {
        Err(JobError::Broker(text)) => assert!(text.contains("unreachable"), "{text}"),
        other => panic!("expected a Redis error, got {other:?}"),
    }
    // Submitting while Redis is down fails at once, not later.
    assert!(matches!(
        pool.try_submit(add, (1, 2)),
        Err(ClusterError::Redis(_))
    ));
    match pool.submit(add, (1, 2)).wait_blocking_timeout(LONG) {
        Err(JobError::Broker(text)) => assert!(text.contains("Redis"), "{text}"),
        other => panic!("expected a broker error at once, got {other:?}"),
    }
    // Redis comes back (empty, as it kept nothing): the client and the
    // worker reconnect by themselves.
    let port = redis.port;
    let again = dir.join("again");
    std::fs::create_dir_all(&again).unwrap();
    let back = Redis::start_on(port, again).expect("redis-server again");
    let started = Instant::now();
    let value = loop {
        let mut ticket = pool.submit(add, (1, 2));
        match ticket.wait_blocking_timeout(Duration::from_secs(20)) {
            Ok(value) => break value,
            Err(error) => {
                assert!(started.elapsed() < LONG, "never reconnected: {error}");
            }
        }
    };
    assert_eq!(value, 3);
    worker.stop();
    drop(back);
    let _ = std::fs::remove_dir_all(&dir);
}

type Test = (&'static str, fn(&Redis));

const TESTS: &[Test] = &[
    (
        "three_workers_one_killed_mid_run",
        three_workers_one_killed_mid_run,
    ),
    (
        "retries_run_out_with_worker_died",
        retries_run_out_with_worker_died,
    ),
    (
        "timeout_kills_the_job_and_the_worker_goes_on",
        timeout_kills_the_job_and_the_worker_goes_on,
    ),
    (
        "cancel_reaches_the_worker_and_kills_the_child",
        cancel_reaches_the_worker_and_kills_the_child,
    ),
    (
        "a_crashing_job_kills_only_its_child",
        a_crashing_job_kills_only_its_child,
    ),
    (
        "results_survive_a_client_reconnect",
        results_survive_a_client_reconnect,
    ),
    ("map_as_completed_and_await", map_as_completed_and_await),
    (
        "no_worker_for_a_job_name_is_an_error_after_the_deadline",
        no_worker_for_a_job_name_is_an_error_after_the_deadline,
    ),
    (
        "scope_failure_cancels_cluster_jobs",
        scope_failure_cancels_cluster_jobs,
    ),
    ("redis_down_gives_typed_errors_and_reconnects", |_| {
        redis_down_gives_typed_errors_and_reconnects()
    }),
];

fn main() {
    deli::process::init();
    if let Ok(url) = std::env::var("DELI_CLUSTER_TEST_WORKER") {
        act_as_worker(&url);
    }
    // `cargo test -- --list` and the like: nothing to run here.
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let Some(redis) = Redis::shared() else {
        println!(
            "cluster tests skipped: no DELI_TEST_REDIS_URL and no redis-server on PATH \
             (scripts/test-cluster.sh installs one)"
        );
        println!("\ntest result: 0 passed, 0 failed");
        return;
    };
    let failed = common::run_tests(TESTS, |test| test(&redis));
    // `exit` skips destructors: stop our redis-server first.
    drop(redis);
    common::exit_if_failed(&failed);
}

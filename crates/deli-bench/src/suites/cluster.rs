//! The `cluster` suite: jobs through Redis on deli's cluster against the
//! same jobs on the local process pool (what going through the broker
//! costs) and against Celery with its Redis broker and result backend.
//!
//! Setup: a `redis-server` of the suite's own on a free loopback port, no
//! persistence (skipped in one line without the binary); two deli cluster
//! workers ([`deli::cluster::Worker`], in this process, one job child
//! each) against a `ProcessPool` of two children; Celery: two `celery
//! worker` processes with one prefork child each, in a virtualenv at
//! `target/bench-venv` made on first use with `pip install celery[redis]`
//! (that row is skipped in one line when it cannot be made). The Celery
//! driver is the Python script below, kept running for the whole suite;
//! it reports its own nanoseconds, measured the same way (first submit to
//! last result). The server and the Celery driver run in process groups
//! of their own that the harness kills if a run hangs; Celery's rows allow
//! [`CELERY_RUN_LIMIT`] a run (its `tiny` took minutes on a loaded
//! machine) and one warm-up round.
//!
//! Cases: `tiny` (10,000 jobs returning their integer argument, submitted
//! at once, every result waited for) and `sleep20` (200 jobs sleeping
//! 20 ms). Prints `BENCH cluster/<case> deli=<ns> process-pool=<ns> …` and
//! `BENCH cluster/<case> deli=<ns> celery=<ns> …`. Calls the harness and
//! deli's public API only.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use deli::cluster::{ClusterPool, ServeOptions, Worker};

use super::{sum_tickets, time_tiny_jobs};
use crate::harness::Harness;

const WORKERS: usize = 2;
const TINY_JOBS: u64 = 10_000;
const SLEEP_JOBS: u64 = 200;
const SLEEP_MILLIS: u64 = 20;
const NAMESPACE: &str = "deli-bench";
/// How long one Celery run may take before it counts as hung: `tiny`
/// measured 171 s a run at load ~8 (10,000 jobs), so the default minute
/// would end the suite before its `sleep20` row.
const CELERY_RUN_LIMIT: Duration = Duration::from_secs(900);

#[deli::job]
fn cluster_identity(n: u64) -> u64 {
    n
}

#[deli::job]
fn cluster_sleep(millis: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(millis));
    millis
}

/// The Celery side: starts the workers, then answers `tiny N` and
/// `sleep N MS` with the run's nanoseconds.
const CELERY_DRIVER: &str = r#"
import os, subprocess, sys, time
from celery import Celery, group

url = os.environ["DELI_BENCH_REDIS"]
app = Celery("deli_celery_bench", broker=url, backend=url)
app.conf.update(result_expires=600, worker_hijack_root_logger=False)

@app.task
def identity(n):
    return n

@app.task
def nap(ms):
    time.sleep(ms / 1000.0)
    return ms

def main():
    workers = int(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=here)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "deli_celery_bench", "worker",
             "--concurrency", "1", "--pool", "prefork", "--loglevel", "WARNING",
             "-n", "bench%d@%%h" % i, "--without-gossip", "--without-mingle"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i in range(workers)
    ]
    try:
        deadline = time.time() + 120
        while True:
            replies = app.control.ping(timeout=1.0) or []
            if len(replies) >= workers:
                break
            if time.time() > deadline:
                print("0 workers did not start", flush=True)
                return
        print("ready", flush=True)
        for line in sys.stdin:
            words = line.split()
            if not words or words[0] == "quit":
                break
            start = time.perf_counter_ns()
            if words[0] == "tiny":
                n = int(words[1])
                values = group(identity.s(i) for i in range(n)).apply_async().get(timeout=600)
                assert sum(values) == n * (n - 1) // 2
            else:
                n, ms = int(words[1]), int(words[2])
                values = group(nap.s(ms) for _ in range(n)).apply_async().get(timeout=600)
                assert values == [ms] * n
            print(time.perf_counter_ns() - start, flush=True)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()

if __name__ == "__main__":
    main()
"#;

/// A child in a process group of its own, killed with its group by the
/// harness if a run hangs, and reaped here otherwise.
struct Helper<'h> {
    child: Child,
    harness: &'h Harness,
}

impl<'h> Helper<'h> {
    fn spawn(command: &mut Command, harness: &'h Harness) -> io::Result<Helper<'h>> {
        let child = command.process_group(0).spawn()?;
        harness.kill_on_hang(child.id());
        Ok(Helper { child, harness })
    }

    /// Waits for the child to exit, killing it first if `kill`.
    fn reap(&mut self, kill: bool) {
        if kill {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        self.harness.forget_on_hang(self.child.id());
    }
}

/// A redis-server of the suite's own.
struct Redis<'h> {
    server: Helper<'h>,
    url: String,
    dir: PathBuf,
}

impl<'h> Redis<'h> {
    fn start(harness: &'h Harness) -> io::Result<Redis<'h>> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = std::env::temp_dir().join(format!("deli-bench-redis-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let server = Helper::spawn(
            Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&dir)
                .stdout(Stdio::null()),
            harness,
        )?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                return Err(io::Error::other("redis-server did not start"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Redis {
            server,
            url: format!("redis://127.0.0.1:{port}/0"),
            dir,
        })
    }
}

impl Drop for Redis<'_> {
    fn drop(&mut self) {
        self.server.reap(true);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The Celery driver, between runs.
struct Celery<'h> {
    driver: Helper<'h>,
    commands: ChildStdin,
    answers: BufReader<ChildStdout>,
}

impl<'h> Celery<'h> {
    /// The bench's own virtualenv with Celery in it, made if missing.
    fn python() -> Result<PathBuf, String> {
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-venv");
        let python = target.join("bin/python");
        let has_celery = |python: &Path| {
            Command::new(python)
                .args(["-c", "import celery, redis, kombu.transport.redis"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        if has_celery(&python) {
            return Ok(python);
        }
        eprintln!("deli-bench: making {} with celery (pip)", target.display());
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&target)
            .status()
            .map_err(|e| format!("python3 -m venv: {e}"))?;
        if !made.success() {
            return Err("python3 -m venv failed".into());
        }
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "celery[redis]"])
            .status()
            .map_err(|e| format!("pip: {e}"))?;
        if !installed.success() || !has_celery(&python) {
            return Err("pip install celery[redis] failed".into());
        }
        Ok(python)
    }

    fn start(url: &str, harness: &'h Harness) -> Result<Celery<'h>, String> {
        let python = Celery::python()?;
        let dir = std::env::temp_dir().join(format!("deli-bench-celery-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let script = dir.join("deli_celery_bench.py");
        std::fs::write(&script, CELERY_DRIVER).map_err(|e| e.to_string())?;
        let mut driver = Helper::spawn(
            Command::new(python)
                .arg(&script)
                .arg(WORKERS.to_string())
                .env("DELI_BENCH_REDIS", url)
                .current_dir(&dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped()),
            harness,
        )
        .map_err(|e| e.to_string())?;
        let pipes = (driver.child.stdin.take(), driver.child.stdout.take());
        let (Some(commands), Some(answers)) = pipes else {
            driver.reap(true);
            return Err("celery driver without pipes".into());
        };
        let mut celery = Celery {
            driver,
            commands,
            answers: BufReader::new(answers),
        };
        let mut line = String::new();
        celery
            .answers
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if line.trim() != "ready" {
            return Err(format!("the celery workers did not start: {line:?}"));
        }
        Ok(celery)
    }

    fn run(&mut self, command: &str) -> Duration {
        let mut line = String::new();
        let sent = writeln!(self.commands, "{command}").and_then(|()| self.commands.flush());
        let read = sent.and_then(|()| self.answers.read_line(&mut line));
        match (read, line.trim().parse::<u64>()) {
            (Ok(_), Ok(nanos)) => Duration::from_nanos(nanos),
            _ => panic!("the celery driver did not answer `{command}`: {line:?}"),
        }
    }
}

impl Drop for Celery<'_> {
    fn drop(&mut self) {
        let _ = writeln!(self.commands, "quit");
        let _ = self.commands.flush();
        self.driver.reap(false);
    }
}

/// Runs every case of the suite.
pub fn run(harness: &Harness) -> io::Result<()> {
    let redis = match Redis::start(harness) {
        Ok(redis) => redis,
        Err(error) => {
            eprintln!("deli-bench: cluster suite skipped: cannot start redis-server ({error})");
            return Ok(());
        }
    };
    let options = ServeOptions::default()
        .namespace(NAMESPACE)
        .concurrency(1)
        .jobs([cluster_identity.name(), cluster_sleep.name()]);
    let workers: Vec<Worker> = (0..WORKERS)
        .map(|_| Worker::start(&redis.url, options.clone()))
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    let cluster = ClusterPool::builder(&redis.url)
        .namespace(NAMESPACE)
        .build()
        .map_err(io::Error::other)?;
    let local = deli::ProcessPool::new(WORKERS).map_err(io::Error::other)?;

    let tiny_cluster = || {
        time_tiny_jobs(TINY_JOBS, || {
            sum_tickets(cluster.map(cluster_identity, 0..TINY_JOBS))
        })
    };
    let sleep_cluster = || {
        let start = Instant::now();
        let tickets = cluster.map(cluster_sleep, (0..SLEEP_JOBS).map(|_| SLEEP_MILLIS));
        assert!(tickets
            .into_iter()
            .all(|t| t.wait_blocking() == Ok(SLEEP_MILLIS)));
        start.elapsed()
    };
    harness.bench("cluster/tiny", "process-pool", tiny_cluster, || {
        time_tiny_jobs(TINY_JOBS, || {
            local
                .map(cluster_identity, 0..TINY_JOBS)
                .map(|result| result.unwrap_or(0))
                .sum()
        })
    });
    harness.bench("cluster/sleep20", "process-pool", sleep_cluster, || {
        let start = Instant::now();
        let mut results = local.map(cluster_sleep, (0..SLEEP_JOBS).map(|_| SLEEP_MILLIS));
        assert!(results.all(|result| result == Ok(SLEEP_MILLIS)));
        start.elapsed()
    });

    let wants_celery = ["cluster/tiny", "cluster/sleep20"]
        .iter()
        .any(|name| harness.selects(name));
    if wants_celery {
        let patient = harness.for_slow_runs(CELERY_RUN_LIMIT);
        let started = {
            let _guard = patient.watch("cluster: starting the celery workers");
            Celery::start(&redis.url, &patient)
        };
        match started {
            Ok(mut celery) => {
                patient.bench("cluster/tiny", "celery", tiny_cluster, || {
                    celery.run(&format!("tiny {TINY_JOBS}"))
                });
                patient.bench("cluster/sleep20", "celery", sleep_cluster, || {
                    celery.run(&format!("sleep {SLEEP_JOBS} {SLEEP_MILLIS}"))
                });
            }
            Err(error) => {
                eprintln!("deli-bench: cluster suite: the celery rows are skipped: {error}")
            }
        }
    }
    drop(cluster);
    for worker in workers {
        worker.stop();
    }
    drop(redis);
    Ok(())
}

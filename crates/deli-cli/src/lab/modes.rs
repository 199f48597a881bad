//! The ways the lab runs the same jobs: deli's six modes here, Python's in
//! [`super::python`]. Each run is measured the same way: wall time from
//! before its pool, runtime or threads are built until they are all torn
//! down (children reaped), CPU time as the `getrusage` difference over that
//! same stretch (this process plus reaped children — for the process pool
//! that includes the workers, which shutdown reaps).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::clock::{cpu_time, monotonic_ns, process_lane, thread_lane};
use super::traced;
use super::workload::{run_async, run_blocking, CpuPlace, JobOutput, JobSpec};

/// A way to run the jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
pub enum Mode {
    /// One job after another on the calling thread.
    #[value(name = "sequential")]
    #[serde(rename = "sequential")]
    Sequential,
    /// One OS thread per job (std::thread, blocking calls).
    #[value(name = "threads")]
    #[serde(rename = "threads")]
    Threads,
    /// deli::ThreadPool, one thread per core, blocking calls in the jobs.
    #[value(name = "thread-pool")]
    #[serde(rename = "thread-pool")]
    ThreadPool,
    /// deli::ProcessPool, one worker process per core.
    #[value(name = "process-pool")]
    #[serde(rename = "process-pool")]
    ProcessPool,
    /// Async tasks on a deli runtime, CPU work inline in the tasks.
    #[value(name = "async")]
    #[serde(rename = "async")]
    Async,
    /// Async tasks that hand their CPU work to a deli::ThreadPool.
    #[value(name = "async+pool")]
    #[serde(rename = "async+pool")]
    AsyncPool,
    /// Python, one job after another (the Python baseline).
    #[value(name = "python-sequential")]
    #[serde(rename = "python-sequential")]
    PythonSequential,
    /// Python's threading, one thread per job.
    #[value(name = "python-threads")]
    #[serde(rename = "python-threads")]
    PythonThreads,
    /// Python's ProcessPoolExecutor, one process per core.
    #[value(name = "python-processes")]
    #[serde(rename = "python-processes")]
    PythonProcesses,
    /// deli's Python package: deli.ProcessPoolExecutor, one process per core
    /// (a skipped row, with one line of why, where no python imports `deli`).
    #[value(name = "python-deli-processes")]
    #[serde(rename = "python-deli-processes")]
    PythonDeliProcesses,
    /// Python's asyncio, CPU work inline in the coroutines.
    #[value(name = "python-asyncio")]
    #[serde(rename = "python-asyncio")]
    PythonAsyncio,
}

impl Mode {
    /// The default modes. `python-deli-processes` runs on the first python
    /// that can `import deli` ([`super::python::find_deli`]); without one
    /// its row is skipped, not failed.
    pub const ALL: [Mode; 11] = [
        Mode::Sequential,
        Mode::Threads,
        Mode::ThreadPool,
        Mode::ProcessPool,
        Mode::Async,
        Mode::AsyncPool,
        Mode::PythonSequential,
        Mode::PythonThreads,
        Mode::PythonProcesses,
        Mode::PythonDeliProcesses,
        Mode::PythonAsyncio,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Threads => "threads",
            Mode::ThreadPool => "thread-pool",
            Mode::ProcessPool => "process-pool",
            Mode::Async => "async",
            Mode::AsyncPool => "async+pool",
            Mode::PythonSequential => "python-sequential",
            Mode::PythonThreads => "python-threads",
            Mode::PythonProcesses => "python-processes",
            Mode::PythonDeliProcesses => "python-deli-processes",
            Mode::PythonAsyncio => "python-asyncio",
        }
    }

    pub fn is_python(self) -> bool {
        self.python_name().is_some()
    }

    /// The mode's name in `py/lab.py`.
    pub fn python_name(self) -> Option<&'static str> {
        match self {
            Mode::PythonSequential => Some("sequential"),
            Mode::PythonThreads => Some("threads"),
            Mode::PythonProcesses => Some("processes"),
            Mode::PythonDeliProcesses => Some("deli-processes"),
            Mode::PythonAsyncio => Some("asyncio"),
            _ => None,
        }
    }

    /// The mode this one's speedup is measured against.
    pub fn baseline(self) -> Mode {
        if self.is_python() {
            Mode::PythonSequential
        } else {
            Mode::Sequential
        }
    }

    /// How many cores the mode's CPU work can keep busy at once, with
    /// `workers` threads or processes per pool on a machine of `cores`:
    /// the most a CPU-bound run of it can be faster than one job at a time.
    /// Python's threads and asyncio run one job's Python code at a time
    /// (the GIL; one event loop), whatever the cores.
    pub fn usable_cores(self, workers: usize, cores: usize) -> usize {
        let cores = cores.max(1);
        match self {
            Mode::Sequential
            | Mode::PythonSequential
            | Mode::PythonThreads
            | Mode::PythonAsyncio => 1,
            // A thread per job, and async workers that the monitor
            // backs with spares, can use every core.
            Mode::Threads | Mode::Async => cores,
            Mode::ThreadPool
            | Mode::ProcessPool
            | Mode::AsyncPool
            | Mode::PythonProcesses
            | Mode::PythonDeliProcesses => workers.clamp(1, cores),
        }
    }

    /// What the mode shows, in one sentence (for the report).
    pub fn lesson(self) -> &'static str {
        match self {
            Mode::Sequential => "the baseline: one job at a time, every wait and every hash in turn.",
            Mode::Threads => "one OS thread per job: waits overlap (concurrency) and hashing spreads over the cores (parallelism), at the price of a thread each.",
            Mode::ThreadPool => "a thread per core: good for hashing, but a job blocked on the network holds its thread, so I/O concurrency is capped at the pool size.",
            Mode::ProcessPool => "a worker process per core: true parallelism for hashing with isolation, the same cap on blocking I/O, plus the cost of sending work between processes.",
            Mode::Async => "async tasks on a worker per core: every wait overlaps on a few threads, but hashing inline holds a worker for the whole hash; deli's monitor notices each such poll, reports it and lets a spare thread keep the other tasks moving, which costs extra threads competing for the same cores.",
            Mode::AsyncPool => "the best of both: waits overlap on the event loop, hashing goes to the thread pool.",
            Mode::PythonSequential => "Python's baseline, one job at a time.",
            Mode::PythonThreads => "Python threads: waits overlap, but the GIL lets only one thread run Python code at a time, so hashing small blocks gets no faster.",
            Mode::PythonProcesses => "Python processes sidestep the GIL: hashing runs in parallel; blocking I/O is capped at the pool size.",
            Mode::PythonDeliProcesses => "the same Python jobs on deli.ProcessPoolExecutor: worker processes supervised by deli's Rust driver, so a crashed worker fails only its job.",
            Mode::PythonAsyncio => "asyncio: waits overlap on one thread; hashing blocks the loop and runs one job at a time.",
        }
    }
}

/// What one run of a mode measured.
#[derive(Debug)]
pub struct RunOutcome {
    pub outputs: Vec<JobOutput>,
    /// `CLOCK_MONOTONIC` nanoseconds at the start and end of the run.
    pub start_ns: u64,
    pub end_ns: u64,
    pub cpu: Duration,
    /// Anything worth knowing about the run (e.g. monitor reports).
    pub note: Option<String>,
    /// A deli trace of the run, as Chrome trace JSON, when one was taken.
    pub trace_json: Option<String>,
}

/// The lab's process-pool job: a blocking job in a worker process.
#[deli::job]
fn lab_job(spec: JobSpec, job: u64) -> Result<JobOutput, String> {
    run_blocking(&spec, job, &process_lane())
}

/// Runs `jobs` jobs of `spec` in one of deli's modes with `workers` threads
/// or processes where the mode has a pool.
pub fn run_deli(
    mode: Mode,
    spec: &JobSpec,
    jobs: u64,
    workers: usize,
) -> Result<RunOutcome, String> {
    measured(|note| match mode {
        Mode::Sequential => sequential(spec, jobs),
        Mode::Threads => threads(spec, jobs),
        Mode::ThreadPool => thread_pool(spec, jobs, workers),
        Mode::ProcessPool => process_pool(spec, jobs, workers),
        Mode::Async => asynchronous(spec, jobs, workers, false, note),
        Mode::AsyncPool => asynchronous(spec, jobs, workers, true, note),
        python => Err(format!("{} is not a deli mode", python.name())),
    })
}

/// Runs `jobs` jobs of `spec` on exactly `workers` plain `std` threads that
/// take the next job as they finish one: the `threads` mode of the sweep
/// (`deli lab --sweep`), where the number of threads is what varies.
pub fn run_worker_threads(spec: &JobSpec, jobs: u64, workers: usize) -> Result<RunOutcome, String> {
    measured(|_| worker_threads(spec, jobs, workers))
}

/// Times `run` the lab's way: wall time and CPU time around it, deli's
/// trace on while it runs; `run` may leave a note about the run.
fn measured(
    run: impl FnOnce(&mut Option<String>) -> Result<Vec<JobOutput>, String>,
) -> Result<RunOutcome, String> {
    let cpu_before = cpu_time();
    let start_ns = monotonic_ns();
    let mut note = None;
    let (outputs, trace_json) = traced::record(|| run(&mut note));
    let end_ns = monotonic_ns();
    let cpu = cpu_time().saturating_sub(cpu_before);
    Ok(RunOutcome {
        outputs: outputs?,
        start_ns,
        end_ns,
        cpu,
        note,
        trace_json,
    })
}

fn sequential(spec: &JobSpec, jobs: u64) -> Result<Vec<JobOutput>, String> {
    let lane = thread_lane();
    (0..jobs)
        .map(|job| run_blocking(spec, job, &lane))
        .collect()
}

fn threads(spec: &JobSpec, jobs: u64) -> Result<Vec<JobOutput>, String> {
    std::thread::scope(|scope| {
        let handles = (0..jobs)
            .map(|job| {
                std::thread::Builder::new()
                    .name(format!("thread-{job}"))
                    .spawn_scoped(scope, move || run_blocking(spec, job, &thread_lane()))
                    .map_err(|error| format!("cannot start a thread: {error}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| "a job thread panicked".to_owned())?
            })
            .collect()
    })
}

fn worker_threads(spec: &JobSpec, jobs: u64, workers: usize) -> Result<Vec<JobOutput>, String> {
    let next = AtomicU64::new(0);
    std::thread::scope(|scope| {
        let handles = (0..workers.max(1))
            .map(|worker| {
                let next = &next;
                std::thread::Builder::new()
                    .name(format!("thread-{worker}"))
                    .spawn_scoped(scope, move || {
                        let lane = thread_lane();
                        let mut outputs = Vec::new();
                        loop {
                            let job = next.fetch_add(1, Ordering::Relaxed);
                            if job >= jobs {
                                return Ok(outputs);
                            }
                            outputs.push(run_blocking(spec, job, &lane)?);
                        }
                    })
                    .map_err(|error| format!("cannot start a thread: {error}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut outputs = Vec::new();
        for handle in handles {
            let done: Result<Vec<JobOutput>, String> = handle
                .join()
                .map_err(|_| "a job thread panicked".to_owned())?;
            outputs.extend(done?);
        }
        Ok(outputs)
    })
}

fn thread_pool(spec: &JobSpec, jobs: u64, workers: usize) -> Result<Vec<JobOutput>, String> {
    let pool = deli::ThreadPool::builder()
        .threads(workers)
        .thread_name("pool")
        .build()
        .map_err(|error| format!("cannot build a thread pool: {error}"))?;
    let tickets: Vec<_> = (0..jobs)
        .map(|job| {
            let spec = spec.clone();
            pool.submit(move || run_blocking(&spec, job, &thread_lane()))
        })
        .collect();
    let outputs = tickets
        .into_iter()
        .map(|ticket| ticket.wait_blocking().map_err(|error| error.to_string())?)
        .collect();
    pool.shutdown(true, false);
    outputs
}

fn process_pool(spec: &JobSpec, jobs: u64, workers: usize) -> Result<Vec<JobOutput>, String> {
    let pool = deli::ProcessPool::new(workers)
        .map_err(|error| format!("cannot start a process pool: {error}"))?;
    let outputs = pool
        .map(lab_job, (0..jobs).map(|job| (spec.clone(), job)))
        .map(|result| result.map_err(|error| error.to_string()))
        .collect();
    // Shutdown reaps the workers, so their CPU time reaches RUSAGE_CHILDREN.
    pool.shutdown(true, false);
    outputs
}

fn asynchronous(
    spec: &JobSpec,
    jobs: u64,
    workers: usize,
    with_pool: bool,
    note: &mut Option<String>,
) -> Result<Vec<JobOutput>, String> {
    let blocked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&blocked);
    let runtime = deli::Runtime::builder()
        .workers(workers)
        .thread_name("async")
        .on_blocked(move |report| {
            if !report.is_over() {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
        .build()
        .map_err(|error| format!("cannot build a runtime: {error}"))?;
    let cpu = if with_pool {
        let pool = deli::ThreadPool::builder()
            .threads(workers)
            .thread_name("pool")
            .build()
            .map_err(|error| format!("cannot build a thread pool: {error}"))?;
        CpuPlace::Pool(Arc::new(pool))
    } else {
        CpuPlace::Inline
    };
    let spec = Arc::new(spec.clone());
    let outputs = runtime.block_on(async move {
        let tickets: Vec<_> = (0..jobs)
            .map(|job| deli::spawn(run_async(Arc::clone(&spec), job, cpu.clone())))
            .collect();
        let mut outputs = Vec::with_capacity(tickets.len());
        for ticket in tickets {
            outputs.push(ticket.await.map_err(|error| error.to_string())??);
        }
        Ok::<_, String>(outputs)
    });
    drop(runtime);
    let blocked = blocked.load(Ordering::Relaxed);
    if blocked > 0 {
        *note = Some(format!(
            "monitor: {blocked} poll{} held a worker over 20 ms",
            if blocked == 1 { "" } else { "s" }
        ));
    }
    outputs
}

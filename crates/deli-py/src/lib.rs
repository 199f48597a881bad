//! `deli._deli`: the Rust half of deli's Python package.
//!
//! Owns one thing: a [`deli::ProcessPool`] whose children are Python
//! interpreters running `deli._worker`, with the bridge that hands each
//! job's result to a Python `concurrent.futures.Future`. Everything
//! Python-facing (the `Executor` subclass, pickling, exceptions, asyncio,
//! scopes) lives in `python/deli/`; this module only moves bytes and
//! completions, and uses deli's public API only (`ProcessPool`,
//! `Ticket`, `JobError`, `trace`).
//!
//! Completions: every submitted job's ticket sits in a table; a waker per
//! job posts its id to a channel that one delivery thread per pool reads.
//! That thread polls the woken tickets without the GIL, then takes the
//! GIL once for the whole batch and calls the package's `deliver`
//! function once with the batch's list, which sets the futures' results.
//! Python threads never block in Rust while holding the GIL for longer
//! than a short table lock: every blocking call releases it.
//!
//! Starts: the pool's `on_job_start` hook marks a job's table entry as
//! started when a driver hands it to a worker, so `is_running(id)` (what
//! `Future.running()` asks) answers without any message to Python.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

use deli::process::ProcessPool;
use deli::{JobError, Ticket};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

/// How a job ended, as `deliver(future, kind, body, signal, exit_code)`
/// receives it. The numbers are mirrored in `python/deli/_executor.py`.
mod kind {
    /// `body`: the worker's pickled reply envelope.
    pub(crate) const VALUE: u8 = 0;
    /// `body`: the error text a worker sent (an unpicklable exception).
    pub(crate) const REMOTE: u8 = 1;
    /// `body`: the crash message a worker sent.
    pub(crate) const PANICKED: u8 = 2;
    /// `body`: how the worker died; `signal` / `exit_code` as known.
    pub(crate) const WORKER_DIED: u8 = 3;
    /// The job ran past its timeout and its worker was killed.
    pub(crate) const TIMED_OUT: u8 = 4;
    /// The job was cancelled (before or while it ran).
    pub(crate) const CANCELLED: u8 = 5;
    /// The pool was shut down before the job ended.
    pub(crate) const SHUTDOWN: u8 = 6;
}

/// How long the delivery thread lets results gather after a batch of
/// more than one.
const GATHER: Duration = Duration::from_micros(200);

/// A job whose result has not been handed to Python yet.
struct Pending {
    ticket: Ticket<Vec<u8>>,
    waker: Waker,
    future: Py<PyAny>,
    /// A worker is running the job (set by the pool's start hook).
    started: bool,
}

/// Posts a job's id to the delivery thread when its ticket is ready.
struct JobWaker {
    id: u64,
    wakes: Arc<Mutex<Sender<Message>>>,
}

impl Wake for JobWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakes = self.wakes.lock().unwrap_or_else(|e| e.into_inner());
        // The delivery thread is gone only once the pool is finished.
        let _ = wakes.send(Message::Woken(self.id));
    }
}

enum Message {
    Woken(u64),
    /// No more jobs will come: deliver what is pending, then stop.
    Finish,
}

/// State the Python handle and the delivery thread share.
struct Table {
    pending: Mutex<HashMap<u64, Pending>>,
}

impl Table {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Pending>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the delivery thread hands to Python for one job.
struct Outcome {
    future: Py<PyAny>,
    kind: u8,
    body: Vec<u8>,
    signal: Option<i32>,
    exit_code: Option<i32>,
}

/// Reads `N` out of "… exited with status N" / "… killed by signal N (…)",
/// the two stable shapes of deli's `WorkerDied` text.
fn number_after(text: &str, marker: &str) -> Option<i32> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}

fn outcome(future: Py<PyAny>, result: Result<Vec<u8>, JobError>) -> Outcome {
    let (kind, body, signal, exit_code) = match result {
        Ok(bytes) => (kind::VALUE, bytes, None, None),
        Err(JobError::Remote(text)) => (kind::REMOTE, text.into_bytes(), None, None),
        Err(JobError::Panicked(panic)) => (
            kind::PANICKED,
            panic.message().as_bytes().to_vec(),
            None,
            None,
        ),
        Err(JobError::WorkerDied(text)) => {
            let signal = number_after(&text, "killed by signal ");
            let exit_code = number_after(&text, "exited with status ");
            (kind::WORKER_DIED, text.into_bytes(), signal, exit_code)
        }
        Err(JobError::TimedOut) => (kind::TIMED_OUT, Vec::new(), None, None),
        Err(JobError::Cancelled) => (kind::CANCELLED, Vec::new(), None, None),
        Err(JobError::Shutdown) => (kind::SHUTDOWN, Vec::new(), None, None),
        Err(other) => (kind::REMOTE, other.to_string().into_bytes(), None, None),
    };
    Outcome {
        future,
        kind,
        body,
        signal,
        exit_code,
    }
}

/// The delivery thread: polls woken tickets, hands finished ones to Python.
fn deliver_loop(table: Arc<Table>, wakes: Receiver<Message>, deliver: Py<PyAny>) {
    let mut finishing = false;
    let mut busy = false;
    loop {
        if busy {
            // Results are coming fast: let a few more gather before taking
            // the GIL again. Sends during this pause wake nobody (this
            // thread is not blocked on the channel) and the next batch is
            // larger, so a stream of tiny jobs costs fewer thread wake-ups
            // and GIL hand-offs per job; a lone result (a batch of one)
            // never waits here.
            std::thread::sleep(GATHER);
        }
        let first = if finishing {
            // Finishing: whatever is still pending will wake; stop when
            // nothing is left.
            if table.lock().is_empty() {
                break;
            }
            wakes.recv_timeout(Duration::from_millis(100)).ok()
        } else {
            match wakes.recv() {
                Ok(message) => Some(message),
                Err(_) => break,
            }
        };
        let mut woken = Vec::new();
        for message in first.into_iter().chain(wakes.try_iter()) {
            match message {
                Message::Woken(id) => woken.push(id),
                Message::Finish => finishing = true,
            }
        }
        let mut done = Vec::new();
        {
            let mut pending = table.lock();
            let ids: Vec<u64> = if finishing && woken.is_empty() {
                pending.keys().copied().collect()
            } else {
                woken
            };
            for id in ids {
                let Some(entry) = pending.get_mut(&id) else {
                    continue;
                };
                let waker = entry.waker.clone();
                let mut context = Context::from_waker(&waker);
                if let Poll::Ready(result) = Pin::new(&mut entry.ticket).poll(&mut context) {
                    if let Some(entry) = pending.remove(&id) {
                        done.push(outcome(entry.future, result));
                    }
                }
            }
        }
        busy = done.len() > 1;
        if done.is_empty() {
            continue;
        }
        Python::with_gil(|py| deliver_now(py, &deliver, done));
    }
}

/// Hands finished jobs' outcomes to the package's `deliver` function, in
/// one call: a list of `(future, kind, body, signal, exit_code)`.
fn deliver_now(py: Python<'_>, deliver: &Py<PyAny>, outcomes: Vec<Outcome>) {
    let items: Vec<_> = outcomes
        .into_iter()
        .map(|outcome| {
            (
                outcome.future,
                outcome.kind,
                PyBytes::new(py, &outcome.body),
                outcome.signal,
                outcome.exit_code,
            )
        })
        .collect();
    let called = PyList::new(py, items).and_then(|list| deliver.call1(py, (list,)));
    if let Err(error) = called {
        // A bug in `deliver` must not stop the delivery thread.
        error.print(py);
    }
}

/// A pool of Python worker processes supervised by deli (the engine of
/// `deli.ProcessPoolExecutor`; use that instead).
#[pyclass(module = "deli._deli", name = "Pool")]
struct PyPool {
    pool: Mutex<Option<ProcessPool>>,
    table: Arc<Table>,
    wakes: Arc<Mutex<Sender<Message>>>,
    delivery: Mutex<Option<JoinHandle<()>>>,
    /// The package's `deliver([(future, kind, body, signal, exit_code), …])`.
    deliver: Py<PyAny>,
    workers: usize,
}

impl PyPool {
    fn pool(&self) -> MutexGuard<'_, Option<ProcessPool>> {
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, message: Message) {
        let wakes = self.wakes.lock().unwrap_or_else(|e| e.into_inner());
        let _ = wakes.send(message);
    }

    /// Ends the pool (gracefully or not), then lets the delivery thread
    /// hand out every remaining result and waits for it.
    fn finish(&self, graceful: bool) {
        let pool = self.pool().take();
        if let Some(pool) = pool {
            if graceful {
                pool.shutdown(true, false);
            } else {
                pool.terminate();
            }
        }
        self.send(Message::Finish);
        let delivery = self
            .delivery
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(delivery) = delivery {
            // Called from a done-callback, the delivery thread itself is
            // here: it finishes on its own once this call returns.
            if delivery.thread().id() != std::thread::current().id() {
                let _ = delivery.join();
            }
        }
    }
}

#[pymethods]
impl PyPool {
    /// `Pool(program, args, workers, env, memory_limit, max_tasks_per_child,
    /// timeout, initializer, deliver)`: starts `workers` children running
    /// `program args…`; `deliver(outcomes)` is called with a list of
    /// `(future, kind, body, signal, exit_code)` for finished jobs.
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (program, args, workers, env, memory_limit, max_tasks_per_child, timeout, initializer, deliver))]
    fn new(
        py: Python<'_>,
        program: String,
        args: Vec<String>,
        workers: usize,
        env: Vec<(String, String)>,
        memory_limit: Option<u64>,
        max_tasks_per_child: Option<u64>,
        timeout: Option<f64>,
        initializer: Option<&[u8]>,
        deliver: Py<PyAny>,
    ) -> PyResult<PyPool> {
        let table = Arc::new(Table {
            pending: Mutex::new(HashMap::new()),
        });
        let marks = table.clone();
        let mut builder = ProcessPool::builder()
            .workers(workers)
            .program(program, args)
            .on_job_start(move |id| {
                // `submit` holds the table while it queues a job, so the
                // entry is there by the time a driver can start it.
                if let Some(entry) = marks.lock().get_mut(&id.as_u64()) {
                    entry.started = true;
                }
            });
        for (key, value) in env {
            builder = builder.env(key, value);
        }
        if let Some(bytes) = memory_limit {
            builder = builder.memory_limit(bytes);
        }
        if let Some(jobs) = max_tasks_per_child {
            builder = builder.max_jobs_per_child(jobs);
        }
        if let Some(seconds) = timeout {
            builder = builder.timeout(seconds_to_duration(seconds)?);
        }
        if let Some(payload) = initializer {
            builder = builder.initializer_raw("deli.init", payload.to_vec());
        }
        let pool = py
            .allow_threads(|| builder.build())
            .map_err(|error| PyRuntimeError::new_err(error.to_string()))?;
        let (sender, receiver) = channel();
        let deliver_for_thread = deliver.clone_ref(py);
        let delivery = {
            let table = table.clone();
            std::thread::Builder::new()
                .name("deli-py-delivery".into())
                .spawn(move || deliver_loop(table, receiver, deliver_for_thread))
                .map_err(|error| PyRuntimeError::new_err(error.to_string()))?
        };
        Ok(PyPool {
            pool: Mutex::new(Some(pool)),
            table,
            wakes: Arc::new(Mutex::new(sender)),
            delivery: Mutex::new(Some(delivery)),
            deliver,
            workers,
        })
    }

    /// Queues `payload` as job `name` (`deli.call`) and returns the job's
    /// id; its outcome goes to `deliver(future, …)`. `timeout` in seconds
    /// overrides the pool's for this job.
    #[pyo3(signature = (name, payload, future, timeout=None))]
    fn submit(
        &self,
        py: Python<'_>,
        name: &str,
        payload: &[u8],
        future: Py<PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<u64> {
        let timeout = timeout.map(seconds_to_duration).transpose()?;
        let guard = self.pool();
        let Some(pool) = guard.as_ref() else {
            return Err(PyRuntimeError::new_err(
                "cannot schedule new futures after shutdown",
            ));
        };
        // The table is held from before the job is queued until its entry
        // is in: the start hook (on a driver thread) and the delivery
        // thread find the entry. The first poll registers the waker, here
        // rather than on the delivery thread so a submit costs no thread
        // wake-up; a wake that comes at once finds the job when the lock
        // is released.
        let (id, finished) = {
            let mut table = self.table.lock();
            let ticket = pool.submit_raw_with_timeout(name, payload.to_vec(), timeout);
            let id = ticket.id().as_u64();
            let waker = Waker::from(Arc::new(JobWaker {
                id,
                wakes: self.wakes.clone(),
            }));
            let entry = table.entry(id).or_insert(Pending {
                ticket,
                waker,
                future,
                started: false,
            });
            let waker = entry.waker.clone();
            let mut context = Context::from_waker(&waker);
            let finished = match Pin::new(&mut entry.ticket).poll(&mut context) {
                Poll::Ready(result) => table.remove(&id).map(|entry| outcome(entry.future, result)),
                Poll::Pending => None,
            };
            (id, finished)
        };
        drop(guard);
        if let Some(outcome) = finished {
            // Refused before it was queued (say, over the frame limit).
            deliver_now(py, &self.deliver, vec![outcome]);
        }
        Ok(id)
    }

    /// Cancels job `id`: skipped if queued, its worker killed if running.
    fn cancel(&self, py: Python<'_>, id: u64) {
        py.allow_threads(|| {
            if let Some(entry) = self.table.lock().get(&id) {
                entry.ticket.cancel();
            }
        });
    }

    /// Cancels every job not yet sent to a worker; returns how many.
    fn cancel_queued(&self, py: Python<'_>) -> usize {
        py.allow_threads(|| self.pool().as_ref().map_or(0, ProcessPool::cancel_queued))
    }

    /// Whether job `id` is still running or queued.
    fn is_pending(&self, id: u64) -> bool {
        self.table.lock().contains_key(&id)
    }

    /// Whether a worker is running job `id` now: it has started and has
    /// not ended (its outcome not yet handed to `deliver`).
    fn is_running(&self, id: u64) -> bool {
        self.table
            .lock()
            .get(&id)
            .is_some_and(|entry| entry.started)
    }

    /// How many workers the pool runs.
    #[getter]
    fn workers(&self) -> usize {
        self.workers
    }

    /// Stops the pool. `graceful`: queued and running jobs finish first;
    /// otherwise they fail as shut down and the workers are killed. Returns
    /// once every future has its outcome.
    #[pyo3(signature = (graceful=true))]
    fn shutdown(&self, py: Python<'_>, graceful: bool) {
        py.allow_threads(|| self.finish(graceful));
    }
}

impl Drop for PyPool {
    fn drop(&mut self) {
        // Without the GIL there is nobody to deliver to: kill the workers
        // and let the delivery thread end on its own.
        if let Some(pool) = self.pool().take() {
            pool.terminate();
        }
        self.send(Message::Finish);
    }
}

fn seconds_to_duration(seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| PyValueError::new_err(format!("not a valid timeout: {seconds}")))
}

/// A recorded trace (`deli.trace.stop()`'s value).
#[pyclass(module = "deli._deli", name = "Trace")]
struct PyTrace {
    trace: deli::trace::Trace,
}

#[pymethods]
impl PyTrace {
    /// Writes the Chrome trace event JSON (Perfetto opens it) to `path`.
    fn write_chrome_json(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        py.allow_threads(|| self.trace.write_chrome_json(path))
            .map_err(|error| PyRuntimeError::new_err(error.to_string()))
    }

    /// The same JSON as a string.
    fn to_chrome_json(&self) -> String {
        self.trace.to_chrome_json()
    }

    /// How many lifecycle events were recorded.
    fn __len__(&self) -> usize {
        self.trace.events().len()
    }
}

/// Starts recording every job's lifecycle (each Python job's run lands on
/// its worker's lane).
#[pyfunction]
fn trace_start() {
    deli::trace::start();
}

/// Stops recording and returns what was recorded.
#[pyfunction]
fn trace_stop(py: Python<'_>) -> PyTrace {
    PyTrace {
        trace: py.allow_threads(deli::trace::stop),
    }
}

/// The extension module `deli._deli`.
#[pymodule]
fn _deli(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyPool>()?;
    module.add_class::<PyTrace>()?;
    module.add_function(wrap_pyfunction!(trace_start, module)?)?;
    module.add_function(wrap_pyfunction!(trace_stop, module)?)?;
    Ok(())
}

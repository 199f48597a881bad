//! One driver thread per worker slot: it starts the slot's child, feeds it
//! jobs, reads their replies, and replaces the child when it dies, runs
//! past a timeout, is cancelled or reaches `max_jobs_per_child`.
//!
//! Short jobs are pipelined (several requests in the pipe ahead of the
//! one running) so the child never waits for a round trip; long jobs are
//! sent one at a time so none waits behind another in a busy child while a
//! second child is idle. Requests are written ahead only while everything
//! in flight fits in a pipe's buffer, so the parent never blocks writing
//! while the child blocks writing a large reply. Children are spawned from
//! this thread, which lives as long as the pool, because the parent-death
//! signal follows the thread that spawned the child.
//!
//! A child killed to cancel its running job may be killed just after that
//! job answered, while the next job in its pipe runs; the kill names the
//! cancelled job, so the driver requeues the next one instead of failing
//! it with `WorkerDied`.
//!
//! The driver also traces its jobs' runs on the child's lane, on the
//! child's behalf: Running when a job reaches the head of the child's
//! pipeline (the child runs them in order), Terminated when its reply or
//! its failure arrives. At that same Running moment it calls the pool's
//! `on_job_start` hook, if it has one.

use std::collections::VecDeque;
use std::io::{BufWriter, Write};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::frame::{write_frame, FrameReader, ReadError};
use super::protocol::Reply;
use super::shared::{QueuedJob, Shared};
use super::spawn::{self, describe, spawn_child};
use crate::task::{JobError, State};
use crate::trace;

/// The least time a new child gets to answer its initializer.
const INITIALIZER_TIME: Duration = Duration::from_secs(60);
/// Jobs faster than this are pipelined.
const SHORT_JOB: Duration = Duration::from_micros(200);
/// At most this many short jobs in flight per child.
const PIPELINE_DEPTH: usize = 32;
/// How long a retired child (pool shutdown, `max_jobs_per_child`) may take
/// to exit once its request pipe is closed before it is killed. It holds
/// no job. It normally exits at once; it never sees end of file when
/// another process holds a copy of the pipe's write end — a `fork` of the
/// parent after the child started, which Python's fork-based process
/// pools make — and without this bound the shutdown would wait forever.
const RETIRE_GRACE: Duration = Duration::from_secs(2);
/// Requests written ahead stay below this many bytes, well under the
/// smallest pipe buffer Linux gives by default (64 KiB).
const PIPELINE_BYTES: usize = 16 * 1024;

#[derive(Debug)]
struct Worker {
    child: Child,
    requests: BufWriter<std::fs::File>,
    replies: FrameReader,
    /// Writing to the child failed (it has died): send nothing more, and
    /// read the replies it left in the pipe before the driver sees it gone.
    broken: bool,
}

/// How a child came to an end.
#[derive(Debug)]
enum Ending {
    /// It exited or was killed from outside (or by a cancel).
    Died,
    /// Its running job passed the timeout.
    TimedOut,
    /// It broke the protocol.
    Protocol(String),
}

pub(crate) struct Driver {
    shared: Arc<Shared>,
    index: usize,
    worker: Option<Worker>,
    in_flight: VecDeque<QueuedJob>,
    in_flight_bytes: usize,
    /// When the oldest job in flight started running.
    head_started: Instant,
    /// Jobs sent to the current child.
    sent: u64,
    /// A moving average of job run time, in nanoseconds.
    average_nanos: Option<u64>,
}

impl Driver {
    pub(crate) fn new(shared: Arc<Shared>, index: usize) -> Driver {
        Driver {
            shared,
            index,
            worker: None,
            in_flight: VecDeque::new(),
            in_flight_bytes: 0,
            head_started: Instant::now(),
            sent: 0,
            average_nanos: None,
        }
    }

    pub(crate) fn run(mut self) {
        loop {
            if self.worker.is_none() {
                if let Err(reason) = self.start_worker() {
                    // Fail one job per failed start, so a broken setup
                    // neither spins nor leaves a ticket hanging.
                    match self.shared.take_job(true) {
                        Some(job) => job.slot.complete(Err(JobError::WorkerDied(reason))),
                        None => break,
                    }
                    continue;
                }
            }
            if !self.send_jobs() {
                break;
            }
            if self.in_flight.is_empty() {
                if self.worker.is_some() {
                    // The child reached max_jobs_per_child: replace it.
                    self.retire_worker();
                }
                continue;
            }
            self.read_reply();
        }
        self.retire_worker();
    }

    fn start_worker(&mut self) -> Result<(), String> {
        let config = &self.shared.config;
        let spawned = spawn_child(&config.child)
            .map_err(|error| format!("could not start a worker process: {error}"))?;
        let pid = spawned.child.id();
        self.worker = Some(Worker {
            child: spawned.child,
            requests: BufWriter::with_capacity(PIPELINE_BYTES, spawned.requests),
            replies: FrameReader::new(spawned.replies, config.child.frame_limit),
            broken: false,
        });
        self.sent = 0;
        {
            let mut status = self.shared.status(self.index);
            status.pid = Some(pid);
            status.cancel_kill = None;
        }
        if self.shared.is_closed() {
            // `close` may have looked at the status before the pid was there.
            spawn::kill(pid);
        }
        let Some(initializer) = config.initializer.clone() else {
            return Ok(());
        };
        let outcome = self.run_initializer(&initializer);
        if outcome.is_err() {
            self.end_worker_quietly();
        }
        outcome
    }

    fn run_initializer(&mut self, request: &[u8]) -> Result<(), String> {
        // A child's start-up (an interpreter importing its modules, say)
        // happens before it answers its initializer: give it at least
        // INITIALIZER_TIME, so a short job timeout does not fail start-ups.
        let deadline = self
            .shared
            .config
            .timeout
            .map(|t| Instant::now() + t.max(INITIALIZER_TIME));
        let Some(worker) = self.worker.as_mut() else {
            return Err("no worker".to_owned());
        };
        let failed = |text: String| format!("the initializer failed: {text}");
        write_frame(&mut worker.requests, &[request])
            .and_then(|()| worker.requests.flush())
            .map_err(|error| failed(error.to_string()))?;
        let frame = worker
            .replies
            .read_frame(deadline)
            .map_err(|error| failed(error.to_string()))?;
        match Reply::parse(frame).map(Reply::into_result) {
            Some(Ok(_)) => Ok(()),
            Some(Err(error)) => Err(failed(error.to_string())),
            None => Err(failed("a malformed reply".to_owned())),
        }
    }

    fn depth(&self) -> usize {
        match self.average_nanos {
            Some(nanos) if nanos < SHORT_JOB.as_nanos() as u64 => PIPELINE_DEPTH,
            _ => 1,
        }
    }

    /// Sends what the pipeline has room for. Returns false when the pool
    /// is stopping and nothing is left to do.
    fn send_jobs(&mut self) -> bool {
        let depth = self.depth();
        let max_jobs = self.shared.config.max_jobs_per_child.unwrap_or(u64::MAX);
        if self.worker.as_ref().is_some_and(|worker| worker.broken) {
            return true;
        }
        let mut wrote = false;
        let mut failed = false;
        while self.in_flight.len() < depth && self.sent < max_jobs {
            let first = self.in_flight.is_empty();
            if !first && self.in_flight_bytes >= PIPELINE_BYTES {
                break;
            }
            let Some(job) = self.shared.take_job(first) else {
                if first {
                    return false;
                }
                break;
            };
            if job.slot.is_abandoned() {
                continue;
            }
            let size = job.request.len() + 4;
            if !first && self.in_flight_bytes + size > PIPELINE_BYTES {
                self.shared.requeue_front(std::iter::once(job));
                break;
            }
            let Some(worker) = self.worker.as_mut() else {
                self.shared.requeue_front(std::iter::once(job));
                return true;
            };
            if first {
                self.head_started = Instant::now();
                self.shared.status(self.index).running = Some(job.id);
                trace::record_process(job.id, State::Running, worker.child.id());
                if let Some(hook) = &self.shared.config.on_start {
                    (hook.0)(job.id);
                }
            }
            failed = write_frame(&mut worker.requests, &[&job.request]).is_err();
            self.sent += 1;
            self.in_flight_bytes += size;
            self.in_flight.push_back(job);
            wrote = true;
            if failed {
                break;
            }
        }
        if wrote && !failed {
            if let Some(worker) = self.worker.as_mut() {
                failed = worker.requests.flush().is_err();
            }
        }
        if failed {
            match self.worker.as_mut() {
                Some(worker) => worker.broken = true,
                None => self.end_worker(Ending::Died),
            }
        }
        true
    }

    fn read_reply(&mut self) {
        let timeout = self
            .in_flight
            .front()
            .and_then(|job| job.timeout)
            .or(self.shared.config.timeout);
        let deadline = timeout.map(|t| self.head_started + t);
        let Some(worker) = self.worker.as_mut() else {
            return;
        };
        match worker.replies.read_frame(deadline) {
            Ok(frame) => {
                let Some(job) = self.in_flight.pop_front() else {
                    self.end_worker(Ending::Protocol("a reply nobody asked for".to_owned()));
                    return;
                };
                let now = Instant::now();
                let nanos = u64::try_from((now - self.head_started).as_nanos()).unwrap_or(u64::MAX);
                self.average_nanos = Some(match self.average_nanos {
                    Some(average) => average - average / 8 + nanos / 8,
                    None => nanos,
                });
                self.head_started = now;
                self.in_flight_bytes -= job.request.len() + 4;
                let next = self.in_flight.front().map(|job| job.id);
                self.shared.status(self.index).running = next;
                match Reply::parse(frame) {
                    Some(reply) => {
                        let pid = worker.child.id();
                        trace::record_process(job.id, State::Terminated, pid);
                        job.slot.complete(reply.into_result());
                        if let Some(next) = next {
                            // Sent ahead, it starts as soon as this reply is out.
                            trace::record_process(next, State::Running, pid);
                            if let Some(hook) = &self.shared.config.on_start {
                                (hook.0)(next);
                            }
                        }
                    }
                    None => {
                        self.in_flight.push_front(job);
                        self.end_worker(Ending::Protocol("a malformed reply frame".to_owned()));
                    }
                }
            }
            Err(ReadError::TimedOut) => self.end_worker(Ending::TimedOut),
            Err(ReadError::Closed) => self.end_worker(Ending::Died),
            Err(error) => self.end_worker(Ending::Protocol(error.to_string())),
        }
    }

    /// Kills and reaps the child; forgets it in the shared status first so
    /// nobody signals a pid that may be reused once reaped.
    fn reap(&mut self) -> Option<std::io::Result<std::process::ExitStatus>> {
        let mut worker = self.worker.take()?;
        {
            let mut status = self.shared.status(self.index);
            status.pid = None;
            status.running = None;
            status.cancel_kill = None;
        }
        spawn::kill(worker.child.id());
        Some(worker.child.wait())
    }

    fn end_worker_quietly(&mut self) {
        drop(self.reap());
    }

    /// The child is gone or must go: the job it held fails, the jobs
    /// queued behind it in its pipe go back to the pool's queue.
    fn end_worker(&mut self, ending: Ending) {
        let pid = self.worker.as_ref().map(|worker| worker.child.id());
        let cancel_kill = self.shared.status(self.index).cancel_kill;
        let Some(status) = self.reap() else {
            return;
        };
        let mut jobs = std::mem::take(&mut self.in_flight);
        self.in_flight_bytes = 0;
        // Killed to cancel a job that had already answered: the job it was
        // running when the kill landed did nothing wrong, and goes back to
        // the queue with the others (it may have started: jobs that must
        // not run twice should not be cancelled while others queue behind
        // them in one child).
        let held_is_innocent = matches!(ending, Ending::Died)
            && !self.shared.is_closed()
            && cancel_kill
                .is_some_and(|cancelled| jobs.front().is_some_and(|held| held.id != cancelled));
        if held_is_innocent {
            self.shared.requeue_front(jobs.into_iter());
            return;
        }
        if let Some(held) = jobs.pop_front() {
            let error = if self.shared.is_closed() {
                JobError::Shutdown
            } else {
                match ending {
                    Ending::TimedOut => JobError::TimedOut,
                    Ending::Died => JobError::WorkerDied(match status {
                        Ok(status) => describe(status),
                        Err(error) => format!("the worker could not be waited for: {error}"),
                    }),
                    Ending::Protocol(text) => {
                        JobError::WorkerDied(format!("the worker broke the protocol: {text}"))
                    }
                }
            };
            if let Some(pid) = pid {
                trace::record_process(held.id, State::Terminated, pid);
            }
            held.slot.complete(Err(error));
        }
        if self.shared.is_closed() {
            for job in jobs {
                job.slot.complete(Err(JobError::Shutdown));
            }
        } else {
            self.shared.requeue_front(jobs.into_iter());
        }
    }

    /// Ends the child with nothing in flight: closing its pipe lets it exit
    /// on its own; a pool being dropped kills it instead.
    fn retire_worker(&mut self) {
        if !self.in_flight.is_empty() {
            self.end_worker(Ending::Died);
            return;
        }
        let Some(worker) = self.worker.take() else {
            return;
        };
        let Worker {
            mut child,
            requests,
            replies,
            broken: _,
        } = worker;
        {
            let mut status = self.shared.status(self.index);
            status.pid = None;
            status.running = None;
        }
        drop(requests);
        drop(replies);
        // Closed pipe: an idle child exits promptly; this reaps it. One that
        // does not (see RETIRE_GRACE), or any once the pool is dropped, is
        // killed: it holds no job.
        let deadline = Instant::now() + RETIRE_GRACE;
        let mut pause = Duration::from_micros(100);
        while !self.shared.is_closed() && Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                Err(_) => break,
            }
        }
        spawn::kill(child.id());
        let _ = child.wait();
    }
}

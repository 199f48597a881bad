//! The lab's jobs, the same in every mode (and in `py/lab.py`):
//!
//! - `io`: one TCP round trip to the in-process delay server (connect,
//!   send `"<job>\n"`, read the token it answers after its delay);
//! - `cpu`: SHA-256 chained `rounds` times from `"deli-lab-<job>"`;
//! - `mixed`: the round trip, then the chain from the token it answered.
//!
//! Each job's value is a string the lab checks against [`expected`], and it
//! reports its own [`Span`]s: `Waiting` while it waits for the server or
//! for a pool, `Running` while it hashes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::clock::{monotonic_ns, thread_lane};

/// What kind of work each job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// TCP round trips to a server that answers after a delay.
    Io,
    /// SHA-256 chains.
    Cpu,
    /// A round trip, then a chain from its answer.
    Mixed,
}

impl Workload {
    pub const ALL: [Workload; 3] = [Workload::Io, Workload::Cpu, Workload::Mixed];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Io => "io",
            Workload::Cpu => "cpu",
            Workload::Mixed => "mixed",
        }
    }
}

/// Everything a job needs, sent as is to worker processes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobSpec {
    pub workload: Workload,
    /// SHA-256 rounds per CPU part.
    pub rounds: u64,
    /// The delay server's address.
    pub server: String,
}

/// A stretch of time a job spent in one state on one lane; times are
/// `CLOCK_MONOTONIC` nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub lane: String,
    pub state: SpanState,
    pub start_ns: u64,
    pub end_ns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpanState {
    Running,
    Waiting,
}

/// A job's value and where its time went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOutput {
    pub job: u64,
    pub value: String,
    pub spans: Vec<Span>,
}

/// How long a blocking client waits for the server before giving up.
const IO_BOUND: Duration = Duration::from_secs(30);

/// SHA-256 applied `rounds` times to `seed`; hex digest.
pub fn chain(seed: &[u8], rounds: u64) -> String {
    let mut digest = seed.to_vec();
    for _ in 0..rounds {
        digest = Sha256::digest(&digest).to_vec();
    }
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What the delay server answers for `job`.
pub fn token(job: u64) -> String {
    format!(
        "token-{:08x}",
        job.wrapping_mul(2_654_435_761) & 0xffff_ffff
    )
}

fn seed(job: u64) -> String {
    format!("deli-lab-{job}")
}

/// The value a correct run of `job` produces.
pub fn expected(spec: &JobSpec, job: u64) -> String {
    match spec.workload {
        Workload::Io => token(job),
        Workload::Cpu => chain(seed(job).as_bytes(), spec.rounds),
        Workload::Mixed => chain(token(job).as_bytes(), spec.rounds),
    }
}

fn span(lane: String, state: SpanState, start_ns: u64) -> Span {
    Span {
        lane,
        state,
        start_ns,
        end_ns: monotonic_ns(),
    }
}

/// Runs `job` on this thread with blocking calls; `lane` names where.
pub fn run_blocking(spec: &JobSpec, job: u64, lane: &str) -> Result<JobOutput, String> {
    let mut spans = Vec::new();
    let cpu_seed = match spec.workload {
        Workload::Cpu => seed(job),
        Workload::Io | Workload::Mixed => {
            let start = monotonic_ns();
            let reply = fetch_blocking(&spec.server, job)
                .map_err(|error| format!("job {job}: round trip to {}: {error}", spec.server))?;
            spans.push(span(lane.to_owned(), SpanState::Waiting, start));
            if spec.workload == Workload::Io {
                return Ok(JobOutput {
                    job,
                    value: reply,
                    spans,
                });
            }
            reply
        }
    };
    let start = monotonic_ns();
    let value = chain(cpu_seed.as_bytes(), spec.rounds);
    spans.push(span(lane.to_owned(), SpanState::Running, start));
    Ok(JobOutput { job, value, spans })
}

fn fetch_blocking(server: &str, job: u64) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(server)?;
    stream.set_read_timeout(Some(IO_BOUND))?;
    stream.set_write_timeout(Some(IO_BOUND))?;
    stream.write_all(format!("{job}\n").as_bytes())?;
    let mut reply = Vec::new();
    let mut buffer = [0u8; 64];
    while !reply.ends_with(b"\n") {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        reply.extend_from_slice(&buffer[..read]);
    }
    Ok(String::from_utf8_lossy(&reply).trim().to_owned())
}

/// Where an async job's CPU part runs.
#[derive(Debug, Clone)]
pub enum CpuPlace {
    /// In the task itself, holding its worker thread.
    Inline,
    /// On a thread pool, the task waiting for its ticket.
    Pool(Arc<deli::ThreadPool>),
}

/// Runs `job` as an async task on a deli runtime.
pub async fn run_async(spec: Arc<JobSpec>, job: u64, cpu: CpuPlace) -> Result<JobOutput, String> {
    let mut spans = Vec::new();
    let cpu_seed = match spec.workload {
        Workload::Cpu => seed(job),
        Workload::Io | Workload::Mixed => {
            let lane = thread_lane();
            let start = monotonic_ns();
            let reply = deli::timeout(IO_BOUND, fetch_async(&spec.server, job))
                .await
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))
                .and_then(|reply| reply)
                .map_err(|error| format!("job {job}: round trip to {}: {error}", spec.server))?;
            spans.push(span(lane, SpanState::Waiting, start));
            if spec.workload == Workload::Io {
                return Ok(JobOutput {
                    job,
                    value: reply,
                    spans,
                });
            }
            reply
        }
    };
    let rounds = spec.rounds;
    let lane = thread_lane();
    let start = monotonic_ns();
    let value = match cpu {
        CpuPlace::Inline => {
            let value = chain(cpu_seed.as_bytes(), rounds);
            spans.push(span(lane, SpanState::Running, start));
            value
        }
        CpuPlace::Pool(pool) => {
            let ticket = pool.submit(move || {
                let start = monotonic_ns();
                let value = chain(cpu_seed.as_bytes(), rounds);
                (value, span(thread_lane(), SpanState::Running, start))
            });
            let (value, running) = ticket
                .await
                .map_err(|error| format!("job {job}: pool job: {error}"))?;
            spans.push(span(lane, SpanState::Waiting, start));
            spans.push(running);
            value
        }
    };
    Ok(JobOutput { job, value, spans })
}

async fn fetch_async(server: &str, job: u64) -> std::io::Result<String> {
    let mut stream = deli::net::TcpStream::connect(server).await?;
    stream.write_all(format!("{job}\n").as_bytes()).await?;
    let mut reply = Vec::new();
    let mut buffer = [0u8; 64];
    while !reply.ends_with(b"\n") {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        reply.extend_from_slice(&buffer[..read]);
    }
    Ok(String::from_utf8_lossy(&reply).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_is_sha256_repeated() {
        // sha256("abc"), a published test vector.
        assert_eq!(
            chain(b"abc", 1),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(chain(b"abc", 0), "616263");
    }

    #[test]
    fn tokens_differ_per_job() {
        assert_ne!(token(1), token(2));
        assert_eq!(token(0), "token-00000000");
    }
}

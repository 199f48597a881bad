//! What the parent and a worker child say to each other: the frame
//! protocol, complete enough to write a worker in any language from it
//! (deli's Python worker, `deli/_worker.py` in `crates/deli-py`, was).
//!
//! # Starting
//!
//! The parent starts each child as this executable re-executed, or as the
//! program given to `ProcessPoolBuilder::program` with its arguments. The
//! child inherits two pipe ends: it **reads requests from fd 3** and
//! **writes replies to fd 4**. Its stdin is `/dev/null`; stdout and stderr
//! are the parent's, so whatever a job prints never mixes with frames. Its
//! environment has `DELI_PROCESS_WORKER=1`, `DELI_PROCESS_FRAME_LIMIT=<n>`
//! (the frame limit in bytes, decimal) and the pool's `env` settings. On
//! Linux it gets `SIGKILL` when the parent dies (`PR_SET_PDEATHSIG`) and,
//! with a memory limit, an `RLIMIT_AS` of that many bytes. There is no
//! handshake: a child is ready when it reads fd 3.
//!
//! # Frames
//!
//! Both directions use the same framing: a little-endian `u32` payload
//! length `n`, then `n` payload bytes. `n` may be 0. Neither side sends a
//! frame over the frame limit (default 256 MiB, at most 4 GiB − 1); the
//! reader checks the length before reading or allocating the payload.
//!
//! ```text
//! frame   = len:u32le payload:[u8; len]
//! request = name_len:u16le name:[u8; name_len] (UTF-8) arguments:[u8]   (rest of the frame)
//! reply   = tag:u8 body:[u8]                                            (rest of the frame)
//! ```
//!
//! A **request** names the job and carries its argument bytes, whose
//! encoding is between the submitter and the worker: postcard for
//! `#[deli::job]` functions (`module_path::function`), pickle for the
//! Python worker (`deli.call`, `deli.init`). A **reply** is one tag byte
//! and a body:
//!
//! | tag | meaning | body | the ticket says |
//! |---|---|---|---|
//! | 0 | value | the job's value bytes | `Ok(value)` (decoded, or raw for `submit_raw`) |
//! | 1 | error | UTF-8 text of the job's own error, or of an unknown job name | `JobError::Remote(text)` |
//! | 2 | panic | UTF-8 panic or crash message; the worker carried on | `JobError::Panicked(text)` |
//!
//! Any other tag, or an empty reply payload, is malformed. Text bodies are
//! read lossily (bad UTF-8 becomes U+FFFD), never refused.
//!
//! One job name is reserved: `deli::process::batch` carries several items
//! of one job in one request (what `ProcessPool::map` sends with a
//! `chunksize` above 1); its argument and value layouts are in
//! `crates/deli/src/process/batch.rs`. A worker that does not implement it
//! answers tag 1 like for any unknown job, and the pool fails that chunk's
//! items with its text.
//!
//! # Order, pipelining and flushing
//!
//! The child runs requests one at a time in the order they arrive and
//! sends exactly one reply per request, in the same order. The parent may
//! write several requests ahead (up to 32, and only while they fit in
//! 16 KiB, so neither side blocks the other on a full pipe); the child
//! must not rely on seeing them one by one. A child **flushes each reply
//! before it starts the next request**: the parent counts replies to know
//! which job a child held when it died.
//!
//! If the pool has an initializer, it is the first request every new
//! child gets; a reply other than tag 0 (or the child dying) discards the
//! child, and one waiting job fails with `WorkerDied` saying why. It has
//! the pool's timeout or 60 s, whichever is longer, to answer (a child's
//! start-up counts against it); job timeouts count from when a job is
//! written to the child, so a worker that starts slowly should be given
//! an initializer (deli's Python pool always sends one).
//!
//! # Ending, dying and errors
//!
//! - The parent closes its end of fd 3 to retire a child (pool shutdown,
//!   `max_jobs_per_child`): on end of file the child exits, status 0. A
//!   retired child still alive 2 s later gets `SIGKILL` (it may never see
//!   end of file when a `fork` of the parent holds a copy of the pipe).
//! - A job past its timeout, a cancelled running job, and a dropped pool
//!   end the child with `SIGKILL`; the parent reaps every child it starts.
//! - A child that exits or is killed while holding a job fails that job
//!   only, with `JobError::WorkerDied("the worker exited with status N")`
//!   or `WorkerDied("the worker was killed by signal N (NAME)")`; jobs
//!   written behind it go back to the queue, and a new child is started.
//! - A malformed reply, an oversized reply or a reply nobody asked for
//!   makes the parent kill the child and fail its held job with
//!   `WorkerDied("the worker broke the protocol: …")`. The parent itself
//!   never panics or stops on a bad frame.
//! - A child that reads a malformed or oversized request should write a
//!   line to stderr and exit with status 70 (what deli's own children
//!   do); the parent sees a dead worker.

use crate::task::{JobError, Panic};

const VALUE: u8 = 0;
const REMOTE: u8 = 1;
const PANICKED: u8 = 2;

/// Starts a request for `name`; the caller appends the encoded arguments.
pub(crate) fn request_head(name: &str) -> Result<Vec<u8>, JobError> {
    let length = u16::try_from(name.len())
        .map_err(|_| JobError::Remote(format!("job name too long: {name}")))?;
    let mut request = Vec::with_capacity(2 + name.len() + 16);
    request.extend_from_slice(&length.to_le_bytes());
    request.extend_from_slice(name.as_bytes());
    Ok(request)
}

/// Splits a request into job name and argument bytes.
pub(crate) fn parse_request(request: &[u8]) -> Option<(&str, &[u8])> {
    let (length, rest) = request.split_first_chunk::<2>()?;
    let length = usize::from(u16::from_le_bytes(*length));
    let name = std::str::from_utf8(rest.get(..length)?).ok()?;
    Some((name, &rest[length..]))
}

/// A job's outcome as the child reports it.
#[derive(Debug)]
pub(crate) enum Reply {
    Value(Vec<u8>),
    Remote(String),
    Panicked(String),
}

impl Reply {
    /// The tag and body to frame.
    pub(crate) fn parts(&self) -> (u8, &[u8]) {
        match self {
            Reply::Value(bytes) => (VALUE, bytes),
            Reply::Remote(text) => (REMOTE, text.as_bytes()),
            Reply::Panicked(text) => (PANICKED, text.as_bytes()),
        }
    }

    /// Reads a reply frame; `None` when it is malformed.
    pub(crate) fn parse(mut frame: Vec<u8>) -> Option<Reply> {
        let tag = *frame.first()?;
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        match tag {
            VALUE => {
                frame.remove(0);
                Some(Reply::Value(frame))
            }
            REMOTE => Some(Reply::Remote(text(&frame[1..]))),
            PANICKED => Some(Reply::Panicked(text(&frame[1..]))),
            _ => None,
        }
    }

    /// The ticket's view: value bytes to decode, or the job's error.
    pub(crate) fn into_result(self) -> Result<Vec<u8>, JobError> {
        match self {
            Reply::Value(bytes) => Ok(bytes),
            Reply::Remote(text) => Err(JobError::Remote(text)),
            Reply::Panicked(text) => Err(JobError::Panicked(Panic::from_message(text))),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_round_trip_and_garbage_is_refused() {
        let mut request = request_head("a::b").unwrap();
        request.extend_from_slice(&[1, 2]);
        assert_eq!(parse_request(&request), Some(("a::b", &[1u8, 2][..])));
        assert_eq!(parse_request(&[9, 0, b'x']), None);

        let reply = Reply::Remote("no".into());
        let (tag, body) = reply.parts();
        let mut frame = vec![tag];
        frame.extend_from_slice(body);
        assert!(matches!(Reply::parse(frame), Some(Reply::Remote(text)) if text == "no"));
        assert!(Reply::parse(vec![7]).is_none());
        assert!(Reply::parse(Vec::new()).is_none());
    }
}

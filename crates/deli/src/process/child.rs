//! The worker side: what a re-executed child does instead of `main`.
//!
//! It reads request frames from fd 3, runs the named job (a panic is caught
//! and reported; the child keeps serving) and writes reply frames to fd 4,
//! each flushed before the next job starts. It exits when
//! the parent closes the pipe; a malformed frame makes it exit with a
//! message, which the parent sees as a dead worker. A batch request (see
//! `batch`) runs each of its items the same way. Uses `batch`, `frame`,
//! `protocol` and `registry`.

use std::io::{BufWriter, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use super::batch;
use super::frame::{write_frame, FrameReader, ReadError};
use super::protocol::{parse_request, Reply};
use super::registry;
use crate::task::JobError;

/// The descriptor a child reads requests from.
pub(crate) const REQUEST_FD: i32 = 3;
/// The descriptor a child writes replies to.
pub(crate) const REPLY_FD: i32 = 4;
/// Exit status of a child that received a malformed frame.
const PROTOCOL_ERROR_EXIT: i32 = 70;

/// Serves jobs until the parent goes away, then exits the process.
pub(crate) fn serve(frame_limit: usize) -> ! {
    // SAFETY: the parent set up fds 3 and 4 as this process's ends of the
    // two pipes before exec (see `spawn`); nothing else in the child owns them.
    let (requests, replies) = unsafe {
        (
            OwnedFd::from_raw_fd(REQUEST_FD),
            std::fs::File::from_raw_fd(REPLY_FD),
        )
    };
    let mut reader = FrameReader::new(requests, frame_limit);
    let mut writer = BufWriter::with_capacity(64 * 1024, replies);
    loop {
        let request = match reader.read_frame(None) {
            Ok(request) => request,
            Err(ReadError::Closed) => std::process::exit(0),
            Err(error) => {
                eprintln!("deli worker {}: {error}", std::process::id());
                std::process::exit(PROTOCOL_ERROR_EXIT);
            }
        };
        let Some((name, arguments)) = parse_request(&request) else {
            eprintln!("deli worker {}: a malformed request", std::process::id());
            std::process::exit(PROTOCOL_ERROR_EXIT);
        };
        let reply = run(name, arguments);
        let (tag, body) = reply.parts();
        // Flushed before the next job starts: if that job kills the
        // process, every earlier reply has reached the parent, so the
        // parent knows which job the child died holding.
        let written = write_frame(&mut writer, &[&[tag], body]).and_then(|()| writer.flush());
        if written.is_err() {
            // The parent is gone or stopped listening: nothing left to do.
            std::process::exit(0);
        }
    }
}

fn run(name: &str, arguments: &[u8]) -> Reply {
    if name == batch::BATCH_JOB {
        return run_batch(arguments);
    }
    let Some(entry) = registry::find(name) else {
        return Reply::Remote(format!(
            "no job named `{name}` is registered in this executable"
        ));
    };
    match catch_unwind(AssertUnwindSafe(|| (entry.run)(arguments))) {
        Ok(Ok(value)) => Reply::Value(value),
        Ok(Err(text)) => Reply::Remote(text),
        Err(payload) => match JobError::from_panic(payload) {
            JobError::Panicked(panic) => Reply::Panicked(panic.message().to_owned()),
            other => Reply::Panicked(other.to_string()),
        },
    }
}

/// Runs every item of a batch (see `batch`), each under its own panic
/// guard, and lays their replies out as the batch's value.
fn run_batch(arguments: &[u8]) -> Reply {
    let Some((name, items)) = batch::parse_arguments(arguments) else {
        return Reply::Remote("a malformed batch request".to_owned());
    };
    if name == batch::BATCH_JOB {
        return Reply::Remote("a batch inside a batch".to_owned());
    }
    let start = Instant::now();
    let replies: Vec<Reply> = items.into_iter().map(|item| run(name, item)).collect();
    let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    Reply::Value(batch::encode_results(&replies, nanos))
}

//! What travels through Redis: the fields of a job entry, and a job's
//! outcome as one byte string (a tag, then the value's postcard bytes or
//! an error's text). Decoding is defensive: bad bytes are an error, never
//! a panic.

use std::collections::HashMap;

use redis::Value;

use crate::task::{JobError, Panic};

/// Entry field: the job's id.
pub(crate) const FIELD_JOB: &str = "j";
/// Entry field: the postcard-encoded arguments.
pub(crate) const FIELD_ARGUMENTS: &str = "a";
/// Entry field: the client's outcome stream.
pub(crate) const FIELD_REPLY: &str = "r";
/// Entry field: the job's timeout in milliseconds (0: none).
pub(crate) const FIELD_TIMEOUT: &str = "t";
/// Entry field: how many times a dead worker's job is run again.
pub(crate) const FIELD_RETRIES: &str = "m";
/// Outcome-stream field: the outcome.
pub(crate) const FIELD_OUTCOME: &str = "o";

const VALUE: u8 = 0;
const REMOTE: u8 = 1;
const PANICKED: u8 = 2;
const WORKER_DIED: u8 = 3;
const TIMED_OUT: u8 = 4;
const CANCELLED: u8 = 5;
const SHUTDOWN: u8 = 6;

/// Encodes a job's outcome for the result key and the outcome stream.
pub(crate) fn encode_outcome(outcome: &Result<Vec<u8>, JobError>) -> Vec<u8> {
    let (tag, body): (u8, &[u8]) = match outcome {
        Ok(bytes) => (VALUE, bytes),
        Err(JobError::Remote(text)) => (REMOTE, text.as_bytes()),
        Err(JobError::Panicked(panic)) => (PANICKED, panic.message().as_bytes()),
        Err(JobError::WorkerDied(text)) => (WORKER_DIED, text.as_bytes()),
        Err(JobError::TimedOut) => (TIMED_OUT, &[]),
        Err(JobError::Cancelled) => (CANCELLED, &[]),
        Err(other) => {
            let mut encoded = vec![SHUTDOWN];
            encoded.extend_from_slice(other.to_string().as_bytes());
            return encoded;
        }
    };
    let mut encoded = Vec::with_capacity(1 + body.len());
    encoded.push(tag);
    encoded.extend_from_slice(body);
    encoded
}

/// Decodes what [`encode_outcome`] wrote.
pub(crate) fn decode_outcome(encoded: &[u8]) -> Result<Vec<u8>, JobError> {
    let Some((&tag, body)) = encoded.split_first() else {
        return Err(JobError::Remote("cluster: an empty outcome".into()));
    };
    let text = || String::from_utf8_lossy(body).into_owned();
    match tag {
        VALUE => Ok(body.to_vec()),
        REMOTE => Err(JobError::Remote(text())),
        PANICKED => Err(JobError::Panicked(Panic::from_message(text()))),
        WORKER_DIED => Err(JobError::WorkerDied(text())),
        TIMED_OUT => Err(JobError::TimedOut),
        CANCELLED => Err(JobError::Cancelled),
        SHUTDOWN => Err(JobError::Shutdown),
        _ => Err(JobError::Remote(format!(
            "cluster: an outcome with unknown tag {tag}"
        ))),
    }
}

/// A field's bytes, whatever string form Redis sent them in.
pub(crate) fn bytes_of(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(text) => Some(text.as_bytes()),
        _ => None,
    }
}

/// A field as text.
pub(crate) fn text_of(fields: &HashMap<String, Value>, name: &str) -> Option<String> {
    bytes_of(fields.get(name)?).map(|bytes| String::from_utf8_lossy(bytes).into_owned())
}

/// A field as a number.
pub(crate) fn number_of(fields: &HashMap<String, Value>, name: &str) -> Option<u64> {
    text_of(fields, name)?.parse().ok()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_and_garbage_is_an_error() {
        for outcome in [
            Ok(vec![1, 2, 3]),
            Err(JobError::Remote("no".into())),
            Err(JobError::Panicked("boom".into())),
            Err(JobError::WorkerDied("signal 9".into())),
            Err(JobError::TimedOut),
            Err(JobError::Cancelled),
        ] {
            assert_eq!(decode_outcome(&encode_outcome(&outcome)), outcome);
        }
        assert!(decode_outcome(&[]).is_err());
        assert!(decode_outcome(&[99]).is_err());
    }
}

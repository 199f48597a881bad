//! Several items of one job in one request: what `ProcessPool::map` sends
//! when given a `chunksize` above 1, so that many small items cost a frame
//! (and a driver round trip) per chunk rather than per item.
//!
//! A batch is an ordinary request for the reserved job name
//! [`BATCH_JOB`]; its argument bytes and its value bytes are laid out here
//! (little-endian lengths, no serde, so an item's bytes are copied once):
//!
//! ```text
//! batch arguments = name_len:u16le name:[u8] { item_len:u32le item:[u8] }*
//! batch value     = nanos:u64le { tag:u8 body_len:u32le body:[u8] }*   (one per item, in order)
//! ```
//!
//! `name` is the job every item runs; each `item` is its argument bytes;
//! `nanos` is how long the child took to run the items, from which `map`
//! sizes its next chunks; each result has the tags of a reply (0 value,
//! 1 error, 2 panic, see `protocol`). A deli child runs the items one after another, each under
//! its own panic guard, so one failing item fails only its own position.
//! A worker that does not know [`BATCH_JOB`] answers with its usual error
//! for an unknown job, which the pool gives to every item of the chunk.
//! Uses `protocol` only.

use super::protocol::{request_head, Reply};
use crate::task::JobError;

/// The reserved job name of a batch request.
pub(crate) const BATCH_JOB: &str = "deli::process::batch";

/// A batch request's payload being built: the job name, then items.
pub(crate) struct BatchRequest {
    request: Vec<u8>,
    items: usize,
}

impl BatchRequest {
    /// A batch of `job`'s items (none yet).
    pub(crate) fn new(job: &str) -> Result<BatchRequest, JobError> {
        let mut request = request_head(BATCH_JOB)?;
        let name = u16::try_from(job.len())
            .map_err(|_| JobError::Remote(format!("job name too long: {job}")))?;
        request.extend_from_slice(&name.to_le_bytes());
        request.extend_from_slice(job.as_bytes());
        Ok(BatchRequest { request, items: 0 })
    }

    /// Appends one item's argument bytes as `write` produces them.
    pub(crate) fn push_with<E>(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        let at = self.request.len();
        self.request.extend_from_slice(&[0; 4]);
        match write(&mut self.request) {
            Ok(()) => {
                let len = (self.request.len() - at - 4) as u32;
                self.request[at..at + 4].copy_from_slice(&len.to_le_bytes());
                self.items += 1;
                Ok(())
            }
            Err(error) => {
                self.request.truncate(at);
                Err(error)
            }
        }
    }

    pub(crate) fn items(&self) -> usize {
        self.items
    }

    /// The payload's size so far, in bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.request.len()
    }

    /// The whole request payload (head included).
    pub(crate) fn into_request(self) -> Vec<u8> {
        self.request
    }
}

/// Splits a batch's arguments into the job name and its items; `None`
/// when they are malformed.
pub(crate) fn parse_arguments(arguments: &[u8]) -> Option<(&str, Vec<&[u8]>)> {
    let (length, mut rest) = arguments.split_first_chunk::<2>()?;
    let length = usize::from(u16::from_le_bytes(*length));
    let name = std::str::from_utf8(rest.get(..length)?).ok()?;
    rest = &rest[length..];
    let mut items = Vec::new();
    while !rest.is_empty() {
        let (length, tail) = rest.split_first_chunk::<4>()?;
        let length = u32::from_le_bytes(*length) as usize;
        items.push(tail.get(..length)?);
        rest = &tail[length..];
    }
    Some((name, items))
}

/// Lays out the replies of a batch's items, which took `nanos` to run, as
/// its value.
pub(crate) fn encode_results(replies: &[Reply], nanos: u64) -> Vec<u8> {
    let size = 8 + replies
        .iter()
        .map(|reply| 5 + reply.parts().1.len())
        .sum::<usize>();
    let mut value = Vec::with_capacity(size);
    value.extend_from_slice(&nanos.to_le_bytes());
    for reply in replies {
        let (tag, body) = reply.parts();
        value.push(tag);
        value.extend_from_slice(&(body.len() as u32).to_le_bytes());
        value.extend_from_slice(body);
    }
    value
}

/// A batch's value read back: how long the child took to run its items,
/// and one result (value bytes or the item's error) per item.
pub(crate) struct BatchResults {
    pub(crate) nanos: u64,
    pub(crate) results: Vec<Result<Vec<u8>, JobError>>,
}

/// Reads a batch's value back; `None` when it is malformed.
pub(crate) fn decode_results(value: &[u8]) -> Option<BatchResults> {
    let (nanos, mut rest) = value.split_first_chunk::<8>()?;
    let mut results = Vec::new();
    while let Some((&tag, tail)) = rest.split_first() {
        let (length, tail) = tail.split_first_chunk::<4>()?;
        let length = u32::from_le_bytes(*length) as usize;
        let body = tail.get(..length)?;
        let mut frame = Vec::with_capacity(1 + length);
        frame.push(tag);
        frame.extend_from_slice(body);
        results.push(Reply::parse(frame)?.into_result());
        rest = &tail[length..];
    }
    Some(BatchResults {
        nanos: u64::from_le_bytes(*nanos),
        results,
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::process::protocol::parse_request;

    #[test]
    fn a_batch_round_trips_and_garbage_is_refused() {
        let mut batch = BatchRequest::new("a::job").unwrap();
        batch
            .push_with(|out| {
                out.extend_from_slice(b"xy");
                Ok::<(), ()>(())
            })
            .unwrap();
        assert!(batch
            .push_with(|out| {
                out.push(9);
                Err(())
            })
            .is_err());
        batch.push_with(|_| Ok::<(), ()>(())).unwrap();
        assert_eq!(batch.items(), 2);
        let request = batch.into_request();
        let (name, arguments) = parse_request(&request).unwrap();
        assert_eq!(name, BATCH_JOB);
        let (job, items) = parse_arguments(arguments).unwrap();
        assert_eq!(job, "a::job");
        assert_eq!(items, [&b"xy"[..], &b""[..]]);
        assert!(parse_arguments(&[1, 0, b'a', 5, 0, 0, 0, 1]).is_none());

        let value = encode_results(
            &[
                Reply::Value(vec![1, 2]),
                Reply::Panicked("boom".into()),
                Reply::Remote("bad".into()),
            ],
            1_234,
        );
        let batch = decode_results(&value).unwrap();
        assert_eq!(batch.nanos, 1_234);
        assert_eq!(
            batch.results,
            [
                Ok(vec![1, 2]),
                Err(JobError::Panicked("boom".into())),
                Err(JobError::Remote("bad".into()))
            ]
        );
        let nanos = [0; 8];
        assert!(decode_results(&[&nanos[..], &[0, 9, 0, 0, 0]].concat()).is_none());
        assert!(decode_results(&[&nanos[..], &[7, 0, 0, 0, 0]].concat()).is_none());
        assert!(decode_results(&[0, 0, 0]).is_none(), "no room for the time");
        assert!(decode_results(&nanos).unwrap().results.is_empty());
    }
}

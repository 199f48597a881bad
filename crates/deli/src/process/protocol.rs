//! What the parent and a worker child say to each other, inside frames.
//!
//! A request is `[u16 name length][job name][postcard arguments]`; a reply
//! is `[tag][bytes]` where the tag says whether the bytes are the job's
//! postcard value, its error text, a panic message or an unknown job name.
//! Both sides decode defensively: bad bytes are an error, never a panic.

use crate::task::JobError;

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
            Reply::Panicked(text) => Err(JobError::Panicked(text)),
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

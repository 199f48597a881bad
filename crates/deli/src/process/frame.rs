//! Length-prefixed, size-checked frames over a pipe.
//!
//! A frame is a little-endian `u32` payload length followed by the payload.
//! The reader refuses a length above its limit before reading (or
//! allocating) the payload, and can wait for data with a deadline, which
//! is how the parent notices a job that runs past its timeout. Calls only
//! `libc` (poll, read) and std.

use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Instant;

/// Bytes of the length prefix.
const PREFIX: usize = 4;

/// Why no frame could be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// The other end closed the pipe (the child exited or was killed).
    #[error("the pipe was closed")]
    Closed,
    /// The deadline passed before a whole frame arrived.
    #[error("timed out")]
    TimedOut,
    /// The peer announced a frame above the limit.
    #[error("a frame of {size} bytes is over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: usize },
    /// Reading failed.
    #[error("reading a frame failed: {0}")]
    Io(#[from] io::Error),
}

/// Writes one frame made of `parts` laid end to end.
pub(crate) fn write_frame(out: &mut impl Write, parts: &[&[u8]]) -> io::Result<()> {
    let length: usize = parts.iter().map(|part| part.len()).sum();
    let length = u32::try_from(length)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
    out.write_all(&length.to_le_bytes())?;
    for part in parts {
        out.write_all(part)?;
    }
    Ok(())
}

/// Reads frames from a pipe, buffering what arrives beyond one frame.
#[derive(Debug)]
pub(crate) struct FrameReader {
    fd: OwnedFd,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    limit: usize,
}

impl FrameReader {
    pub(crate) fn new(fd: OwnedFd, limit: usize) -> FrameReader {
        FrameReader {
            fd,
            buffer: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            limit,
        }
    }

    fn announced_length(&self) -> Option<usize> {
        let prefix = self.buffer.get(self.start..self.start + PREFIX)?;
        if self.end - self.start < PREFIX {
            return None;
        }
        let bytes = [prefix[0], prefix[1], prefix[2], prefix[3]];
        Some(u32::from_le_bytes(bytes) as usize)
    }

    /// Reads the next frame's payload, waiting until `deadline` at most
    /// (forever for `None`).
    pub(crate) fn read_frame(&mut self, deadline: Option<Instant>) -> Result<Vec<u8>, ReadError> {
        self.fill(PREFIX, deadline)?;
        let length = self.announced_length().unwrap_or(0);
        if length > self.limit {
            return Err(ReadError::TooLarge {
                size: length as u64,
                limit: self.limit,
            });
        }
        self.fill(PREFIX + length, deadline)?;
        let payload = self.buffer[self.start + PREFIX..self.start + PREFIX + length].to_vec();
        self.start += PREFIX + length;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        Ok(payload)
    }

    /// Makes at least `wanted` bytes available from `start`.
    fn fill(&mut self, wanted: usize, deadline: Option<Instant>) -> Result<(), ReadError> {
        if self.buffer.len() - self.start < wanted {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buffer.len() < wanted {
                self.buffer.resize(wanted, 0);
            }
        }
        while self.end - self.start < wanted {
            self.wait_readable(deadline)?;
            let free = &mut self.buffer[self.end..];
            // SAFETY: `free` is a writable buffer of `free.len()` bytes that
            // outlives the call; the fd is open (owned by `self`).
            let read =
                unsafe { libc::read(self.fd.as_raw_fd(), free.as_mut_ptr().cast(), free.len()) };
            match read {
                0 => return Err(ReadError::Closed),
                n if n > 0 => self.end += n as usize,
                _ => {
                    let error = io::Error::last_os_error();
                    if error.kind() != io::ErrorKind::Interrupted {
                        return Err(ReadError::Io(error));
                    }
                }
            }
        }
        Ok(())
    }

    fn wait_readable(&self, deadline: Option<Instant>) -> Result<(), ReadError> {
        loop {
            let timeout_ms: libc::c_int = match deadline {
                None => -1,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ReadError::TimedOut);
                    }
                    // Rounded up, so a wake-up never comes before the deadline.
                    let millis = left.as_micros().div_ceil(1000);
                    libc::c_int::try_from(millis).unwrap_or(libc::c_int::MAX)
                }
            };
            let mut poll_fd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid `pollfd` for the duration of the call.
            let ready = unsafe { libc::poll(&mut poll_fd, 1, timeout_ms) };
            if ready > 0 {
                return Ok(());
            }
            if ready < 0 {
                let error = io::Error::last_os_error();
                if error.kind() != io::ErrorKind::Interrupted {
                    return Err(ReadError::Io(error));
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::os::fd::FromRawFd;

    fn pipe() -> (OwnedFd, std::fs::File) {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        assert_eq!(rc, 0);
        // SAFETY: both descriptors were just created and are owned here.
        unsafe {
            (
                OwnedFd::from_raw_fd(fds[0]),
                std::fs::File::from_raw_fd(fds[1]),
            )
        }
    }

    #[test]
    fn frames_round_trip_and_buffer_ahead() {
        let (read, mut write) = pipe();
        write_frame(&mut write, &[b"ab", b"c"]).unwrap();
        write_frame(&mut write, &[b""]).unwrap();
        let mut reader = FrameReader::new(read, 16);
        assert_eq!(reader.read_frame(None).unwrap(), b"abc");
        assert_eq!(reader.read_frame(None).unwrap(), b"");
        drop(write);
        assert!(matches!(reader.read_frame(None), Err(ReadError::Closed)));
    }

    #[test]
    fn oversized_frames_are_refused_and_deadlines_hold() {
        let (read, mut write) = pipe();
        let mut reader = FrameReader::new(read, 4);
        let deadline = Instant::now() + std::time::Duration::from_millis(20);
        assert!(matches!(
            reader.read_frame(Some(deadline)),
            Err(ReadError::TimedOut)
        ));
        write_frame(&mut write, &[b"12345"]).unwrap();
        assert!(matches!(
            reader.read_frame(None),
            Err(ReadError::TooLarge { size: 5, limit: 4 })
        ));
    }
}

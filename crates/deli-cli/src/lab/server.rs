//! The delay server the I/O-bound jobs talk to: it listens on loopback and
//! answers each request line `"<job>\n"` with [`token`]`(job)` after a set
//! delay, every connection on a thread of its own so the server never
//! limits a mode's concurrency.
//!
//! It is plain std on purpose: it is the far end of the experiment, not
//! part of it, so none of its work shows up in a deli trace of a run.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::workload::token;

/// How long the server waits for a request line before dropping a client.
const READ_BOUND: Duration = Duration::from_secs(30);

/// A running delay server; dropping it stops it.
#[derive(Debug)]
pub struct DelayServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl DelayServer {
    /// Starts a server on `127.0.0.1` (a free port) that answers after `delay`.
    pub fn start(delay: Duration) -> io::Result<DelayServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let acceptor = std::thread::Builder::new()
            .name("lab-server".into())
            .spawn(move || accept(listener, delay, stopping))?;
        Ok(DelayServer {
            addr,
            stop,
            acceptor: Some(acceptor),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

fn accept(listener: TcpListener, delay: Duration, stop: Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            return;
        }
        // A client that gave up before being accepted is its own problem.
        let Ok(stream) = stream else { continue };
        let spawned = std::thread::Builder::new()
            .name("lab-server-conn".into())
            .spawn(move || answer(stream, delay));
        if let Err(error) = spawned {
            eprintln!("deli lab: the delay server cannot start a thread: {error}");
        }
    }
}

/// Reads one request line, waits, answers; a bad request just closes.
fn answer(mut stream: TcpStream, delay: Duration) {
    if stream.set_read_timeout(Some(READ_BOUND)).is_err() {
        return;
    }
    let mut request = Vec::new();
    let mut buffer = [0u8; 64];
    while !request.ends_with(b"\n") && request.len() < 64 {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    let Some(job) = std::str::from_utf8(&request)
        .ok()
        .and_then(|line| line.trim().parse::<u64>().ok())
    else {
        return;
    };
    std::thread::sleep(delay);
    let _ = stream.write_all(format!("{}\n", token(job)).as_bytes());
}

impl Drop for DelayServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_the_token_after_the_delay() {
        let server = DelayServer::start(Duration::from_millis(5)).unwrap();
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(b"7\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert_eq!(reply, format!("{}\n", token(7)));
    }
}

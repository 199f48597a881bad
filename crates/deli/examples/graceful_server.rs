//! A TCP echo server on `deli::net` that shuts down gracefully on SIGTERM:
//! it stops accepting (new connections are refused), lets every open
//! connection run until its client closes it, and then exits with status 0.
//!
//! ```sh
//! cargo run -p deli --example graceful_server            # 127.0.0.1:7879
//! cargo run -p deli --example graceful_server -- 127.0.0.1:0
//! kill -TERM <pid>                                       # or systemctl stop, docker stop...
//! ```
//!
//! `crates/deli/tests/graceful_shutdown.rs` runs this same code (it
//! includes this file) in a child process and checks each of those steps.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::Poll;

use deli::net::{TcpListener, TcpStream};
use deli::signal::{signal, Signal, SignalKind};

/// Echoes everything a client sends until it closes its side.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// Serves `listener` until `terminate` fires, then closes the listener and
/// waits for every open connection to end. Returns how many connections
/// were served in all.
pub async fn serve(listener: TcpListener, mut terminate: Signal) -> io::Result<usize> {
    let mut open = Vec::new();
    let mut served = 0;
    loop {
        // Whichever comes first: the signal, or the next connection.
        let accepted = poll_fn(|cx| {
            if terminate.poll_recv(cx).is_ready() {
                return Poll::Ready(None);
            }
            listener.poll_accept(cx).map(Some)
        })
        .await;
        let Some(accepted) = accepted else {
            break;
        };
        match accepted {
            Ok((stream, _peer)) => {
                served += 1;
                open.retain(|connection: &deli::Ticket<io::Result<()>>| !connection.is_done());
                open.push(deli::spawn(echo(stream)));
            }
            // A client that gave up before we accepted it, or a shortage of
            // descriptors: the server itself carries on.
            Err(error) => eprintln!("accept: {error}"),
        }
    }
    // Closing the listening socket: from here on a connect is refused.
    drop(listener);
    for connection in open {
        if let Ok(Err(error)) = connection.await {
            eprintln!("connection: {error}");
        }
    }
    Ok(served)
}

/// Listens on `addr`, calls `announce` with the bound address once SIGTERM
/// is being listened for, and serves until SIGTERM.
pub fn run(addr: &str, announce: impl FnOnce(SocketAddr)) -> io::Result<usize> {
    deli::run(async {
        // Listen for SIGTERM before anyone can know the address: from then
        // on a SIGTERM never takes the default action (ending us at once).
        let terminate = signal(SignalKind::terminate())?;
        let listener = TcpListener::bind(addr).await?;
        announce(listener.local_addr()?);
        serve(listener, terminate).await
    })
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7879".to_owned());
    let served = run(&addr, |bound| {
        println!("listening on {bound} (pid {})", std::process::id());
    })?;
    eprintln!("SIGTERM: stopped accepting, drained {served} connection(s), exiting");
    Ok(())
}

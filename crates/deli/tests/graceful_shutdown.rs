//! The `graceful_server` example under SIGTERM, as a real process: this
//! test binary re-executes itself with a marker in the environment, and
//! the child runs the example's own server code (the example file is
//! included below). The parent opens a connection, sends SIGTERM, and
//! checks that new connections are refused while the open one is still
//! served to its end, and that the server then exits with status 0.
//!
//! Its own `main` (`harness = false`): the child must run the server, not
//! libtest. Running the example binary itself would need it built first,
//! which `cargo test --test graceful_shutdown` alone does not do.

#[path = "../examples/graceful_server.rs"]
#[allow(dead_code)] // the example's `main`
mod graceful_server;

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use deli::net::TcpStream;
use deli::subprocess::{Child, Command, Stdio};

/// Set in the child's environment: run the server instead of the test.
const SERVER_MARKER: &str = "DELI_GRACEFUL_SERVER_CHILD";
/// Generous, for a loaded machine: catches hangs, not slowness.
const BOUND: Duration = Duration::from_secs(60);

fn main() {
    if std::env::var_os(SERVER_MARKER).is_some() {
        let served = graceful_server::run("127.0.0.1:0", |bound| {
            println!("listening on {bound}");
        });
        std::process::exit(match served {
            Ok(_) => 0,
            Err(error) => {
                eprintln!("server failed: {error}");
                1
            }
        });
    }
    let started = Instant::now();
    deli::Runtime::builder()
        .workers(2)
        .build()
        .unwrap()
        .block_on(async {
            deli::timeout(BOUND, sigterm_stops_accepting_drains_and_exits_zero())
                .await
                .expect("the graceful shutdown test hung")
        });
    println!(
        "graceful_shutdown: sigterm_stops_accepting_drains_and_exits_zero ok ({:?})",
        started.elapsed()
    );
}

/// Reads the child's stdout until it announces its address.
async fn announced_addr(child: &mut Child) -> SocketAddr {
    let stdout = child.stdout.as_mut().expect("stdout is piped");
    let mut seen = Vec::new();
    let mut buf = [0; 256];
    loop {
        let text = String::from_utf8_lossy(&seen).into_owned();
        if let Some(line) = text
            .split_once("listening on ")
            .and_then(|(_, rest)| rest.split_once('\n'))
        {
            return line.0.trim().parse().expect("an address");
        }
        let n = stdout.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server ended before listening: {text:?}");
        seen.extend_from_slice(&buf[..n]);
    }
}

async fn echo_round_trip(stream: &mut TcpStream, message: &[u8]) -> io::Result<()> {
    stream.write_all(message).await?;
    let mut back = vec![0; message.len()];
    stream.read_exact(&mut back).await?;
    assert_eq!(back, message);
    Ok(())
}

async fn sigterm_stops_accepting_drains_and_exits_zero() {
    let mut server = Command::new(std::env::current_exe().unwrap())
        .env(SERVER_MARKER, "1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr = announced_addr(&mut server).await;

    let mut open = TcpStream::connect(addr).await.unwrap();
    echo_round_trip(&mut open, b"before SIGTERM").await.unwrap();

    let pid = i32::try_from(server.id().unwrap()).unwrap();
    // SAFETY: `kill` has no memory-safety preconditions; `pid` is our
    // child, not yet reaped, so the number is still its.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);

    // The server notices SIGTERM soon and closes its listener; until then
    // a connect may still get through (and is closed again at once), or be
    // reset when it sat in the backlog of the listener being closed.
    let start = Instant::now();
    loop {
        match TcpStream::connect(addr).await {
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => break,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) => {}
            Err(error) => panic!("connect after SIGTERM: {error}"),
            Ok(late) => drop(late),
        }
        assert!(start.elapsed() < BOUND, "still accepting after SIGTERM");
        deli::sleep(Duration::from_millis(10)).await;
    }

    // Draining: the server still runs, and the open connection is served.
    assert_eq!(
        server.try_wait().unwrap(),
        None,
        "exited with a connection open"
    );
    echo_round_trip(&mut open, b"after SIGTERM, still served")
        .await
        .unwrap();
    drop(open); // the last connection ends: the server may exit

    let status = server.wait().await.unwrap();
    assert_eq!(status.code(), Some(0), "server exit status: {status:?}");
}

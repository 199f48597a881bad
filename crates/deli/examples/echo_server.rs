//! An echo server on deli: every connection gets its own task, which sends
//! back whatever it reads until the client closes.
//!
//! ```text
//! cargo run -p deli --example echo_server                  # 127.0.0.1:7878
//! cargo run -p deli --example echo_server -- 0.0.0.0:9000
//! ```
//!
//! Then, in another terminal: `cargo run -p deli --example echo_client`.

use std::io;

use deli::net::{TcpListener, TcpStream};

#[deli::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7878".to_owned());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("echo server listening on {}", listener.local_addr()?);
    loop {
        let (stream, peer) = listener.accept().await?;
        deli::spawn(async move {
            match echo(stream).await {
                Ok(bytes) => println!("{peer}: echoed {bytes} bytes"),
                Err(error) => eprintln!("{peer}: {error}"),
            }
        })
        .detach();
    }
}

async fn echo(mut stream: TcpStream) -> io::Result<u64> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0; 16 * 1024];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n]).await?;
        total += n as u64;
    }
}

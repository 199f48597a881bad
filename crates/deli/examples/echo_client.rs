//! An echo client on deli: connects (by address or host name), sends each
//! message, and prints what comes back. Pair it with `echo_server`.
//!
//! ```text
//! cargo run -p deli --example echo_client                        # 127.0.0.1:7878, "hello"
//! cargo run -p deli --example echo_client -- localhost:7878 one two three
//! ```

use std::io;
use std::time::Duration;

use deli::net::TcpStream;

#[deli::main]
async fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7878".to_owned());
    let mut messages: Vec<String> = args.collect();
    if messages.is_empty() {
        messages.push("hello".to_owned());
    }

    let mut stream = TcpStream::connect_timeout(addr.as_str(), Duration::from_secs(5)).await?;
    stream.set_nodelay(true)?;
    println!("connected to {}", stream.peer_addr()?);
    for message in &messages {
        stream.write_all(message.as_bytes()).await?;
        let mut echoed = vec![0; message.len()];
        deli::timeout(Duration::from_secs(5), stream.read_exact(&mut echoed))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no echo within 5 s"))??;
        println!("{}", String::from_utf8_lossy(&echoed));
    }
    Ok(())
}

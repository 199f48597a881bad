//! An HTTP client on deli: fetches a URL (HTTP/1.1 or HTTP/2, plain or
//! HTTPS) and prints the status, the protocol, the headers and the body;
//! with a second argument, POSTs it as the body.
//!
//! ```text
//! cargo run -p deli --features http --example http_client                        # http://127.0.0.1:8080/
//! cargo run -p deli --features http --example http_client -- http://127.0.0.1:8080/echo 'some text'
//! DELI_CA=cert.pem cargo run -p deli --features http --example http_client -- https://localhost:8443/
//! ```

use std::time::Duration;

use deli::http::{Client, Error};

#[deli::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080/".to_owned());
    let mut builder = Client::builder().timeout(Duration::from_secs(10));
    if let Some(ca) = std::env::var_os("DELI_CA") {
        // A self-signed server's certificate, trusted besides the system's roots.
        builder = builder.add_root_certificate_pem(&std::fs::read(ca)?);
    }
    let client = builder.build()?;
    let response = match args.next() {
        Some(body) => client.post(&url, body).await?,
        None => client.get(&url).await?,
    };
    println!("{} {:?}", response.status(), response.version());
    for (name, value) in response.headers() {
        println!("{name}: {}", value.to_str().unwrap_or("<binary>"));
    }
    println!();
    let mut body = response.into_body();
    // Streams the body as it arrives.
    while let Some(chunk) = body.chunk().await? {
        print!("{}", String::from_utf8_lossy(&chunk));
    }
    Ok(())
}

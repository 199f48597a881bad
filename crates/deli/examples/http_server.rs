//! An HTTP/1.1 + HTTP/2 server on deli, plain or with TLS. It answers
//! `GET /` with a greeting, `POST /echo` with the body it got, `POST /json`
//! with the JSON it got (413 past 64 KiB), and stops gracefully — finishing
//! requests in flight for up to 10 s — when you press Enter.
//!
//! ```text
//! cargo run -p deli --features http --example http_server                    # http://127.0.0.1:8080
//! cargo run -p deli --features http --example http_server -- 0.0.0.0:8443 cert.pem key.pem
//! curl http://127.0.0.1:8080/
//! curl --http2-prior-knowledge -d '{"a": 1}' http://127.0.0.1:8080/json
//! ```
//!
//! Then, in another terminal: `cargo run -p deli --features http --example http_client`.

use std::time::Duration;

use deli::http::{
    Error, IntoResponse, Json, Method, Request, Response, Server, StatusCode, TlsConfig,
};

async fn handle(request: Request) -> Response {
    match (request.method().clone(), request.uri().path()) {
        (Method::GET, "/") => {
            format!("hello from deli over {:?}\n", request.version()).into_response()
        }
        (Method::POST, "/echo") => request.into_body().bytes().await.into_response(),
        (Method::POST, "/json") => request
            .into_body()
            .read_json::<serde_json::Value>()
            .await
            .map(Json)
            .into_response(),
        _ => (StatusCode::NOT_FOUND, "no such page\n").into_response(),
    }
}

#[deli::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let mut server = Server::bind(addr.as_str()).max_body_bytes(64 << 10);
    let scheme = match (args.next(), args.next()) {
        (Some(cert), Some(key)) => {
            server = server.tls(TlsConfig::from_pem_files(cert, key)?);
            "https"
        }
        _ => "http",
    };
    let running = server.serve(handle).await?;
    println!(
        "listening on {scheme}://{}  (press Enter to stop)",
        running.local_addr()
    );

    // Blocking stdin read off the workers; then a graceful stop.
    let _ = deli::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
    let report = running.shutdown(Duration::from_secs(10)).await;
    println!(
        "stopped ({} connections cut at the deadline)",
        report.aborted
    );
    Ok(())
}

//! The `http` suite: one hello-world and JSON-echo server written on
//! `deli::http` and the same hyper server on tokio (hyper-util's automatic
//! HTTP/1.1-or-HTTP/2 connection, tokio's timer for the same header read
//! timeout), 2 workers each, loaded the same way:
//!
//! - by `wrk` where it is installed: 2 threads, 64 keep-alive connections,
//!   a fixed time per run; the time per request is the run's length over the
//!   requests wrk completed;
//! - otherwise by an in-process client that is neither server's runtime: a
//!   tokio current-thread runtime on its own thread driving 64 hyper
//!   HTTP/1.1 keep-alive connections, a fixed number of requests each; the
//!   time per request is the run's time over the requests.
//!
//! Cases: `hello` (`GET /` → a short text) and `json` (`POST /json` with a
//! small JSON object, parsed into a struct and answered as JSON). The line
//! is `BENCH http/<case> deli=<ns per request> tokio=<ns per request> ratio=…`.
//! `DELI_BENCH_HTTP_LOAD=inprocess` forces the in-process client;
//! `DELI_BENCH_HTTP_SECONDS` sets wrk's time per run (default 2).
//!
//! Owns: both servers, both load generators and [`run`]. Calls:
//! [`crate::harness`], [`crate::runtimes`], `deli::http`, hyper.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};

use crate::harness::Harness;
use crate::runtimes::{BenchRuntime, Deli, Flavor, Tokio};

/// The suite's name on the command line and in `BENCH` lines.
pub const SUITE: &str = "http";

/// Keep-alive connections of the load.
const CONNECTIONS: usize = 64;

/// Requests per connection per run of the in-process client.
const REQUESTS_PER_CONNECTION: usize = 250;

const HELLO: &str = "Hello, World!";

/// The JSON the `json` case posts.
const ORDER: &str = r#"{"customer":"Ada","items":[{"name":"espresso","quantity":2},{"name":"croissant","quantity":1}],"table":7}"#;

/// What both servers parse and answer for `json`.
#[derive(Debug, Serialize, Deserialize)]
struct Order {
    customer: String,
    items: Vec<Item>,
    table: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct Item {
    name: String,
    quantity: u32,
}

#[derive(Debug, Clone, Copy)]
enum Case {
    Hello,
    Json,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Hello => "hello",
            Case::Json => "json",
        }
    }
}

/// Runs both cases against a deli server and a tokio server built once.
pub fn run(harness: &Harness) -> io::Result<()> {
    let wanted: Vec<Case> = [Case::Hello, Case::Json]
        .into_iter()
        .filter(|case| harness.selects(&format!("{SUITE}/{}", case.name())))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let (deli, tokio) = {
        let _guard = harness.watch(format!("{SUITE}: starting the servers"));
        let deli = Deli::build(Flavor::MultiThread)?;
        let tokio = Tokio::build(Flavor::MultiThread)?;
        let deli_addr = start_deli_server(&deli)?;
        let tokio_addr = start_tokio_server(&tokio)?;
        ((deli, deli_addr), (tokio, tokio_addr))
    };
    let load = Load::choose()?;
    eprintln!("{SUITE}: load by {}", load.describe());
    for case in wanted {
        let name = format!("{SUITE}/{}", case.name());
        let comparison =
            harness.compare(&name, || load.run(deli.1, case), || load.run(tokio.1, case));
        println!("{comparison}");
    }
    let _guard = harness.watch(format!("{SUITE}: stopping the servers"));
    drop(deli);
    drop(tokio);
    Ok(())
}

// ---------------------------------------------------------------- servers

fn start_deli_server(runtime: &Deli) -> io::Result<SocketAddr> {
    use deli::http::{IntoResponse, Json, Request, Response, Server, StatusCode};

    async fn handle(request: Request) -> Response {
        match request.uri().path() {
            "/" => HELLO.into_response(),
            "/json" => match request.into_body().read_json::<Order>().await {
                Ok(order) => Json(order).into_response(),
                Err(error) => error.into_response(),
            },
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }

    runtime.block_on(async {
        let server = Server::bind("127.0.0.1:0")
            .serve(handle)
            .await
            .map_err(io::Error::other)?;
        Ok(server.local_addr())
    })
}

fn start_tokio_server(runtime: &Tokio) -> io::Result<SocketAddr> {
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        // The same timer-backed header read timeout deli's server has.
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(30));
        builder.http2().timer(TokioTimer::new());
        let builder = std::sync::Arc::new(builder);
        Tokio::spawn_detached(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let builder = std::sync::Arc::clone(&builder);
                Tokio::spawn_detached(async move {
                    let service = hyper::service::service_fn(tokio_handle);
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(addr)
    })
}

async fn tokio_handle(
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let text = |status: u16, body: Bytes, content_type: &'static str| {
        let mut response = hyper::Response::new(Full::new(body));
        *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static(content_type),
        );
        response
    };
    let response = match request.uri().path() {
        "/" => text(
            200,
            Bytes::from_static(HELLO.as_bytes()),
            "text/plain; charset=utf-8",
        ),
        "/json" => {
            let parsed = match request.into_body().collect().await {
                Ok(body) => serde_json::from_slice::<Order>(&body.to_bytes()).ok(),
                Err(_) => None,
            };
            match parsed.and_then(|order| serde_json::to_vec(&order).ok()) {
                Some(json) => text(200, Bytes::from(json), "application/json"),
                None => text(400, Bytes::new(), "text/plain; charset=utf-8"),
            }
        }
        _ => text(404, Bytes::new(), "text/plain; charset=utf-8"),
    };
    Ok(response)
}

// ---------------------------------------------------------------- load

enum Load {
    Wrk { seconds: u64, script: PathBuf },
    InProcess(tokio::runtime::Runtime),
}

impl Load {
    fn choose() -> io::Result<Load> {
        let forced_in_process =
            std::env::var("DELI_BENCH_HTTP_LOAD").is_ok_and(|v| v == "inprocess");
        let wrk_found = Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok_and(|output| !output.stdout.is_empty() || !output.stderr.is_empty());
        if wrk_found && !forced_in_process {
            let seconds = std::env::var("DELI_BENCH_HTTP_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(2);
            let script =
                std::env::temp_dir().join(format!("deli-bench-http-{}.lua", std::process::id()));
            std::fs::write(
                &script,
                format!(
                    "wrk.method = \"POST\"\nwrk.body = '{ORDER}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                ),
            )?;
            return Ok(Load::Wrk { seconds, script });
        }
        let client = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Load::InProcess(client))
    }

    fn describe(&self) -> String {
        match self {
            Load::Wrk { seconds, .. } => {
                format!("wrk (2 threads, {CONNECTIONS} connections, {seconds} s a run)")
            }
            Load::InProcess(_) => format!(
                "the in-process client ({CONNECTIONS} connections × {REQUESTS_PER_CONNECTION} requests a run)"
            ),
        }
    }

    /// One run against `server`; the time per request.
    fn run(&self, server: SocketAddr, case: Case) -> Duration {
        match self {
            Load::Wrk { seconds, script } => wrk(server, case, *seconds, script),
            Load::InProcess(client) => in_process(client, server, case),
        }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        if let Load::Wrk { script, .. } = self {
            let _ = std::fs::remove_file(script);
        }
    }
}

fn wrk(server: SocketAddr, case: Case, seconds: u64, script: &std::path::Path) -> Duration {
    let mut command = Command::new("wrk");
    command.args(["-t2", &format!("-c{CONNECTIONS}"), &format!("-d{seconds}s")]);
    let url = match case {
        Case::Hello => format!("http://{server}/"),
        Case::Json => {
            command.arg("-s").arg(script);
            format!("http://{server}/json")
        }
    };
    let output = command
        .arg(&url)
        .output()
        .unwrap_or_else(|error| panic!("{SUITE}: cannot run wrk: {error}"));
    let report = String::from_utf8_lossy(&output.stdout);
    // "  123456 requests in 2.00s, 14.2MB read"
    let line = report
        .lines()
        .find(|line| line.contains(" requests in "))
        .unwrap_or_else(|| panic!("{SUITE}: no request count from wrk:\n{report}"));
    let mut words = line.split_whitespace();
    let requests: u64 = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let elapsed = words
        .nth(2)
        .and_then(parse_wrk_duration)
        .unwrap_or_else(|| panic!("{SUITE}: cannot read wrk's duration in {line:?}"));
    assert!(
        !report.contains("Non-2xx") && !report.contains("Socket errors"),
        "{SUITE}/{}: wrk saw errors:\n{report}",
        case.name()
    );
    assert!(requests > 0, "{SUITE}: wrk completed no request:\n{report}");
    elapsed / u32::try_from(requests).unwrap_or(u32::MAX)
}

/// `2.00s`, `1.5m`, `900.00ms` as wrk prints them.
fn parse_wrk_duration(text: &str) -> Option<Duration> {
    let text = text.trim_end_matches(',');
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(us) = text.strip_suffix("us") {
        (us, 1e-6)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else if let Some(m) = text.strip_suffix('m') {
        (m, 60.0)
    } else {
        return None;
    };
    number
        .parse::<f64>()
        .ok()
        .map(|n| Duration::from_secs_f64(n * scale))
}

fn in_process(client: &tokio::runtime::Runtime, server: SocketAddr, case: Case) -> Duration {
    client.block_on(async move {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async move {
                let mut senders = Vec::with_capacity(CONNECTIONS);
                for _ in 0..CONNECTIONS {
                    let stream = tokio::net::TcpStream::connect(server)
                        .await
                        .unwrap_or_else(|error| panic!("{SUITE}: cannot connect: {error}"));
                    let _ = stream.set_nodelay(true);
                    let (sender, connection) =
                        hyper::client::conn::http1::handshake(TokioIo::new(stream))
                            .await
                            .unwrap_or_else(|error| panic!("{SUITE}: handshake: {error}"));
                    tokio::task::spawn_local(connection);
                    senders.push(sender);
                }
                let start = Instant::now();
                let clients: Vec<_> = senders
                    .into_iter()
                    .map(|sender| tokio::task::spawn_local(requests(sender, server, case)))
                    .collect();
                for client in clients {
                    if let Err(error) = client.await {
                        panic!("{SUITE}/{}: a client failed: {error}", case.name());
                    }
                }
                let total =
                    u32::try_from(CONNECTIONS * REQUESTS_PER_CONNECTION).unwrap_or(u32::MAX);
                start.elapsed() / total
            })
            .await
    })
}

async fn requests(
    mut sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    server: SocketAddr,
    case: Case,
) {
    for _ in 0..REQUESTS_PER_CONNECTION {
        let request = match case {
            Case::Hello => hyper::Request::get("/").body(Full::new(Bytes::new())),
            Case::Json => hyper::Request::post("/json")
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from_static(ORDER.as_bytes()))),
        };
        let mut request = request.unwrap_or_else(|error| panic!("{SUITE}: request: {error}"));
        request.headers_mut().insert(
            hyper::header::HOST,
            hyper::header::HeaderValue::from_str(&server.to_string())
                .unwrap_or_else(|error| panic!("{SUITE}: host: {error}")),
        );
        if let Err(error) = sender.ready().await {
            panic!("{SUITE}/{}: connection closed: {error}", case.name());
        }
        let response = sender
            .send_request(request)
            .await
            .unwrap_or_else(|error| panic!("{SUITE}/{}: request failed: {error}", case.name()));
        assert!(
            response.status().is_success(),
            "{SUITE}/{}: {}",
            case.name(),
            response.status()
        );
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|error| panic!("{SUITE}/{}: body: {error}", case.name()))
            .to_bytes();
        assert!(!body.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_durations() {
        assert_eq!(parse_wrk_duration("2.00s,"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_wrk_duration("900.00ms"),
            Some(Duration::from_millis(900))
        );
        assert_eq!(parse_wrk_duration("1.00m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_wrk_duration("x"), None);
    }

    #[test]
    fn both_servers_answer_the_same() {
        let deli = Deli::build(Flavor::MultiThread).unwrap();
        let tokio = Tokio::build(Flavor::MultiThread).unwrap();
        let client = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for addr in [
            start_deli_server(&deli).unwrap(),
            start_tokio_server(&tokio).unwrap(),
        ] {
            for case in [Case::Hello, Case::Json] {
                client.block_on(async {
                    tokio::task::LocalSet::new()
                        .run_until(async {
                            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                            let (sender, connection) =
                                hyper::client::conn::http1::handshake(TokioIo::new(stream))
                                    .await
                                    .unwrap();
                            tokio::task::spawn_local(connection);
                            let mut sender = sender;
                            let request = match case {
                                Case::Hello => {
                                    hyper::Request::get("/").body(Full::new(Bytes::new()))
                                }
                                Case::Json => hyper::Request::post("/json")
                                    .body(Full::new(Bytes::from_static(ORDER.as_bytes()))),
                            }
                            .unwrap();
                            let response = sender.send_request(request).await.unwrap();
                            let body = response.into_body().collect().await.unwrap().to_bytes();
                            match case {
                                Case::Hello => assert_eq!(body, HELLO),
                                Case::Json => assert_eq!(body, ORDER),
                            }
                        })
                        .await;
                });
            }
        }
    }
}

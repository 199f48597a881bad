//! The server under abuse and at shutdown: an oversized body gets 413, a
//! slow-loris client 408, a huge head 431, and meanwhile everyone else is
//! served; a graceful shutdown finishes the requests in flight and cuts
//! what is left at its deadline.
#![cfg(feature = "http")]

mod common;
mod http_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{within, BOUND};
use deli::http::{Body, Client, Error, Request, Server, StatusCode};
use deli::net::TcpStream;
use http_common::routes;

fn runtime() -> deli::Runtime {
    deli::Runtime::builder().workers(2).build().unwrap()
}

/// Reads until the peer closes or `bound` passes; what came.
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + bound;
    loop {
        match deli::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return received,
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Twenty ordinary requests, all of which must succeed.
async fn others_are_served(base: &str) {
    let client = Client::builder().http1_only().build().unwrap();
    for _ in 0..20 {
        let response = client.get(&format!("{base}/hello")).await.unwrap();
        assert_eq!(response.into_body().text().await.unwrap(), "hello");
    }
}

#[test]
fn oversized_bodies_get_413_and_others_are_served() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = Server::bind("127.0.0.1:0")
                .max_body_bytes(1024)
                .serve(routes)
                .await
                .unwrap();
            let base = format!("http://{}", server.local_addr());
            let client = Client::builder().http1_only().build().unwrap();

            // Declared too large: refused before the handler reads a byte.
            let response = client
                .post(&format!("{base}/echo"), vec![7u8; 64 << 10])
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

            // Chunked, no declared length: the handler's read fails at the limit.
            let chunks = Body::from_stream(futures_util::stream::iter(
                (0..64).map(|_| Ok::<_, std::io::Error>(vec![1u8; 1024])),
            ));
            let request = Request::post(format!("{base}/echo")).body(chunks).unwrap();
            let response = client.request(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

            // A raw client announcing 100 MB and sending the start of it.
            let mut raw = TcpStream::connect(server.local_addr()).await.unwrap();
            raw.write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100000000\r\n\r\n")
                .await
                .unwrap();
            let _ = raw.write_all(&[0u8; 32 << 10]).await;
            let answer = read_until_closed(&mut raw, Duration::from_secs(10)).await;
            assert!(
                answer.starts_with(b"HTTP/1.1 413"),
                "{}",
                String::from_utf8_lossy(&answer)
            );
            drop(raw);

            others_are_served(&base).await;
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

#[test]
fn slow_loris_clients_get_408_and_others_are_served() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = Server::bind("127.0.0.1:0")
                .header_read_timeout(Duration::from_millis(500))
                .serve(routes)
                .await
                .unwrap();
            let addr = server.local_addr();
            let base = format!("http://{addr}");

            // Fifty clients dribble a request head a byte at a time, never ending it.
            let lorises: Vec<_> = (0..50)
                .map(|_| {
                    deli::spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        stream
                            .write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\n")
                            .await
                            .unwrap();
                        for _ in 0..100 {
                            if stream.write_all(b"x").await.is_err() {
                                break;
                            }
                            deli::sleep(Duration::from_millis(50)).await;
                            // Stop dribbling once the server has answered.
                            if stream.peek(&mut [0u8; 1]).now_or_never_ready() {
                                break;
                            }
                        }
                        read_until_closed(&mut stream, Duration::from_secs(10)).await
                    })
                })
                .collect();
            // An idle connection, and one that stalls in the middle of the
            // HTTP/2 preface: closed at the same deadline, without a 408 for
            // the first.
            let mut idle = TcpStream::connect(addr).await.unwrap();
            let mut half_preface = TcpStream::connect(addr).await.unwrap();
            half_preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();

            others_are_served(&base).await;
            for loris in lorises {
                let answer = loris.await.unwrap();
                assert!(
                    answer.starts_with(b"HTTP/1.1 408"),
                    "{}",
                    String::from_utf8_lossy(&answer)
                );
            }
            let waited = Instant::now();
            assert!(read_until_closed(&mut idle, Duration::from_secs(20))
                .await
                .is_empty());
            read_until_closed(&mut half_preface, Duration::from_secs(20)).await;
            assert!(
                waited.elapsed() < Duration::from_secs(15),
                "idle connections stayed open"
            );
            others_are_served(&base).await;
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

/// A client that stops sending its body is answered `408` once the body
/// read timeout passes; one that sends slowly but steadily, each chunk
/// within the timeout, is served in full.
#[test]
fn a_stalled_body_gets_408_and_a_slow_steady_one_is_served() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = Server::bind("127.0.0.1:0")
                .body_read_timeout(Duration::from_millis(300))
                .serve(routes)
                .await
                .unwrap();
            let addr = server.local_addr();
            let mut stalled = TcpStream::connect(addr).await.unwrap();
            stalled
                .write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n0123456789")
                .await
                .unwrap();
            let started = Instant::now();
            let answer = read_until_closed(&mut stalled, Duration::from_secs(10)).await;
            assert!(
                answer.starts_with(b"HTTP/1.1 408"),
                "{}",
                String::from_utf8_lossy(&answer)
            );
            assert!(started.elapsed() < Duration::from_secs(8));

            let mut steady = TcpStream::connect(addr).await.unwrap();
            steady
                .write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            for _ in 0..6 {
                // 6 x 100 ms: twice the timeout in all, never a gap of it.
                deli::sleep(Duration::from_millis(100)).await;
                steady.write_all(b"2\r\nab\r\n").await.unwrap();
            }
            steady.write_all(b"0\r\n\r\n").await.unwrap();
            let answer = read_until_closed(&mut steady, Duration::from_secs(10)).await;
            let answer = String::from_utf8_lossy(&answer);
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(answer.ends_with("abababababab"), "{answer}");
            others_are_served(&format!("http://{addr}")).await;
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

/// A future polled once: `true` if it was ready.
trait NowOrNever {
    fn now_or_never_ready(self) -> bool;
}

impl<F: std::future::Future> NowOrNever for F {
    fn now_or_never_ready(self) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        std::pin::pin!(self).poll(&mut cx).is_ready()
    }
}

#[test]
fn oversized_heads_get_431() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = Server::bind("127.0.0.1:0")
                .max_header_bytes(8 << 10)
                .max_headers(20)
                .serve(routes)
                .await
                .unwrap();
            let base = format!("http://{}", server.local_addr());
            let client = Client::builder().http1_only().build().unwrap();
            let mut request = Request::get(format!("{base}/hello"))
                .body(Body::empty())
                .unwrap();
            request
                .headers_mut()
                .insert("x-big", "y".repeat(32 << 10).parse().unwrap());
            let response = client.request(request).await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            );

            let mut request = Request::get(format!("{base}/hello"))
                .body(Body::empty())
                .unwrap();
            for n in 0..50 {
                let name: deli::http::header::HeaderName = format!("x-h{n}").parse().unwrap();
                request.headers_mut().insert(name, "v".parse().unwrap());
            }
            let response = client.request(request).await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            );

            others_are_served(&base).await;
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

#[test]
fn graceful_shutdown_finishes_requests_in_flight() {
    within(BOUND, || {
        runtime().block_on(async {
            let started = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&started);
            let server = Server::bind("127.0.0.1:0")
                .serve(move |request: Request| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    routes(request)
                })
                .await
                .unwrap();
            let url = format!("http://{}/slow", server.local_addr());
            let http1 = Client::builder().http1_only().build().unwrap();
            let http2 = Client::builder().http2_prior_knowledge().build().unwrap();
            let requests: Vec<_> = (0..10)
                .map(|n| {
                    let client = if n % 2 == 0 {
                        http1.clone()
                    } else {
                        http2.clone()
                    };
                    let url = url.clone();
                    deli::spawn(async move {
                        let response = client.get(&url).await?;
                        response.into_body().text().await
                    })
                })
                .collect();
            let deadline = Instant::now() + Duration::from_secs(10);
            while started.load(Ordering::SeqCst) < 10 {
                assert!(Instant::now() < deadline, "the requests never arrived");
                deli::sleep(Duration::from_millis(5)).await;
            }
            let report = server.shutdown(Duration::from_secs(10)).await;
            assert_eq!(report.aborted, 0);
            for request in requests {
                assert_eq!(request.await.unwrap().unwrap(), "slow");
            }
            assert_eq!(server.connections(), 0);
            // The listener is closed: nobody new gets in.
            let error = Client::new().get(&url).await.unwrap_err();
            assert!(matches!(error, Error::Connect { .. }), "{error}");
            server.wait().await;
        });
    });
}

#[test]
fn shutdown_closes_what_is_left_at_its_deadline() {
    within(BOUND, || {
        runtime().block_on(async {
            let started = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&started);
            let server = Server::bind("127.0.0.1:0")
                .serve(move |request: Request| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    routes(request)
                })
                .await
                .unwrap();
            let url = format!("http://{}/very-slow", server.local_addr());
            let stuck = deli::spawn(async move { Client::new().get(&url).await.map(|_| ()) });
            let deadline = Instant::now() + Duration::from_secs(10);
            while started.load(Ordering::SeqCst) < 1 {
                assert!(Instant::now() < deadline, "the request never arrived");
                deli::sleep(Duration::from_millis(5)).await;
            }
            let began = Instant::now();
            let report = server.shutdown(Duration::from_millis(200)).await;
            assert_eq!(report.aborted, 1);
            assert!(began.elapsed() < Duration::from_secs(10));
            let error = stuck.await.unwrap().unwrap_err();
            assert!(matches!(error, Error::Http(_)), "{error}");
        });
    });
}

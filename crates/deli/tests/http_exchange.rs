//! Client against server on loopback: HTTP/1.1, HTTP/2 (prior knowledge
//! and ALPN over TLS), TLS with a self-signed certificate, streaming bodies,
//! JSON, redirects, and errors that say what failed.
#![cfg(feature = "http")]

mod common;
mod http_common;

use std::time::Duration;

use bytes::Bytes;
use common::{within, BOUND};
use deli::http::{
    Body, Client, Error, Request, ResponseExt, Server, StatusCode, TlsConfig, Version,
};
use http_common::{plain_server, routes, self_signed};

fn runtime() -> deli::Runtime {
    deli::Runtime::builder().workers(2).build().unwrap()
}

#[test]
fn http1_get_post_and_keep_alive() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = plain_server().await;
            let base = format!("http://{}", server.local_addr());
            let client = Client::builder().http1_only().build().unwrap();
            for _ in 0..20 {
                let response = client.get(&format!("{base}/hello")).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                assert_eq!(response.version(), Version::HTTP_11);
                assert_eq!(response.into_body().text().await.unwrap(), "hello");
            }
            // Sequential requests reuse pooled keep-alive connections. (Not
            // exactly one: the pool takes a connection back in a task of
            // its own, which the next request may overtake.)
            assert!(
                server.connections() < 20,
                "{} connections",
                server.connections()
            );
            let echoed = client.post(&format!("{base}/echo"), "ping").await.unwrap();
            assert_eq!(echoed.into_body().bytes().await.unwrap(), "ping");
            let missing = client.get(&format!("{base}/missing")).await.unwrap();
            assert_eq!(missing.status(), StatusCode::NOT_FOUND);
            assert_eq!(server.shutdown(Duration::from_secs(5)).await.aborted, 0);
        });
    });
}

#[test]
fn http2_with_prior_knowledge_multiplexes_one_connection() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = plain_server().await;
            let url = format!("http://{}/version", server.local_addr());
            let client = Client::builder().http2_prior_knowledge().build().unwrap();
            let tickets: Vec<_> = (0..20)
                .map(|_| {
                    let client = client.clone();
                    let url = url.clone();
                    deli::spawn(async move {
                        let response = client.get(&url).await.unwrap();
                        assert_eq!(response.version(), Version::HTTP_2);
                        response.into_body().text().await.unwrap()
                    })
                })
                .collect();
            for ticket in tickets {
                assert_eq!(ticket.await.unwrap(), "HTTP/2.0");
            }
            assert_eq!(server.connections(), 1);
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

#[test]
fn json_conveniences_and_status_errors() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = plain_server().await;
            let base = format!("http://{}", server.local_addr());
            let client = Client::new();
            let value = serde_json::json!({"name": "deli", "tickets": [1, 2, 3]});
            let echoed: serde_json::Value = client
                .post_json(&format!("{base}/json"), &value)
                .await
                .unwrap();
            assert_eq!(echoed, value);
            let bad = client
                .post(&format!("{base}/json"), "{not json")
                .await
                .unwrap();
            assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
            let missing = client
                .get_json::<serde_json::Value>(&format!("{base}/missing"))
                .await
                .unwrap_err();
            assert!(
                matches!(missing, Error::Status(StatusCode::NOT_FOUND)),
                "{missing}"
            );
            let response = client.get(&format!("{base}/missing")).await.unwrap();
            assert!(response.error_for_status().is_err());
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

#[test]
fn tls_with_a_self_signed_certificate_over_http1_and_http2() {
    within(BOUND, || {
        runtime().block_on(async {
            let (cert, key) = self_signed();
            let dir = std::env::temp_dir().join(format!("deli-http-tls-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("cert.pem"), &cert).unwrap();
            std::fs::write(dir.join("key.pem"), &key).unwrap();
            let tls = TlsConfig::from_pem_files(dir.join("cert.pem"), dir.join("key.pem")).unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            let server = Server::bind("127.0.0.1:0")
                .tls(tls)
                .serve(routes)
                .await
                .unwrap();
            let port = server.local_addr().port();

            // ALPN picks HTTP/2 where both sides offer it.
            let client = Client::builder()
                .add_root_certificate_pem(cert.as_bytes())
                .system_roots(false)
                .build()
                .unwrap();
            let url = format!("https://localhost:{port}/version");
            let response = client.get(&url).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            assert_eq!(response.into_body().text().await.unwrap(), "HTTP/2.0");
            let echoed = client
                .post(&format!("https://127.0.0.1:{port}/echo"), "over tls")
                .await
                .unwrap();
            assert_eq!(echoed.into_body().text().await.unwrap(), "over tls");

            // A client that offers only HTTP/1.1 gets it.
            let http1 = Client::builder()
                .add_root_certificate_pem(cert.as_bytes())
                .system_roots(false)
                .http1_only()
                .build()
                .unwrap();
            let response = http1.get(&url).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_11);
            assert_eq!(response.into_body().text().await.unwrap(), "HTTP/1.1");

            // Without the certificate among its roots, the handshake fails
            // and the error says so.
            let stranger = Client::builder().system_roots(false).build().unwrap();
            let error = stranger.get(&url).await.unwrap_err();
            assert!(
                matches!(error, Error::Tls { ref host, .. } if host == "localhost"),
                "{error}"
            );
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

struct Chunks {
    left: usize,
    size: usize,
}

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        self.left -= 1;
        std::task::Poll::Ready(Some(Ok(Bytes::from(vec![b'x'; self.size]))))
    }
}

#[test]
fn streaming_bodies_both_ways() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = Server::bind("127.0.0.1:0")
                .max_body_bytes(8 << 20)
                .serve(|request: Request| async move {
                    if request.uri().path() == "/download" {
                        return Body::from_stream(Chunks {
                            left: 64,
                            size: 16 << 10,
                        })
                        .into_response();
                    }
                    routes(request).await
                })
                .await
                .unwrap();
            let base = format!("http://{}", server.local_addr());
            for client in [
                Client::builder().http1_only().build().unwrap(),
                Client::builder().http2_prior_knowledge().build().unwrap(),
            ] {
                // Upload: a chunked body the server counts chunk by chunk.
                let upload = Request::post(format!("{base}/count"))
                    .body(Body::from_stream(Chunks {
                        left: 100,
                        size: 10_000,
                    }))
                    .unwrap();
                let counted = client.request(upload).await.unwrap();
                assert_eq!(counted.into_body().text().await.unwrap(), "1000000");
                // Download: read chunk by chunk.
                let mut body = client
                    .get(&format!("{base}/download"))
                    .await
                    .unwrap()
                    .into_body();
                let mut total = 0;
                while let Some(chunk) = body.chunk().await.unwrap() {
                    total += chunk.len();
                }
                assert_eq!(total, 64 * (16 << 10));
            }
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

use deli::http::IntoResponse;

#[test]
fn redirects_are_followed_within_the_limit() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = plain_server().await;
            let base = format!("http://{}", server.local_addr());
            let client = Client::builder().max_redirects(3).build().unwrap();
            let response = client
                .get(&format!("{base}/redirect/relative"))
                .await
                .unwrap();
            assert_eq!(response.into_body().text().await.unwrap(), "hello again");
            let posted = client
                .post(&format!("{base}/redirect/see-other"), "form")
                .await
                .unwrap();
            assert_eq!(posted.into_body().text().await.unwrap(), "hello");
            let error = client
                .get(&format!("{base}/redirect/loop"))
                .await
                .unwrap_err();
            assert!(
                matches!(error, Error::TooManyRedirects { max: 3 }),
                "{error}"
            );
            let manual = Client::builder().max_redirects(0).build().unwrap();
            let response = manual.get(&format!("{base}/redirect/loop")).await.unwrap();
            assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

#[test]
fn errors_say_what_failed() {
    within(BOUND, || {
        runtime().block_on(async {
            let client = Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap();
            // Connect: a port with no listener (bound, then closed).
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = closed.local_addr().unwrap().port();
            drop(closed);
            let error = client
                .get(&format!("http://127.0.0.1:{port}/"))
                .await
                .unwrap_err();
            assert!(matches!(error, Error::Connect { .. }), "{error}");
            // DNS: the `.invalid` top-level domain never resolves.
            let error = client
                .get("http://no-such-host.invalid/")
                .await
                .unwrap_err();
            assert!(matches!(error, Error::Dns { .. }), "{error}");
            // URL.
            let error = client.get("ftp://127.0.0.1/").await.unwrap_err();
            assert!(matches!(error, Error::InvalidUrl { .. }), "{error}");
            let error = client.get("not a url").await.unwrap_err();
            assert!(matches!(error, Error::InvalidUrl { .. }), "{error}");
            // Timeout: the client's own, and one set on the request.
            let server = plain_server().await;
            let url = format!("http://{}/very-slow", server.local_addr());
            let impatient = Client::builder()
                .timeout(Duration::from_millis(200))
                .build()
                .unwrap();
            let error = impatient.get(&url).await.unwrap_err();
            assert!(matches!(error, Error::Timeout(_)), "{error}");
            let mut request = Request::get(&url).body(Body::empty()).unwrap();
            request
                .extensions_mut()
                .insert(deli::http::Timeout(Duration::from_millis(100)));
            let error = client.request(request).await.unwrap_err();
            assert!(error.is_timeout(), "{error}");
            // Response body over the client's limit.
            let limited = Client::builder().max_response_bytes(3).build().unwrap();
            let body = limited
                .get(&format!("http://{}/hello", server.local_addr()))
                .await
                .unwrap()
                .into_body();
            assert!(matches!(
                body.bytes().await,
                Err(Error::BodyTooLarge { limit: 3 })
            ));
            server.shutdown(Duration::from_millis(100)).await;
        });
    });
}

#[test]
fn client_and_server_share_a_current_thread_runtime() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().current_thread().build().unwrap();
        runtime.block_on(async {
            let server = plain_server().await;
            let base = format!("http://{}", server.local_addr());
            for client in [
                Client::builder().http1_only().build().unwrap(),
                Client::builder().http2_prior_knowledge().build().unwrap(),
            ] {
                let tickets: Vec<_> = (0..50)
                    .map(|n| {
                        let client = client.clone();
                        let url = format!("{base}/echo");
                        deli::spawn(async move {
                            let response = client.post(&url, format!("{n}")).await?;
                            response.into_body().text().await
                        })
                    })
                    .collect();
                for (n, ticket) in tickets.into_iter().enumerate() {
                    assert_eq!(ticket.await.unwrap().unwrap(), n.to_string());
                }
            }
            assert_eq!(server.shutdown(Duration::from_secs(5)).await.aborted, 0);
        });
    });
}

/// A handler that panics answers 500 for its own request only: the
/// connection stays up, over HTTP/1.1 keep-alive and for the other streams
/// of one HTTP/2 connection.
#[test]
fn a_panicking_handler_answers_500_and_spares_the_connection() {
    within(BOUND, || {
        runtime().block_on(async {
            let server = Server::bind("127.0.0.1:0")
                .serve(|request: Request| async move {
                    if request.uri().path() == "/panic" {
                        panic!("the handler broke");
                    }
                    deli::sleep(Duration::from_millis(20)).await;
                    "fine"
                })
                .await
                .unwrap();
            let base = format!("http://{}", server.local_addr());
            for client in [
                Client::builder().http1_only().build().unwrap(),
                Client::builder().http2_prior_knowledge().build().unwrap(),
            ] {
                // Slow requests in flight on the same HTTP/2 connection
                // while another request's handler panics.
                let slow: Vec<_> = (0..4)
                    .map(|_| {
                        let (client, url) = (client.clone(), format!("{base}/slow"));
                        deli::spawn(async move { client.get(&url).await.unwrap() })
                    })
                    .collect();
                let broken = client.get(&format!("{base}/panic")).await.unwrap();
                assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
                for response in slow {
                    let response = response.await.unwrap();
                    assert_eq!(response.status(), StatusCode::OK);
                    assert_eq!(response.into_body().text().await.unwrap(), "fine");
                }
                let after = client.get(&format!("{base}/after")).await.unwrap();
                assert_eq!(after.into_body().text().await.unwrap(), "fine");
            }
            // One HTTP/1.1 connection (kept alive through the panic) and one
            // HTTP/2 connection, give or take a pooled one the HTTP/1.1
            // requests in parallel needed.
            assert!(server.connections() <= 6, "{}", server.connections());
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

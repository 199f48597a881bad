//! deli's streams through tokio's I/O traits (the `tokio-io` feature, no
//! tokio runtime anywhere): a `tokio-util` `Framed` line codec, and hyper 1
//! HTTP/1 client and server through `hyper-util`'s `TokioIo`, with hyper's
//! connection futures spawned on deli.
#![cfg(feature = "tokio-io")]

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use common::{within, BOUND};
use deli::net::{TcpListener, TcpStream, UnixStream};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio_util::codec::{Framed, LinesCodec};

#[test]
fn tokio_util_lines_codec_over_tcp() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                deli::spawn(async move {
                    let (stream, _) = listener.accept().await.unwrap();
                    let mut lines = Framed::new(stream, LinesCodec::new());
                    while let Some(Ok(line)) = lines.next().await {
                        if lines.send(line.to_uppercase()).await.is_err() {
                            break;
                        }
                    }
                })
                .detach();

                let stream = TcpStream::connect(addr).await.unwrap();
                let mut lines = Framed::new(stream, LinesCodec::new());
                for word in ["hello", "deli", "codec"] {
                    lines.send(word).await.unwrap();
                    let answer = lines.next().await.unwrap().unwrap();
                    assert_eq!(answer, word.to_uppercase(), "{name}");
                }
            });
        }
    });
}

/// Issue 19: the inherent `read_exact` shadows tokio's
/// `AsyncReadExt::read_exact` when that trait is in scope, so it returns
/// what tokio's does (the count), and code written for tokio compiles.
#[test]
fn read_exact_agrees_with_tokios_read_exact() {
    #[allow(unused_imports)]
    use tokio::io::AsyncReadExt;

    within(BOUND, || {
        deli::run(async {
            let (mut left, right) = UnixStream::pair().unwrap();
            let (mut reader, _writer) = right.into_split();
            left.write_all(b"0123456789").await.unwrap();
            let mut buf = [0; 4];
            let n: usize = reader.read_exact(&mut buf).await.unwrap();
            assert_eq!((n, &buf), (4, b"0123"));
        });
    });
}

#[test]
fn tokio_util_lines_codec_over_split_unix_halves() {
    within(BOUND, || {
        deli::run(async {
            let (left, right) = UnixStream::pair().unwrap();
            let (reader, writer) = right.into_split();
            let mut incoming = tokio_util::codec::FramedRead::new(reader, LinesCodec::new());
            let mut outgoing = tokio_util::codec::FramedWrite::new(writer, LinesCodec::new());
            let mut peer = Framed::new(left, LinesCodec::new());
            peer.send("ping").await.unwrap();
            assert_eq!(incoming.next().await.unwrap().unwrap(), "ping");
            outgoing.send("pong").await.unwrap();
            assert_eq!(peer.next().await.unwrap().unwrap(), "pong");
        });
    });
}

async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = format!("hello from deli, you asked for {}", request.uri().path());
    Ok(Response::new(Full::new(Bytes::from(text))))
}

#[test]
fn hyper_http1_client_and_server_on_deli() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                deli::spawn(async move {
                    while let Ok((stream, _)) = listener.accept().await {
                        let connection = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service_fn(hello));
                        deli::spawn(connection).detach();
                    }
                })
                .detach();

                let stream = TcpStream::connect(addr).await.unwrap();
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream))
                        .await
                        .unwrap();
                deli::spawn(connection).detach();

                for path in ["/one", "/two", "/three"] {
                    let request = Request::builder()
                        .uri(path)
                        .header(hyper::header::HOST, addr.to_string())
                        .body(Empty::<Bytes>::new())
                        .unwrap();
                    // HTTP/1 sends one request at a time: wait until the
                    // connection has finished with the previous one.
                    sender.ready().await.unwrap();
                    let response = sender.send_request(request).await.unwrap();
                    assert_eq!(response.status(), hyper::StatusCode::OK, "{name}");
                    let body = response.into_body().collect().await.unwrap().to_bytes();
                    assert_eq!(
                        body,
                        format!("hello from deli, you asked for {path}").as_bytes(),
                        "{name}"
                    );
                }
            });
        }
    });
}

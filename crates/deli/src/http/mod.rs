//! HTTP on deli (feature `http`): a server and a client for HTTP/1.1 and
//! HTTP/2, plain or over TLS, powered by [hyper] running on deli's
//! executor, timers and sockets.
//!
//! - [`Server`]: bind, set limits and TLS, [`serve`](Server::serve) an async
//!   handler, [`shutdown`](ServerHandle::shutdown) gracefully.
//! - [`Client`]: pooled connections per host, HTTP/1.1 and HTTP/2 (ALPN or
//!   prior knowledge), HTTPS, timeouts, redirects, streaming bodies,
//!   [`get`](Client::get) / [`post`](Client::post) / [`get_json`](Client::get_json) /
//!   [`post_json`](Client::post_json).
//! - [`Body`] for both, [`Error`] saying what failed, [`rt`] for running
//!   any other hyper code on deli.
//!
//! This module owns the glue and the API above; it may call [`crate::net`],
//! [`crate::time`] and the runtime's `spawn`. Nothing else in deli imports it.
//! hyper is not reimplemented: parsing, HTTP/2 framing and connection
//! pooling are hyper's and hyper-util's; TLS is rustls' with the `ring`
//! provider.
//!
//! ```
//! use std::time::Duration;
//! use deli::http::{Client, Json, Request, Server, StatusCode};
//!
//! deli::run(async {
//!     let server = Server::bind("127.0.0.1:0")
//!         .serve(|request: Request| async move {
//!             match request.uri().path() {
//!                 "/hello" => "hello, world".into_response(),
//!                 "/echo" => match request.into_body().read_json::<serde_json::Value>().await {
//!                     Ok(value) => Json(value).into_response(),
//!                     Err(error) => error.into_response(),
//!                 },
//!                 _ => StatusCode::NOT_FOUND.into_response(),
//!             }
//!         })
//!         .await
//!         .unwrap();
//!     let base = format!("http://{}", server.local_addr());
//!
//!     let client = Client::new();
//!     let hello = client.get(&format!("{base}/hello")).await.unwrap();
//!     assert_eq!(hello.into_body().text().await.unwrap(), "hello, world");
//!     let echoed: serde_json::Value =
//!         client.post_json(&format!("{base}/echo"), &serde_json::json!({"n": 1})).await.unwrap();
//!     assert_eq!(echoed["n"], 1);
//!
//!     server.shutdown(Duration::from_secs(5)).await;
//! });
//! # use deli::http::IntoResponse;
//! ```

mod body;
mod client;
mod error;
mod response;
pub mod rt;
mod server;
mod tls;

pub use body::Body;
pub use client::{Client, ClientBuilder, ResponseExt, Timeout};
pub use error::{BoxError, Error};
pub use response::{IntoResponse, Json, Request, Response};
pub use server::{Server, ServerHandle, ShutdownReport};
pub use tls::TlsConfig;

pub use http::{header, HeaderMap, Method, StatusCode, Uri, Version};

//! The HTTP server: [`Server`] (bind, limits, TLS) → [`Server::serve`] a
//! handler → [`ServerHandle`] (address, graceful shutdown).
//!
//! Each accepted connection is a deli task running hyper-util's automatic
//! HTTP/1.1-or-HTTP/2 connection (the protocol is told by the client's
//! first bytes, or by ALPN under TLS) on deli's executor, timer and
//! sockets. What the server adds around hyper lives in `connection`: the
//! body limit (`413`), the `408` after a stalled request head, a lingering
//! close, and the orders of `control` (drain, abort). hyper itself answers
//! `431` to a head over the size limit.
//!
//! May call [`crate::http`]'s other files, [`crate::net`], deli's time and
//! spawn.

mod connection;
mod control;

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use hyper_util::server::conn::auto;

use self::control::{Control, Order, Registry, Watch};
use super::error::Error;
use super::response::{IntoResponse, Request};
use super::rt::{Executor, Timer};
use super::tls::TlsConfig;
use crate::net::{finish_resolution, Resolution, TcpListener, TcpStream};

/// What the server holds to (see the [`Server`] setters).
#[derive(Debug, Clone)]
struct Limits {
    max_body_bytes: u64,
    body_read_timeout: Duration,
    header_read_timeout: Duration,
    max_header_bytes: usize,
    max_headers: usize,
    keep_alive: bool,
    linger: Duration,
    protocols: Protocols,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocols {
    Both,
    Http1Only,
    Http2Only,
}

enum Bind {
    /// Parsed, or a name still to look up (in `serve`, off this thread).
    Addrs(Resolution),
    Listener(TcpListener),
}

/// An HTTP/1.1 and HTTP/2 server, plain or over TLS, to be bound and given
/// a handler.
///
/// A handler is an async function from a [`Request`] (whose body is limited
/// to [`max_body_bytes`](Server::max_body_bytes)) to anything that is
/// [`IntoResponse`]: a [`Response`](super::Response), text, a status,
/// [`Json`](super::Json), or a `Result` of them — so `?` on
/// [`Body::bytes`](super::Body::bytes) answers `413` by itself when the body
/// is over the limit. A handler that panics answers `500` for that request
/// (and reports the panic through `tracing`, target `deli::http`); the
/// connection and its other requests carry on.
///
/// Defaults: bodies up to 1 MiB, request heads within 30 s (`408` after;
/// an idle keep-alive connection closes then too), body data at least
/// every 30 s (`408`), heads up to 64 KiB and
/// 100 header lines (`431` over), keep-alive on, HTTP/1.1 and HTTP/2.
///
/// # Examples
///
/// ```
/// use deli::http::{Client, Request, Server};
///
/// deli::run(async {
///     let server = Server::bind("127.0.0.1:0")
///         .serve(|request: Request| async move {
///             format!("hello, {}", request.uri().path().trim_start_matches('/'))
///         })
///         .await
///         .unwrap();
///     let url = format!("http://{}/deli", server.local_addr());
///     let text = Client::new().get(&url).await.unwrap().into_body().text().await.unwrap();
///     assert_eq!(text, "hello, deli");
///     server.shutdown(std::time::Duration::from_secs(5)).await;
/// });
/// ```
pub struct Server {
    bind: Bind,
    tls: Option<TlsConfig>,
    limits: Limits,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("tls", &self.tls.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server to listen on `addr`, any address form deli's sockets take
    /// ([`ToSocketAddrs`](crate::net::ToSocketAddrs)). Nothing blocks here:
    /// a literal address such as `"0.0.0.0:8080"` is only parsed, and a
    /// host name is looked up in [`serve`](Server::serve), on the blocking
    /// pool as [`lookup_host`](crate::net::lookup_host) does, never on the
    /// calling thread; `serve` reports a failure to resolve or to bind.
    ///
    /// # Examples
    ///
    /// ```
    /// let _server = deli::http::Server::bind("127.0.0.1:0");
    /// let _by_name = deli::http::Server::bind(("localhost", 0));
    /// ```
    pub fn bind(addr: impl crate::net::ToSocketAddrs) -> Server {
        Server::with(Bind::Addrs(addr.resolve()))
    }

    /// A server accepting on a listener already bound.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let listener = deli::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let _server = deli::http::Server::from_listener(listener);
    /// });
    /// ```
    pub fn from_listener(listener: TcpListener) -> Server {
        Server::with(Bind::Listener(listener))
    }

    fn with(bind: Bind) -> Server {
        Server {
            bind,
            tls: None,
            limits: Limits {
                max_body_bytes: 1 << 20,
                body_read_timeout: Duration::from_secs(30),
                header_read_timeout: Duration::from_secs(30),
                max_header_bytes: 64 << 10,
                max_headers: HYPER_MAX_HEADERS,
                keep_alive: true,
                linger: connection::DEFAULT_LINGER,
                protocols: Protocols::Both,
            },
        }
    }

    crate::setters::setters! {
        /// Serves HTTPS with this certificate and key; HTTP/2 is offered by
        /// ALPN.
        ///
        /// # Examples
        ///
        /// ```no_run
        /// let tls = deli::http::TlsConfig::from_pem_files("cert.pem", "key.pem").unwrap();
        /// let _server = deli::http::Server::bind("0.0.0.0:8443").tls(tls);
        /// ```
        pub fn tls(mut self, config: TlsConfig) => self.tls = Some(config);

        /// The largest request body a handler may read: a larger declared
        /// length is answered `413` before the handler runs; a larger chunked
        /// body fails the handler's read with [`Error::BodyTooLarge`].
        ///
        /// # Examples
        ///
        /// ```
        /// let _server = deli::http::Server::bind("127.0.0.1:0").max_body_bytes(64 << 10);
        /// ```
        pub fn max_body_bytes(mut self, limit: u64) => self.limits.max_body_bytes = limit;

        /// The longest a request body may send nothing (before its first bytes
        /// or between two chunks): past it the handler's read fails with
        /// [`Error::BodyStalled`], which answers `408`. A client trickling or
        /// stopping its upload cannot hold a handler forever.
        ///
        /// # Examples
        ///
        /// ```
        /// let _server = deli::http::Server::bind("127.0.0.1:0")
        ///     .body_read_timeout(std::time::Duration::from_secs(10));
        /// ```
        pub fn body_read_timeout(mut self, timeout: Duration) =>
            self.limits.body_read_timeout = timeout;

        /// How long a client has to send a whole request head (and the TLS
        /// handshake, under TLS) before it is answered `408` and closed; an idle
        /// keep-alive HTTP/1 connection is closed after it too.
        ///
        /// # Examples
        ///
        /// ```
        /// let _server = deli::http::Server::bind("127.0.0.1:0")
        ///     .header_read_timeout(std::time::Duration::from_secs(5));
        /// ```
        pub fn header_read_timeout(mut self, timeout: Duration) =>
            self.limits.header_read_timeout = timeout;

        /// The largest request head in bytes (at least 8 KiB, which HTTP/1
        /// needs); a larger one is answered `431`.
        ///
        /// # Examples
        ///
        /// ```
        /// let _server = deli::http::Server::bind("127.0.0.1:0").max_header_bytes(16 << 10);
        /// ```
        pub fn max_header_bytes(mut self, limit: usize) =>
            self.limits.max_header_bytes = limit.max(8192);

        /// The most header lines in an HTTP/1 request head; more is answered
        /// `431`.
        ///
        /// # Examples
        ///
        /// ```
        /// let _server = deli::http::Server::bind("127.0.0.1:0").max_headers(50);
        /// ```
        pub fn max_headers(mut self, limit: usize) => self.limits.max_headers = limit;

        /// Whether HTTP/1 connections stay open for further requests.
        ///
        /// # Examples
        ///
        /// ```
        /// let _server = deli::http::Server::bind("127.0.0.1:0").keep_alive(false);
        /// ```
        pub fn keep_alive(mut self, enabled: bool) => self.limits.keep_alive = enabled;

        /// Serves HTTP/1.x only.
        ///
        /// # Examples
        ///
        /// ```
        /// let _server = deli::http::Server::bind("127.0.0.1:0").http1_only();
        /// ```
        pub fn http1_only(mut self) => self.limits.protocols = Protocols::Http1Only;

        /// Serves HTTP/2 only (prior knowledge in clear text, or ALPN `h2`).
        ///
        /// # Examples
        ///
        /// ```
        /// let _server = deli::http::Server::bind("127.0.0.1:0").http2_only();
        /// ```
        pub fn http2_only(mut self) => self.limits.protocols = Protocols::Http2Only;
    }

    /// Binds (unless made from a listener) and starts serving `handler` on
    /// the current runtime; returns at once with a [`ServerHandle`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the address did not resolve or could not be bound.
    ///
    /// # Examples
    ///
    /// See [`Server`].
    pub async fn serve<H, Fut, R>(self, handler: H) -> Result<ServerHandle, Error>
    where
        H: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse + 'static,
    {
        let listener = match self.bind {
            Bind::Listener(listener) => listener,
            Bind::Addrs(resolution) => bind_first(finish_resolution(resolution).await?).await?,
        };
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            handler,
            builder: hyper_builder(&self.limits),
            limits: self.limits,
            tls: self
                .tls
                .map(|tls| tokio_rustls::TlsAcceptor::from(tls.server)),
        });
        let registry = Arc::new(Registry::new());
        let accepting = Arc::new(Control::new(Order::Serve));
        let done = Arc::new(Control::new(Order::Serve));
        crate::spawn(accept_loop(
            listener,
            shared,
            Arc::clone(&registry),
            Arc::clone(&accepting),
        ))
        .detach();
        Ok(ServerHandle {
            local_addr,
            registry,
            accepting,
            done,
        })
    }
}

async fn bind_first(addrs: Vec<SocketAddr>) -> io::Result<TcpListener> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to bind");
    for addr in addrs {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// hyper's own limit on header lines when none is set.
const HYPER_MAX_HEADERS: usize = 100;

fn hyper_builder(limits: &Limits) -> auto::Builder<Executor> {
    let mut builder = auto::Builder::new(Executor::current());
    let mut http1 = builder.http1();
    http1
        .timer(Timer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes)
        .keep_alive(limits.keep_alive);
    if limits.max_headers != HYPER_MAX_HEADERS {
        // Only when asked: with a limit set, hyper initializes a header
        // array of that size for every request (measured: ~1% of a
        // hello-world request); without one it uses hyper's default of 100
        // on an uninitialized array.
        http1.max_headers(limits.max_headers);
    }
    builder
        .http2()
        .timer(Timer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    match limits.protocols {
        Protocols::Both => builder,
        Protocols::Http1Only => builder.http1_only(),
        Protocols::Http2Only => builder.http2_only(),
    }
}

/// What every connection task of one server shares.
pub(crate) struct Shared<H> {
    handler: H,
    builder: auto::Builder<Executor>,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

async fn accept_loop<H, Fut, R>(
    listener: TcpListener,
    shared: Arc<Shared<H>>,
    registry: Arc<Registry>,
    accepting: Arc<Control>,
) where
    H: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    let mut watch = Watch::new();
    loop {
        let accepted = poll_fn(|cx| {
            if accepting.poll_order(&mut watch, cx) != Order::Serve {
                return Poll::Ready(None);
            }
            listener.poll_accept(cx).map(Some)
        })
        .await;
        let stream = match accepted {
            None => return,
            Some(Ok((stream, _))) => stream,
            Some(Err(error)) => {
                // Out of file descriptors or memory, a connection reset
                // before it was accepted: none of it ends the server, but
                // give resources a moment to come back.
                if !matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                ) {
                    crate::sleep(Duration::from_millis(10)).await;
                }
                continue;
            }
        };
        // Responses are written whole; Nagle would only delay them.
        let _ = stream.set_nodelay(true);
        let membership = registry.join();
        crate::spawn(start_connection(stream, Arc::clone(&shared), membership)).detach();
    }
}

async fn start_connection<H, Fut, R>(
    stream: TcpStream,
    shared: Arc<Shared<H>>,
    membership: control::Membership,
) where
    H: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    match shared.tls.clone() {
        None => connection::serve(stream, shared, membership).await,
        Some(acceptor) => {
            let handshake = acceptor.accept(stream);
            let timeout = shared.limits.header_read_timeout;
            if let Ok(Ok(stream)) = crate::timeout(timeout, handshake).await {
                connection::serve(stream, shared, membership).await;
            }
        }
    }
}

/// A running server: its address, and the way to stop it.
///
/// Dropping the handle leaves the server running (until its runtime shuts
/// down); [`shutdown`](ServerHandle::shutdown) stops it.
///
/// # Examples
///
/// See [`Server`].
#[derive(Debug, Clone)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    registry: Arc<Registry>,
    accepting: Arc<Control>,
    done: Arc<Control>,
}

/// What a [`ServerHandle::shutdown`] did.
///
/// # Examples
///
/// See [`ServerHandle::shutdown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Connections still open at the deadline, closed with their requests
    /// unfinished.
    pub aborted: usize,
}

impl ServerHandle {
    /// The address the server listens on (with the port the system chose
    /// for port 0).
    ///
    /// # Examples
    ///
    /// See [`Server`].
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// How many connections are open right now.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let server = deli::http::Server::bind("127.0.0.1:0").serve(|_| async { "" }).await.unwrap();
    ///     assert_eq!(server.connections(), 0);
    /// #   server.shutdown(std::time::Duration::from_secs(1)).await;
    /// });
    /// ```
    pub fn connections(&self) -> usize {
        self.registry.len()
    }

    /// Stops the server gracefully: no new connection is accepted (the
    /// listener closes), every open connection finishes the requests it
    /// has in flight and closes (HTTP/2 with a GOAWAY), and whatever is
    /// still open after `grace` is closed unfinished.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// deli::run(async {
    ///     let server = deli::http::Server::bind("127.0.0.1:0").serve(|_| async { "" }).await.unwrap();
    ///     let report = server.shutdown(Duration::from_secs(5)).await;
    ///     assert_eq!(report.aborted, 0);
    /// });
    /// ```
    pub async fn shutdown(&self, grace: Duration) -> ShutdownReport {
        self.accepting.give(Order::Drain);
        self.registry.order_all(Order::Drain);
        let all_closed = poll_fn(|cx| self.registry.poll_empty(cx));
        let aborted = match crate::timeout(grace, all_closed).await {
            Ok(()) => 0,
            Err(_) => {
                let unfinished = self.registry.len();
                self.registry.order_all(Order::Abort);
                // Aborted connections close at their next poll.
                let _ = crate::timeout(
                    Duration::from_secs(1),
                    poll_fn(|cx| self.registry.poll_empty(cx)),
                )
                .await;
                unfinished
            }
        };
        self.done.give(Order::Abort);
        ShutdownReport { aborted }
    }

    /// Waits until a [`shutdown`](ServerHandle::shutdown) (from another
    /// task, through a clone of this handle) has finished: how a program
    /// that only serves waits "forever".
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// deli::run(async {
    ///     let server = deli::http::Server::bind("127.0.0.1:0").serve(|_| async { "" }).await.unwrap();
    ///     let stopper = server.clone();
    ///     deli::spawn(async move { stopper.shutdown(Duration::from_secs(1)).await }).detach();
    ///     server.wait().await;
    /// });
    /// ```
    pub async fn wait(&self) {
        let mut watch = Watch::new();
        poll_fn(|cx| match self.done.poll_order(&mut watch, cx) {
            Order::Abort => Poll::Ready(()),
            Order::Serve | Order::Drain => Poll::Pending,
        })
        .await;
    }
}

//! The HTTP client: [`Client`] (made by [`ClientBuilder`]) sends requests
//! over pooled connections — HTTP/1.1 keep-alive or one multiplexed HTTP/2
//! connection per host — plain or through rustls, follows a bounded number
//! of redirects, and times requests out. Pooling is hyper-util's client,
//! running on deli's executor and timer with the `connector` of this
//! folder. May call [`crate::http`]'s other files and deli's time.

mod connector;
mod redirect;

use std::fmt;
use std::time::Duration;

use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use http::{Method, StatusCode, Uri};
use hyper_util::client::legacy;

use self::connector::{Connector, TlsSettings};
use super::body::Body;
use super::error::{BoxError, Error};
use super::response::{Request, Response};
use super::rt::{Executor, Timer};
use super::tls;

/// A request extension that sets this request's timeout, in place of the
/// client's (see [`ClientBuilder::timeout`]).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use deli::http::{Body, Request, Timeout};
///
/// let mut request = Request::get("http://127.0.0.1:9/").body(Body::empty()).unwrap();
/// request.extensions_mut().insert(Timeout(Duration::from_millis(250)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Duration);

/// An HTTP client with a connection pool per host.
///
/// Cheap to clone (clones share the pool); make one and keep it. Requests
/// need absolute `http://` or `https://` URLs. A request's timeout covers
/// connecting, sending and receiving the response head (and, for the
/// conveniences that read the body, the body too); redirects (301, 302,
/// 303, 307, 308) are followed up to the limit, re-sending the body only
/// where it is a buffer.
///
/// # Examples
///
/// ```
/// use deli::http::{Client, Json, Request, Server};
///
/// deli::run(async {
///     let server = Server::bind("127.0.0.1:0")
///         .serve(|request: Request| async move {
///             let numbers: Vec<u64> = request.into_body().read_json().await?;
///             Ok::<_, deli::http::Error>(Json(numbers.iter().sum::<u64>()))
///         })
///         .await
///         .unwrap();
///     let client = Client::new();
///     let url = format!("http://{}/sum", server.local_addr());
///     let sum: u64 = client.post_json(&url, &[1, 2, 3]).await.unwrap();
///     assert_eq!(sum, 6);
///     server.shutdown(std::time::Duration::from_secs(5)).await;
/// });
/// ```
#[derive(Clone)]
pub struct Client {
    pool: legacy::Client<Connector, Body>,
    timeout: Option<Duration>,
    max_redirects: usize,
    max_response_bytes: Option<u64>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .field("max_redirects", &self.max_redirects)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

/// Settings for a [`Client`]; from [`Client::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let client = deli::http::Client::builder()
///     .timeout(Duration::from_secs(10))
///     .max_redirects(3)
///     .build()
///     .unwrap();
/// # drop(client);
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    timeout: Option<Duration>,
    connect_timeout: Duration,
    max_redirects: usize,
    max_response_bytes: Option<u64>,
    extra_roots: Vec<Vec<u8>>,
    system_roots: bool,
    protocols: Protocols,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocols {
    Both,
    Http1Only,
    Http2PriorKnowledge,
}

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let _client = deli::http::Client::new();
    /// ```
    pub fn new() -> Client {
        ClientBuilder::default().build_with_roots(Vec::new())
    }

    /// Settings for a new client.
    ///
    /// # Examples
    ///
    /// See [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Sends `request` and returns the response once its head has arrived;
    /// the body streams in as it is read.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`], [`Error::Dns`], [`Error::Connect`],
    /// [`Error::Tls`], [`Error::Timeout`], [`Error::TooManyRedirects`],
    /// [`Error::Http`]. A response of any status is `Ok`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::http::{Body, Client, Error, Request};
    ///
    /// deli::run(async {
    ///     // Port 9 ("discard") has nothing listening here.
    ///     let request = Request::get("http://127.0.0.1:9/").body(Body::empty()).unwrap();
    ///     let error = Client::new().request(request).await.unwrap_err();
    ///     assert!(matches!(error, Error::Connect { .. }), "{error}");
    /// });
    /// ```
    pub async fn request(&self, request: Request) -> Result<Response, Error> {
        let timeout = request
            .extensions()
            .get::<Timeout>()
            .map(|timeout| timeout.0)
            .or(self.timeout);
        match timeout {
            None => self.follow(request).await,
            Some(limit) => crate::timeout(limit, self.follow(request))
                .await
                .map_err(|_| Error::Timeout(limit))?,
        }
    }

    async fn follow(&self, mut request: Request) -> Result<Response, Error> {
        let mut followed = 0;
        loop {
            let replay = (self.max_redirects > 0).then(|| redirect::Replay::keep(&request));
            let response = self.send_once(request).await?;
            let Some(next) = replay.and_then(|replay| replay.next(&response)) else {
                return Ok(response);
            };
            if followed == self.max_redirects {
                return Err(Error::TooManyRedirects {
                    max: self.max_redirects,
                });
            }
            followed += 1;
            request = next?;
        }
    }

    async fn send_once(&self, request: Request) -> Result<Response, Error> {
        let response = self.pool.request(request).await.map_err(pool_error)?;
        Ok(response.map(|body| {
            let body = Body::incoming(body);
            match self.max_response_bytes {
                Some(limit) => body.limit(limit),
                None => body,
            }
        }))
    }

    /// Sends a `GET`.
    ///
    /// # Errors
    ///
    /// As [`Client::request`].
    ///
    /// # Examples
    ///
    /// See [`Server`](super::Server).
    pub async fn get(&self, url: &str) -> Result<Response, Error> {
        self.request(build(Method::GET, url, Body::empty())?).await
    }

    /// Sends a `POST` with `body`.
    ///
    /// # Errors
    ///
    /// As [`Client::request`].
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::http::{Client, Request, Server};
    ///
    /// deli::run(async {
    ///     let server = Server::bind("127.0.0.1:0")
    ///         .serve(|request: Request| async move { request.into_body().bytes().await.map(|b| b.len().to_string()) })
    ///         .await
    ///         .unwrap();
    ///     let url = format!("http://{}/", server.local_addr());
    ///     let response = Client::new().post(&url, "four").await.unwrap();
    ///     assert_eq!(response.into_body().text().await.unwrap(), "4");
    ///     server.shutdown(std::time::Duration::from_secs(5)).await;
    /// });
    /// ```
    pub async fn post(&self, url: &str, body: impl Into<Body>) -> Result<Response, Error> {
        self.request(build(Method::POST, url, body.into())?).await
    }

    /// `GET`s `url` and parses the body of a successful response as JSON;
    /// the timeout covers the body too.
    ///
    /// # Errors
    ///
    /// As [`Client::request`], and [`Error::Status`] for a status other
    /// than 2xx, [`Error::Json`] for a body that is not a `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::http::{Client, Json, Server};
    ///
    /// deli::run(async {
    ///     let server = Server::bind("127.0.0.1:0").serve(|_| async { Json([1, 2]) }).await.unwrap();
    ///     let url = format!("http://{}/", server.local_addr());
    ///     let numbers: Vec<u8> = Client::new().get_json(&url).await.unwrap();
    ///     assert_eq!(numbers, [1, 2]);
    ///     server.shutdown(std::time::Duration::from_secs(5)).await;
    /// });
    /// ```
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Error> {
        let mut request = build(Method::GET, url, Body::empty())?;
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        self.exchange_json(request).await
    }

    /// `POST`s `value` as JSON to `url` and parses the body of a successful
    /// response as JSON; the timeout covers the body too.
    ///
    /// # Errors
    ///
    /// As [`Client::get_json`].
    ///
    /// # Examples
    ///
    /// See [`Client`].
    pub async fn post_json<T, U>(&self, url: &str, value: &T) -> Result<U, Error>
    where
        T: serde::Serialize + ?Sized,
        U: serde::de::DeserializeOwned,
    {
        let mut request = build(Method::POST, url, Body::json(value)?)?;
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        self.exchange_json(request).await
    }

    async fn exchange_json<U: serde::de::DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<U, Error> {
        let timeout = request
            .extensions()
            .get::<Timeout>()
            .map(|timeout| timeout.0)
            .or(self.timeout);
        let exchange = async {
            let response = self.follow(request).await?.error_for_status()?;
            response.into_body().read_json().await
        };
        match timeout {
            None => exchange.await,
            Some(limit) => crate::timeout(limit, exchange)
                .await
                .map_err(|_| Error::Timeout(limit))?,
        }
    }
}

fn build(method: Method, url: &str, body: Body) -> Result<Request, Error> {
    let uri: Uri = url
        .parse()
        .map_err(|error: http::uri::InvalidUri| Error::InvalidUrl {
            url: url.to_string(),
            reason: error.to_string(),
        })?;
    let mut request = Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    Ok(request)
}

/// Turns the pool's error into ours: a connector error comes back as
/// itself (rebuilt: the pool keeps the original), anything else is
/// [`Error::Http`].
fn pool_error(error: legacy::Error) -> Error {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&error);
    while let Some(current) = cause {
        if let Some(ours) = current.downcast_ref::<Error>() {
            return ours.rebuilt();
        }
        cause = current.source();
    }
    Error::Http(Box::new(error) as BoxError)
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder {
            timeout: Some(Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(10),
            max_redirects: 10,
            max_response_bytes: None,
            extra_roots: Vec::new(),
            system_roots: true,
            protocols: Protocols::Both,
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 32,
        }
    }
}

impl ClientBuilder {
    crate::setters::setters! {
        /// Each request's timeout, unless it carries a [`Timeout`] of its own;
        /// `None` for none. Default 30 s.
        ///
        /// # Examples
        ///
        /// ```
        /// let _builder = deli::http::Client::builder().timeout(None);
        /// ```
        pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) =>
            self.timeout = timeout.into();

        /// How long one TCP connect (and one TLS handshake) may take. Default
        /// 10 s.
        ///
        /// # Examples
        ///
        /// ```
        /// let _builder = deli::http::Client::builder().connect_timeout(std::time::Duration::from_secs(2));
        /// ```
        pub fn connect_timeout(mut self, timeout: Duration) => self.connect_timeout = timeout;

        /// The most redirects followed for one request (0: none, the 3xx
        /// response is returned). Default 10.
        ///
        /// # Examples
        ///
        /// ```
        /// let _builder = deli::http::Client::builder().max_redirects(0);
        /// ```
        pub fn max_redirects(mut self, max: usize) => self.max_redirects = max;

        /// The largest response body read; past it, reading fails with
        /// [`Error::BodyTooLarge`]. Default: no limit.
        ///
        /// # Examples
        ///
        /// ```
        /// let _builder = deli::http::Client::builder().max_response_bytes(16 << 20);
        /// ```
        pub fn max_response_bytes(mut self, limit: u64) => self.max_response_bytes = Some(limit);

        /// Trusts the certificates in `pem` as roots, besides the system's.
        ///
        /// # Examples
        ///
        /// ```
        /// let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        /// let client = deli::http::Client::builder()
        ///     .add_root_certificate_pem(certified.cert.pem().as_bytes())
        ///     .build()
        ///     .unwrap();
        /// # drop(client);
        /// ```
        pub fn add_root_certificate_pem(mut self, pem: &[u8]) =>
            self.extra_roots.push(pem.to_vec());

        /// Whether the system's root certificates are trusted too. Default yes.
        ///
        /// # Examples
        ///
        /// ```
        /// let _builder = deli::http::Client::builder().system_roots(false);
        /// ```
        pub fn system_roots(mut self, enabled: bool) => self.system_roots = enabled;

        /// Speaks HTTP/1.1 only (ALPN offers only `http/1.1`).
        ///
        /// # Examples
        ///
        /// ```
        /// let _builder = deli::http::Client::builder().http1_only();
        /// ```
        pub fn http1_only(mut self) => self.protocols = Protocols::Http1Only;

        /// Speaks HTTP/2 only, without asking first: over clear text (`h2c`
        /// with prior knowledge) and TLS alike.
        ///
        /// # Examples
        ///
        /// ```
        /// let _builder = deli::http::Client::builder().http2_prior_knowledge();
        /// ```
        pub fn http2_prior_knowledge(mut self) => self.protocols = Protocols::Http2PriorKnowledge;

        /// How long an idle pooled connection is kept. Default 90 s.
        ///
        /// # Examples
        ///
        /// ```
        /// let _builder = deli::http::Client::builder().pool_idle_timeout(std::time::Duration::from_secs(5));
        /// ```
        pub fn pool_idle_timeout(mut self, timeout: Duration) => self.pool_idle_timeout = timeout;

        /// The most idle HTTP/1 connections kept per host. Default 32.
        ///
        /// # Examples
        ///
        /// ```
        /// let _builder = deli::http::Client::builder().pool_max_idle_per_host(4);
        /// ```
        pub fn pool_max_idle_per_host(mut self, max: usize) => self.pool_max_idle_per_host = max;
    }

    /// Makes the client.
    ///
    /// # Errors
    ///
    /// [`Error::TlsConfig`] if an added root certificate is not PEM.
    ///
    /// # Examples
    ///
    /// See [`ClientBuilder`].
    pub fn build(self) -> Result<Client, Error> {
        let mut roots = Vec::new();
        for pem in &self.extra_roots {
            roots.extend(tls::parse_certificates(pem)?);
        }
        Ok(self.build_with_roots(roots))
    }

    fn build_with_roots(
        self,
        extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    ) -> Client {
        let alpn: &'static [&'static [u8]] = match self.protocols {
            Protocols::Both => &tls::ALPN_H2_AND_H1,
            Protocols::Http1Only => &[b"http/1.1"],
            Protocols::Http2PriorKnowledge => &[b"h2"],
        };
        let connector = Connector::new(
            self.connect_timeout,
            TlsSettings {
                extra_roots,
                system_roots: self.system_roots,
                alpn,
            },
        );
        let mut pool = legacy::Client::builder(Executor::current());
        pool.timer(Timer::new())
            .pool_timer(Timer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .http2_only(self.protocols == Protocols::Http2PriorKnowledge);
        Client {
            pool: pool.build(connector),
            timeout: self.timeout,
            max_redirects: self.max_redirects,
            max_response_bytes: self.max_response_bytes,
        }
    }
}

/// Response conveniences.
///
/// # Examples
///
/// See [`ResponseExt::error_for_status`].
pub trait ResponseExt: Sized {
    /// The response itself if its status is 2xx, else [`Error::Status`].
    ///
    /// # Errors
    ///
    /// [`Error::Status`] for any status outside 200–299.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::http::{IntoResponse, ResponseExt, StatusCode};
    ///
    /// let missing = StatusCode::NOT_FOUND.into_response();
    /// assert!(matches!(missing.error_for_status(), Err(deli::http::Error::Status(StatusCode::NOT_FOUND))));
    /// ```
    fn error_for_status(self) -> Result<Self, Error>;
}

impl ResponseExt for Response {
    fn error_for_status(self) -> Result<Response, Error> {
        let status: StatusCode = self.status();
        if status.is_success() {
            Ok(self)
        } else {
            Err(Error::Status(status))
        }
    }
}

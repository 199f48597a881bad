//! [`Error`]: what went wrong in an HTTP exchange, one variant per kind of
//! failure, each keeping its cause. Owns nothing else; used by every other
//! file of [`crate::http`].

use std::io;
use std::time::Duration;

use http::StatusCode;

/// Any error, boxed: the cause kept inside [`Error::Body`] and
/// [`Error::Http`].
///
/// # Examples
///
/// ```
/// let cause: deli::http::BoxError = "the upstream hung up".into();
/// let error = deli::http::Error::Body(cause);
/// assert_eq!(error.to_string(), "the body failed: the upstream hung up");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What failed in an HTTP exchange, on the client or the server side.
///
/// Every variant says which step failed and keeps the underlying cause as
/// its [`source`](std::error::Error::source). On the server, a handler may
/// return it: it becomes a response with the matching status (see
/// [`Error::status`]).
///
/// # Examples
///
/// ```
/// use deli::http::{Error, StatusCode};
///
/// let error = Error::BodyTooLarge { limit: 1024 };
/// assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
/// assert_eq!(error.to_string(), "the body is larger than the limit of 1024 bytes");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL could not be parsed or lacks what a request needs (a scheme
    /// of `http` or `https`, a host).
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The host name did not resolve.
    #[error("cannot resolve host {host:?}: {source}")]
    Dns {
        /// The host name.
        host: String,
        /// The resolver's error.
        #[source]
        source: io::Error,
    },
    /// No TCP connection could be made (refused, unreachable, ...).
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The address (or host and port) tried last.
        addr: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The TLS handshake failed (untrusted certificate, wrong name, no
    /// common protocol, ...).
    #[error("TLS handshake with {host:?} failed: {source}")]
    Tls {
        /// The server name the certificate was checked against.
        host: String,
        /// rustls' error, inside an `io::Error`.
        #[source]
        source: io::Error,
    },
    /// The TLS configuration could not be built (unreadable certificate or
    /// key file, a key that does not match, ...).
    #[error("TLS configuration: {0}")]
    TlsConfig(String),
    /// The request, or the step named in the request's timeout, did not
    /// finish in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The server answered with a status that is not a success (only from
    /// the conveniences that check it, such as
    /// [`Client::get_json`](super::Client::get_json) and
    /// [`ResponseExt::error_for_status`](super::ResponseExt::error_for_status)).
    #[error("the server answered {0}")]
    Status(StatusCode),
    /// A body sent nothing for longer than its idle timeout
    /// ([`Body::idle_timeout`](super::Body::idle_timeout); on the server,
    /// [`Server::body_read_timeout`](super::Server::body_read_timeout)).
    #[error("the body sent nothing for {0:?}")]
    BodyStalled(Duration),
    /// A body was larger than the configured limit.
    #[error("the body is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A redirect chain was longer than the client allows.
    #[error("stopped after {max} redirects")]
    TooManyRedirects {
        /// The client's limit.
        max: usize,
    },
    /// Reading or writing a body failed (the peer went away mid-body, a
    /// streaming body's source failed, ...).
    #[error("the body failed: {0}")]
    Body(#[source] BoxError),
    /// The HTTP exchange itself failed (the connection closed before a
    /// response, a protocol violation, ...).
    #[error("HTTP error: {0}")]
    Http(#[source] BoxError),
    /// A body was not the JSON expected.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An I/O error outside the steps above (binding a listener, ...).
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Error {
    /// The status a server answers with when a handler fails with this
    /// error: 413 for [`BodyTooLarge`](Error::BodyTooLarge), 400 for a
    /// request body that failed or was not valid JSON, 504 for a
    /// [`Timeout`](Error::Timeout), 502 for a failed upstream exchange, 500
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::http::{Error, StatusCode};
    /// use std::time::Duration;
    ///
    /// assert_eq!(Error::Timeout(Duration::from_secs(1)).status(), StatusCode::GATEWAY_TIMEOUT);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::BodyStalled(_) => StatusCode::REQUEST_TIMEOUT,
            Error::Body(_) | Error::Json(_) => StatusCode::BAD_REQUEST,
            Error::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Error::Dns { .. }
            | Error::Connect { .. }
            | Error::Tls { .. }
            | Error::Status(_)
            | Error::TooManyRedirects { .. }
            | Error::Http(_) => StatusCode::BAD_GATEWAY,
            Error::InvalidUrl { .. } | Error::TlsConfig(_) | Error::Io(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Whether this is a [`Timeout`](Error::Timeout) or a
    /// [`BodyStalled`](Error::BodyStalled).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(deli::http::Error::Timeout(std::time::Duration::ZERO).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_) | Error::BodyStalled(_))
    }

    /// A copy of this error for when the original is held elsewhere (the
    /// client's pool keeps the connector's error): I/O causes keep their
    /// kind and message.
    pub(crate) fn rebuilt(&self) -> Error {
        let copy = |error: &io::Error| io::Error::new(error.kind(), error.to_string());
        match self {
            Error::InvalidUrl { url, reason } => Error::InvalidUrl {
                url: url.clone(),
                reason: reason.clone(),
            },
            Error::Dns { host, source } => Error::Dns {
                host: host.clone(),
                source: copy(source),
            },
            Error::Connect { addr, source } => Error::Connect {
                addr: addr.clone(),
                source: copy(source),
            },
            Error::Tls { host, source } => Error::Tls {
                host: host.clone(),
                source: copy(source),
            },
            Error::TlsConfig(text) => Error::TlsConfig(text.clone()),
            Error::Timeout(limit) => Error::Timeout(*limit),
            Error::Status(status) => Error::Status(*status),
            Error::BodyTooLarge { limit } => Error::BodyTooLarge { limit: *limit },
            Error::BodyStalled(idle) => Error::BodyStalled(*idle),
            Error::TooManyRedirects { max } => Error::TooManyRedirects { max: *max },
            Error::Io(error) => Error::Io(copy(error)),
            Error::Body(_) | Error::Http(_) | Error::Json(_) => {
                Error::Http(self.to_string().into())
            }
        }
    }

    /// Finds an [`Error`] of ours inside a boxed error (hyper hands back
    /// body and connector errors boxed), or boxes it as `fallback` says.
    pub(crate) fn from_boxed(error: BoxError, fallback: fn(BoxError) -> Error) -> Error {
        match error.downcast::<Error>() {
            Ok(ours) => *ours,
            Err(other) => fallback(other),
        }
    }
}

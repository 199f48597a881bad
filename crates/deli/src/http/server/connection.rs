//! One accepted connection, from the first byte to the last: hyper's
//! automatic HTTP/1.1-or-HTTP/2 connection over a [`ServerIo`] (through the
//! one hyper adapter, [`Io`]), obeying the
//! server's [`Control`](super::control::Control) orders, and then, once
//! hyper lets go of the stream, what hyper does not do: a `408` to a client
//! that sent part of a request head and stalled (hyper just closes), and a
//! bounded "lingering close" (stop writing, discard what the client still
//! sends for a moment) so that a client whose upload was refused with `413`
//! reads the answer instead of a reset. A handler that panics answers
//! `500` for its own request only: the panic is caught around the handler,
//! so the connection — and every other HTTP/2 stream on it — carries on.
//!
//! May call [`crate::http::rt`], [`crate::http::body`],
//! [`crate::http::response`], deli's time and spawn.

use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::io;
use std::io::IoSlice;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::header::{HeaderValue, CONNECTION, CONTENT_LENGTH};
use http::StatusCode;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::control::{Membership, Order, Watch};
use super::Shared;
use crate::http::body::Body;
use crate::http::error::Error;
use crate::http::response::{IntoResponse, Request, Response};
use crate::http::rt::Io;
use crate::poison::IgnorePoison;

/// What a 408 looks like on the wire (HTTP/1 only: the timeout is hyper's
/// HTTP/1 header read timeout).
const REQUEST_TIMEOUT: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// At most this much is read and thrown away while lingering.
const LINGER_BYTES: usize = 4 << 20;

/// The stream, handed back when hyper drops its [`ServerIo`].
struct Returned<S> {
    stream: S,
    /// Bytes came in after the last response bytes went out: a request was
    /// under way.
    read_since_write: bool,
}

type Slot<S> = Arc<Mutex<Option<Returned<S>>>>;

/// The stream as hyper sees it; gives the stream back through its slot
/// when dropped, and notes whether a request was under way.
struct ServerIo<S> {
    stream: Option<S>,
    read_since_write: bool,
    slot: Slot<S>,
}

impl<S> ServerIo<S> {
    fn stream(&mut self) -> io::Result<&mut S> {
        // Only `Drop` takes the stream out.
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl<S> Drop for ServerIo<S> {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            *self.slot.lock().ignore_poison() = Some(Returned {
                stream,
                read_since_write: self.read_since_write,
            });
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ServerIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        std::task::ready!(Pin::new(this.stream()?).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.read_since_write = true;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ServerIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = std::task::ready!(Pin::new(this.stream()?).poll_write(cx, buf))?;
        this.read_since_write = false;
        Poll::Ready(Ok(written))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = std::task::ready!(Pin::new(this.stream()?).poll_write_vectored(cx, bufs))?;
        this.read_since_write = false;
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()?).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()?).poll_shutdown(cx)
    }
}

/// How the hyper connection ended.
enum Ended {
    /// It closed by itself (the client left, keep-alive ended, a drain
    /// finished) or failed.
    Closed(Result<(), Box<dyn std::error::Error + Send + Sync>>),
    /// The server ordered it closed now.
    Aborted,
    /// No request head arrived within the header read timeout of the
    /// connection's start. hyper's own HTTP/1 timeout starts only once the
    /// protocol is known, so a client that sends nothing, or a few bytes,
    /// would otherwise hold the connection forever.
    NoFirstRequest,
}

/// Serves one connection until it closes or the server aborts it.
pub(super) async fn serve<S, H, Fut, R>(stream: S, shared: Arc<Shared<H>>, membership: Membership)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    let slot: Slot<S> = Arc::new(Mutex::new(None));
    let io = Io::new(ServerIo {
        stream: Some(stream),
        read_since_write: false,
        slot: Arc::clone(&slot),
    });
    let first_request = Arc::new(OnceLock::new());
    let ended = {
        // Requests clone this connection's own `Arc`, not the server-wide
        // one, whose count every worker would otherwise keep bouncing.
        let for_requests = Arc::new(PerConnection {
            shared: Arc::clone(&shared),
        });
        let seen = Arc::clone(&first_request);
        let service = hyper::service::service_fn(move |request| {
            if seen.get().is_none() {
                let _ = seen.set(());
            }
            respond(Arc::clone(&for_requests), request)
        });
        let mut connection = pin!(shared.builder.serve_connection(io, service));
        let mut draining = false;
        let mut watch = Watch::new();
        let mut first_deadline = Some(crate::time::sleep(shared.limits.header_read_timeout));
        poll_fn(|cx| {
            match membership.control.poll_order(&mut watch, cx) {
                Order::Abort => return Poll::Ready(Ended::Aborted),
                Order::Drain if !draining => {
                    draining = true;
                    connection.as_mut().graceful_shutdown();
                }
                Order::Serve | Order::Drain => {}
            }
            if let Poll::Ready(outcome) = connection.as_mut().poll(cx) {
                return Poll::Ready(Ended::Closed(outcome));
            }
            if let Some(deadline) = &mut first_deadline {
                if first_request.get().is_some() {
                    first_deadline = None;
                } else if Pin::new(deadline).poll(cx).is_ready() {
                    return Poll::Ready(Ended::NoFirstRequest);
                }
            }
            Poll::Pending
        })
        .await
        // The connection, and with it the `ServerIo`, is dropped here.
    };
    let returned = slot.lock().ignore_poison().take();
    let Some(mut returned) = returned else {
        return;
    };
    let header_timeout = match ended {
        Ended::Aborted => return,
        Ended::NoFirstRequest => true,
        Ended::Closed(outcome) => outcome.err().is_some_and(|error| {
            error
                .downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_timeout)
        }),
    };
    let deadline = Instant::now() + shared.limits.linger;
    if header_timeout && returned.read_since_write {
        let _ = crate::time::timeout_at(deadline, write_all(&mut returned.stream, REQUEST_TIMEOUT))
            .await;
    }
    let _ = crate::time::timeout_at(deadline, linger(&mut returned.stream)).await;
}

/// What each request of one connection holds: the server's shared state,
/// behind a reference count of the connection's own.
struct PerConnection<H> {
    shared: Arc<Shared<H>>,
}

/// Answers one request: `413` at once when the declared length is over the
/// limit, else the handler's answer over a body limited to it.
async fn respond<H, Fut, R>(
    connection: Arc<PerConnection<H>>,
    request: hyper::Request<Incoming>,
) -> Result<Response, Infallible>
where
    H: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    let shared = &connection.shared;
    let limit = shared.limits.max_body_bytes;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        let mut response = Error::BodyTooLarge { limit }.into_response();
        // The body stays unread: this connection cannot carry another request.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return Ok(response);
    }
    let idle = shared.limits.body_read_timeout;
    let request = request.map(|body| Body::incoming(body).limit(limit).idle_timeout(idle));
    let mut handled = pin!(async { (shared.handler)(request).await.into_response() });
    let outcome =
        poll_fn(
            |cx| match catch_unwind(AssertUnwindSafe(|| handled.as_mut().poll(cx))) {
                Ok(Poll::Ready(response)) => Poll::Ready(Ok(response)),
                Ok(Poll::Pending) => Poll::Pending,
                Err(payload) => Poll::Ready(Err(payload)),
            },
        )
        .await;
    Ok(outcome.unwrap_or_else(|payload| {
        tracing::error!(
            target: "deli::http",
            error = %crate::task::JobError::from_panic(payload),
            "an HTTP handler panicked; answered 500"
        );
        (StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n").into_response()
    }))
}

async fn write_all<S: AsyncWrite + Unpin>(stream: &mut S, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        let written = poll_fn(|cx| Pin::new(&mut *stream).poll_write(cx, bytes)).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[written..];
    }
    poll_fn(|cx| Pin::new(&mut *stream).poll_flush(cx)).await
}

/// Stops writing, then reads and discards until the client closes (or
/// [`LINGER_BYTES`]), so that closing does not reset a connection whose
/// client is still sending and has not read our last answer yet.
async fn linger<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_shutdown(cx)).await?;
    let mut scratch = [0u8; 8192];
    let mut discarded = 0;
    while discarded < LINGER_BYTES {
        let read = poll_fn(|cx| {
            let mut buf = tokio::io::ReadBuf::new(&mut scratch);
            std::task::ready!(Pin::new(&mut *stream).poll_read(cx, &mut buf))?;
            Poll::Ready(Ok::<_, io::Error>(buf.filled().len()))
        })
        .await?;
        if read == 0 {
            break;
        }
        discarded += read;
    }
    Ok(())
}

/// The linger time when the caller sets none: long enough for a client on
/// loopback or a LAN to read a refusal, short enough not to hold a
/// connection slot.
pub(super) const DEFAULT_LINGER: Duration = Duration::from_secs(1);

//! The glue that runs hyper on deli: [`Executor`] (hyper's background
//! futures become deli tasks), [`Timer`] (hyper's timeouts are deli
//! sleeps) and [`Io`] (any stream with tokio's I/O traits — deli's
//! [`TcpStream`](crate::net::TcpStream), a TLS stream over it — read and
//! written through hyper's own `rt::Read` / `rt::Write`).
//!
//! It may call the runtime's `spawn` and [`crate::time`]; it knows nothing
//! of servers or clients, so any hyper code can use it:
//!
//! ```
//! use deli::http::rt::{Executor, Io, Timer};
//! use deli::net::{TcpListener, TcpStream};
//! use http_body_util::{BodyExt, Empty, Full};
//!
//! deli::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     deli::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         let service = hyper::service::service_fn(|_request| async {
//!             let body = Full::new(bytes::Bytes::from_static(b"hi"));
//!             Ok::<_, std::convert::Infallible>(hyper::Response::new(body))
//!         });
//!         let _ = hyper::server::conn::http1::Builder::new()
//!             .timer(Timer::new())
//!             .serve_connection(Io::new(stream), service)
//!             .await;
//!     })
//!     .detach();
//!
//!     let stream = TcpStream::connect(addr).await.unwrap();
//!     let (mut sender, connection) =
//!         hyper::client::conn::http1::handshake(Io::new(stream)).await.unwrap();
//!     hyper::rt::Executor::execute(&Executor::current(), connection);
//!     let request = hyper::Request::get("/")
//!         .header("host", "localhost")
//!         .body(Empty::<bytes::Bytes>::new())
//!         .unwrap();
//!     let response = sender.send_request(request).await.unwrap();
//!     let body = response.into_body().collect().await.unwrap().to_bytes();
//!     assert_eq!(body, "hi");
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::ReadBufCursor;

use crate::runtime::Handle;

/// Runs hyper's background futures (connection drivers, HTTP/2 streams) as
/// deli tasks.
///
/// Made inside a runtime, it keeps that runtime's [`Handle`] and spawns
/// there from any thread; made outside one, it spawns on whichever runtime
/// is current where hyper calls it.
///
/// # Examples
///
/// ```
/// use hyper::rt::Executor as _;
///
/// deli::run(async {
///     let (sent, received) = std::sync::mpsc::channel();
///     deli::http::rt::Executor::current().execute(async move {
///         sent.send(7).unwrap();
///     });
///     while received.try_recv().is_err() {
///         deli::yield_now().await;
///     }
/// });
/// ```
#[derive(Clone, Default)]
pub struct Executor {
    handle: Option<Handle>,
}

impl Executor {
    /// An executor for the current runtime (see the type's docs).
    ///
    /// # Examples
    ///
    /// ```
    /// let executor = deli::run(async { deli::http::rt::Executor::current() });
    /// # drop(executor);
    /// ```
    pub fn current() -> Executor {
        Executor {
            handle: Handle::try_current(),
        }
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("bound_to_runtime", &self.handle.is_some())
            .finish()
    }
}

impl<F> hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        match &self.handle {
            Some(handle) => handle.spawn(future).detach(),
            None => crate::spawn(future).detach(),
        }
    }
}

/// hyper's timers (header read timeouts, keep-alive pings, pool idle
/// eviction) as deli [`Sleep`](crate::time::Sleep)s.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use hyper::rt::Timer as _;
///
/// deli::run(async {
///     let start = Instant::now();
///     deli::http::rt::Timer::new().sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Timer;

impl Timer {
    /// The timer (it has no state: every sleep registers with the runtime
    /// that polls it).
    ///
    /// # Examples
    ///
    /// ```
    /// let _timer = deli::http::rt::Timer::new();
    /// ```
    pub fn new() -> Timer {
        Timer
    }
}

/// A deli sleep with hyper's `Sleep` marker on it.
#[derive(Debug)]
struct DeliSleep(crate::time::Sleep);

impl Future for DeliSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl hyper::rt::Sleep for DeliSleep {}

impl hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(DeliSleep(crate::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(DeliSleep(crate::time::sleep_until(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<DeliSleep>() {
            // Moves the registered timer in place: no new allocation.
            Some(mine) => mine.get_mut().0.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A stream with tokio's `AsyncRead` / `AsyncWrite` (no tokio runtime
/// needed: deli's sockets have them under the `tokio-io` feature), read and
/// written through hyper's `rt::Read` / `rt::Write`.
///
/// # Examples
///
/// ```
/// use deli::http::rt::Io;
/// use deli::net::UnixStream;
///
/// deli::run(async {
///     let (left, _right) = UnixStream::pair().unwrap();
///     let io = Io::new(left);
///     let _stream: &UnixStream = io.get_ref();
/// });
/// ```
#[derive(Debug)]
pub struct Io<S> {
    inner: S,
    scratch: ReadScratch,
}

impl<S> Io<S> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// let io = deli::http::rt::Io::new(std::io::empty());
    /// let _inner: std::io::Empty = io.into_inner();
    /// ```
    pub fn new(inner: S) -> Io<S> {
        Io {
            inner,
            scratch: ReadScratch::default(),
        }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let io = deli::http::rt::Io::new(5u8);
    /// assert_eq!(*io.get_ref(), 5);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped stream, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut io = deli::http::rt::Io::new(5u8);
    /// *io.get_mut() += 1;
    /// assert_eq!(io.into_inner(), 6);
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::http::rt::Io::new("s").into_inner(), "s");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> hyper::rt::Read for Io<S>
where
    S: tokio::io::AsyncRead + Unpin,
{
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.scratch
            .poll_read(&mut this.inner, cx, buf)
            .map_ok(drop)
    }
}

/// A read buffer of initialized bytes between a stream and hyper's buffer.
///
/// deli's streams read into initialized memory (`&mut [u8]`), and hyper's
/// buffer is uninitialized: handing it over directly would zero the whole
/// spare buffer (8 KiB or more) on every read, including the reads that find
/// nothing, which measured ~1% of a small request. Reading into this buffer,
/// zeroed once, and copying only the bytes that came costs less, needs no
/// `unsafe`, and grows after a read that fills it, so large bodies still
/// move in large reads.
#[derive(Debug, Default)]
struct ReadScratch {
    buf: Vec<u8>,
}

/// The scratch buffer's first and largest sizes.
const SCRATCH_INITIAL: usize = 8 << 10;
const SCRATCH_MAX: usize = 256 << 10;

impl ReadScratch {
    /// One read of `stream` into hyper's buffer; the byte count.
    fn poll_read<S>(
        &mut self,
        stream: &mut S,
        cx: &mut Context<'_>,
        mut cursor: ReadBufCursor<'_>,
    ) -> Poll<io::Result<usize>>
    where
        S: tokio::io::AsyncRead + Unpin,
    {
        if self.buf.is_empty() {
            self.buf = vec![0; SCRATCH_INITIAL];
        }
        let len = self.buf.len().min(cursor.remaining());
        let mut window = tokio::io::ReadBuf::new(&mut self.buf[..len]);
        std::task::ready!(tokio::io::AsyncRead::poll_read(
            Pin::new(stream),
            cx,
            &mut window
        ))?;
        let read = window.filled().len();
        cursor.put_slice(&self.buf[..read]);
        if read == self.buf.len() && read < SCRATCH_MAX {
            self.buf.resize(read * 2, 0);
        }
        Poll::Ready(Ok(read))
    }
}

impl<S> hyper::rt::Write for Io<S>
where
    S: tokio::io::AsyncWrite + Unpin,
{
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(Pin::new(&mut self.inner), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(Pin::new(&mut self.inner), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut self.inner), cx)
    }

    fn is_write_vectored(&self) -> bool {
        tokio::io::AsyncWrite::is_write_vectored(&self.inner)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write_vectored(Pin::new(&mut self.inner), cx, bufs)
    }
}

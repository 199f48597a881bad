//! [`Body`]: the one body type of [`crate::http`], for requests and
//! responses, on the server and the client. It is empty, a buffer, a body
//! arriving from the peer (under an optional size limit), or any streaming
//! `http_body::Body` boxed. Owns the size limit and the idle timeout; may
//! call only [`super::error`] and deli's timers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

use super::error::{BoxError, Error};

/// The body of a request or a response.
///
/// Made from bytes or text (`Body::from("hi")`), from JSON
/// ([`Body::json`]), from a stream of chunks ([`Body::from_stream`]) or from
/// any `http_body::Body` ([`Body::wrap`]); a body arriving from the peer is
/// read whole ([`bytes`](Body::bytes), [`text`](Body::text),
/// [`read_json`](Body::read_json)) or chunk by chunk
/// ([`chunk`](Body::chunk)), never past its size limit
/// ([`limit`](Body::limit)).
///
/// # Examples
///
/// ```
/// use deli::http::Body;
///
/// deli::run(async {
///     let body = Body::from("hello");
///     assert_eq!(body.text().await.unwrap(), "hello");
///
///     let too_big = Body::from("hello").limit(3);
///     assert!(matches!(too_big.bytes().await, Err(deli::http::Error::BodyTooLarge { limit: 3 })));
/// });
/// ```
pub struct Body {
    kind: Kind,
    limit: Option<u64>,
    received: u64,
    idle: Option<Idle>,
}

/// A body's idle timeout: the longest wait for its next frame. The timer is
/// made at the first wait (a body that is always ready never allocates one)
/// and rearmed at each frame.
struct Idle {
    after: Duration,
    timer: Option<Pin<Box<crate::time::Sleep>>>,
}

enum Kind {
    Empty,
    Full(Option<Bytes>),
    Incoming(hyper::body::Incoming),
    Boxed(Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send + 'static>>),
}

impl Body {
    #[inline]
    fn of(kind: Kind) -> Body {
        Body {
            kind,
            limit: None,
            received: 0,
            idle: None,
        }
    }

    /// A body with no bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use http_body::Body as _;
    /// assert!(deli::http::Body::empty().is_end_stream());
    /// ```
    pub fn empty() -> Body {
        Body::of(Kind::Empty)
    }

    /// `value` serialized as JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let body = deli::http::Body::json(&[1, 2, 3]).unwrap();
    ///     assert_eq!(body.text().await.unwrap(), "[1,2,3]");
    /// });
    /// ```
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Body, Error> {
        Ok(Body::from(serde_json::to_vec(value)?))
    }

    /// A body streamed from `stream`'s chunks; an error from the stream
    /// ends the body with [`Error::Body`].
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    ///
    /// struct Countdown(u8);
    /// impl futures_core::Stream for Countdown {
    ///     type Item = Result<Bytes, std::io::Error>;
    ///     fn poll_next(
    ///         mut self: std::pin::Pin<&mut Self>,
    ///         _cx: &mut std::task::Context<'_>,
    ///     ) -> std::task::Poll<Option<Self::Item>> {
    ///         if self.0 == 0 {
    ///             return std::task::Poll::Ready(None);
    ///         }
    ///         self.0 -= 1;
    ///         std::task::Poll::Ready(Some(Ok(Bytes::from(self.0.to_string()))))
    ///     }
    /// }
    ///
    /// deli::run(async {
    ///     let body = deli::http::Body::from_stream(Countdown(3));
    ///     assert_eq!(body.text().await.unwrap(), "210");
    /// });
    /// ```
    pub fn from_stream<S, C, E>(stream: S) -> Body
    where
        S: Stream<Item = Result<C, E>> + Send + 'static,
        C: Into<Bytes>,
        E: Into<BoxError>,
    {
        Body::wrap(StreamBody {
            stream: Box::pin(stream),
        })
    }

    /// Any `http_body::Body` of bytes as a [`Body`].
    ///
    /// # Examples
    ///
    /// ```
    /// let full = http_body_util::Full::new(bytes::Bytes::from_static(b"x"));
    /// deli::run(async {
    ///     assert_eq!(deli::http::Body::wrap(full).bytes().await.unwrap(), "x");
    /// });
    /// ```
    pub fn wrap<B>(body: B) -> Body
    where
        B: http_body::Body + Send + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError>,
    {
        let boxed = body
            .map_frame(|frame| frame.map_data(Into::into))
            .map_err(Into::into);
        Body::of(Kind::Boxed(Box::pin(boxed)))
    }

    #[inline]
    pub(crate) fn incoming(body: hyper::body::Incoming) -> Body {
        Body::of(Kind::Incoming(body))
    }

    /// This body, failing with [`Error::BodyTooLarge`] once more than
    /// `max_bytes` have been read from it.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let body = deli::http::Body::from("12345").limit(5);
    ///     assert_eq!(body.bytes().await.unwrap(), "12345");
    /// });
    /// ```
    #[inline]
    pub fn limit(mut self, max_bytes: u64) -> Body {
        self.limit = Some(self.limit.map_or(max_bytes, |old| old.min(max_bytes)));
        self
    }

    /// This body, failing with [`Error::BodyStalled`] when its source
    /// sends nothing for `idle` (between two frames, or before the first):
    /// a peer that stops sending cannot hold the reader forever. Needs
    /// deli's timers, so it is read on a deli runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// deli::run(async {
    ///     let body = deli::http::Body::from("ok").idle_timeout(Duration::from_secs(5));
    ///     assert_eq!(body.text().await.unwrap(), "ok");
    /// });
    /// ```
    pub fn idle_timeout(mut self, idle: Duration) -> Body {
        self.idle = Some(Idle {
            after: idle,
            timer: None,
        });
        self
    }

    /// Reads the whole body.
    ///
    /// # Errors
    ///
    /// [`Error::BodyTooLarge`] past the limit, [`Error::Body`] if the peer
    /// or the source failed mid-body.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     assert_eq!(deli::http::Body::from(vec![1u8, 2]).bytes().await.unwrap()[..], [1, 2]);
    /// });
    /// ```
    pub async fn bytes(self) -> Result<Bytes, Error> {
        if let (Kind::Full(bytes), None) = (&self.kind, self.limit) {
            return Ok(bytes.clone().unwrap_or_default());
        }
        Ok(self.collect().await?.to_bytes())
    }

    /// Reads the whole body as UTF-8 text (invalid sequences are replaced).
    ///
    /// # Errors
    ///
    /// As [`Body::bytes`].
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     assert_eq!(deli::http::Body::from("ok").text().await.unwrap(), "ok");
    /// });
    /// ```
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Reads the whole body and parses it as JSON.
    ///
    /// # Errors
    ///
    /// As [`Body::bytes`], and [`Error::Json`] if it is not a `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let numbers: Vec<u32> = deli::http::Body::from("[1,2]").read_json().await.unwrap();
    ///     assert_eq!(numbers, [1, 2]);
    /// });
    /// ```
    pub async fn read_json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let bytes = self.bytes().await?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// The next chunk of data, or `None` at the end (trailers are skipped).
    ///
    /// # Errors
    ///
    /// As [`Body::bytes`].
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let mut body = deli::http::Body::from("abc");
    ///     assert_eq!(body.chunk().await.unwrap().unwrap(), "abc");
    ///     assert!(body.chunk().await.unwrap().is_none());
    /// });
    /// ```
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            match self.frame().await {
                None => return Ok(None),
                Some(Err(error)) => return Err(error),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// A copy of this body if it can be sent again (it is empty or a
    /// buffer), for redirects and retries.
    pub(crate) fn try_clone(&self) -> Option<Body> {
        let kind = match &self.kind {
            Kind::Empty => Kind::Empty,
            Kind::Full(bytes) => Kind::Full(bytes.clone()),
            Kind::Incoming(_) | Kind::Boxed(_) => return None,
        };
        Some(Body {
            kind,
            limit: self.limit,
            received: self.received,
            idle: self.idle.as_ref().map(|idle| Idle {
                after: idle.after,
                timer: None,
            }),
        })
    }

    #[inline]
    fn count(&mut self, data: &Bytes) -> Result<(), Error> {
        self.received = self.received.saturating_add(data.len() as u64);
        match self.limit {
            Some(limit) if self.received > limit => Err(Error::BodyTooLarge { limit }),
            _ => Ok(()),
        }
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Empty => "empty",
            Kind::Full(_) => "full",
            Kind::Incoming(_) => "incoming",
            Kind::Boxed(_) => "streaming",
        };
        f.debug_struct("Body")
            .field("kind", &kind)
            .field("limit", &self.limit)
            .field("received", &self.received)
            .finish()
    }
}

impl Body {
    /// The source is not ready: wait, unless the idle timeout has passed.
    fn wait(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let Some(idle) = &mut self.idle else {
            return Poll::Pending;
        };
        let after = idle.after;
        let timer = idle
            .timer
            .get_or_insert_with(|| Box::pin(crate::time::sleep(after)));
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        // Nothing more is read past a failure.
        self.kind = Kind::Empty;
        self.idle = None;
        Poll::Ready(Some(Err(Error::BodyStalled(after))))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    #[inline]
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        let frame = match &mut this.kind {
            Kind::Empty => return Poll::Ready(None),
            Kind::Full(bytes) => match bytes.take() {
                Some(bytes) if !bytes.is_empty() => Ok(Frame::data(bytes)),
                _ => return Poll::Ready(None),
            },
            Kind::Incoming(body) => match Pin::new(body).poll_frame(cx) {
                Poll::Pending => return this.wait(cx),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(frame)) => frame.map_err(|error| Error::Body(Box::new(error))),
            },
            Kind::Boxed(body) => match body.as_mut().poll_frame(cx) {
                Poll::Pending => return this.wait(cx),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(frame)) => {
                    frame.map_err(|error| Error::from_boxed(error, Error::Body))
                }
            },
        };
        if let Some(idle) = &mut this.idle {
            // A frame came: the next wait starts afresh.
            idle.timer = None;
        }
        let checked = frame.and_then(|frame| {
            if let Some(data) = frame.data_ref() {
                this.count(data)?;
            }
            Ok(frame)
        });
        if checked.is_err() {
            // Nothing more is read past a failure.
            this.kind = Kind::Empty;
        }
        Poll::Ready(Some(checked))
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Full(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Kind::Incoming(body) => body.is_end_stream(),
            Kind::Boxed(body) => body.is_end_stream(),
        }
    }

    #[inline]
    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Incoming(body) => body.size_hint(),
            Kind::Boxed(body) => body.size_hint(),
        }
    }
}

macro_rules! body_from {
    ($($source:ty),* $(,)?) => {$(
        impl From<$source> for Body {
            #[inline]
            fn from(value: $source) -> Body {
                Body::of(Kind::Full(Some(Bytes::from(value))))
            }
        }
    )*};
}

body_from!(Bytes, String, &'static str, Vec<u8>, &'static [u8]);

impl From<()> for Body {
    fn from((): ()) -> Body {
        Body::empty()
    }
}

/// A stream of chunks as an `http_body::Body`.
struct StreamBody<S> {
    stream: Pin<Box<S>>,
}

impl<S, C, E> http_body::Body for StreamBody<S>
where
    S: Stream<Item = Result<C, E>>,
    C: Into<Bytes>,
    E: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match std::task::ready!(self.stream.as_mut().poll_next(cx)) {
            None => Poll::Ready(None),
            Some(Ok(chunk)) => Poll::Ready(Some(Ok(Frame::data(chunk.into())))),
            Some(Err(error)) => Poll::Ready(Some(Err(error.into()))),
        }
    }
}

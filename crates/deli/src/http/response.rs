//! What a server handler may return: [`IntoResponse`] and its
//! implementations (a full [`Response`], a status, text, bytes, [`Json`],
//! a `(status, body)` pair, a `Result` of two of them, an [`Error`]). Owns
//! nothing else; may call [`super::body`] and [`super::error`].

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;

use super::body::Body;
use super::error::Error;

/// An HTTP response with a [`Body`] (the default) or another body type.
///
/// # Examples
///
/// ```
/// use deli::http::{Body, Response, StatusCode};
///
/// let response: Response = Response::builder()
///     .status(StatusCode::CREATED)
///     .header("location", "/orders/7")
///     .body(Body::from("made"))
///     .unwrap();
/// assert_eq!(response.status(), 201);
/// ```
pub type Response<B = Body> = http::Response<B>;

/// An HTTP request with a [`Body`] (the default) or another body type.
///
/// # Examples
///
/// ```
/// use deli::http::{Body, Request};
///
/// let request: Request = Request::post("http://127.0.0.1:8080/orders")
///     .header("content-type", "application/json")
///     .body(Body::from(r#"{"item":"espresso"}"#))
///     .unwrap();
/// assert_eq!(request.method(), "POST");
/// ```
pub type Request<B = Body> = http::Request<B>;

/// A value a server handler may return: anything that makes a [`Response`].
///
/// # Examples
///
/// ```
/// use deli::http::{IntoResponse, Json, StatusCode};
///
/// assert_eq!("hi".into_response().status(), StatusCode::OK);
/// assert_eq!(StatusCode::NO_CONTENT.into_response().status(), 204);
/// assert_eq!((StatusCode::CREATED, "made").into_response().status(), 201);
/// let json = Json(vec![1, 2]).into_response();
/// assert_eq!(json.headers()["content-type"], "application/json");
/// let failed: Result<&str, deli::http::Error> = Err(deli::http::Error::BodyTooLarge { limit: 1 });
/// assert_eq!(failed.into_response().status(), 413);
/// ```
pub trait IntoResponse {
    /// Makes the response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self;
        response
    }
}

impl IntoResponse for Body {
    fn into_response(self) -> Response {
        Response::new(self)
    }
}

#[inline]
fn with_type(body: Body, content_type: &'static str) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

impl IntoResponse for &'static str {
    #[inline]
    fn into_response(self) -> Response {
        with_type(Body::from(self), "text/plain; charset=utf-8")
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_type(Body::from(self), "text/plain; charset=utf-8")
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        with_type(Body::from(self), "application/octet-stream")
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        with_type(Body::from(self), "application/octet-stream")
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        *response.status_mut() = self.0;
        response
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => error.into_response(),
        }
    }
}

/// The error's [`status`](Error::status) with its message as plain text.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        (status, format!("{self}\n")).into_response()
    }
}

/// A value answered as JSON (`content-type: application/json`); one that
/// cannot be serialized answers 500.
///
/// # Examples
///
/// ```
/// use deli::http::{IntoResponse, Json};
///
/// deli::run(async {
///     let response = Json(serde_json::json!({"ok": true})).into_response();
///     assert_eq!(response.into_body().text().await.unwrap(), r#"{"ok":true}"#);
/// });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match Body::json(&self.0) {
            Ok(body) => with_type(body, "application/json"),
            Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
        }
    }
}

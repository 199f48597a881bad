//! Following redirects: what of a request is kept to send it again
//! ([`Replay`]), and the next request a 3xx response asks for. Pure
//! functions of requests and responses; calls nothing.

use http::header::{
    HeaderMap, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST, LOCATION,
    PROXY_AUTHORIZATION, TRANSFER_ENCODING,
};
use http::uri::{Authority, Scheme};
use http::{Method, StatusCode, Uri, Version};

use crate::http::body::Body;
use crate::http::error::Error;
use crate::http::response::{Request, Response};

/// What is needed to send a request again elsewhere.
pub(super) struct Replay {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    /// `None` when the body streams and cannot be sent twice.
    body: Option<Body>,
}

impl Replay {
    pub(super) fn keep(request: &Request) -> Replay {
        Replay {
            method: request.method().clone(),
            uri: request.uri().clone(),
            version: request.version(),
            headers: request.headers().clone(),
            body: request.body().try_clone(),
        }
    }

    /// The request `response` redirects to, if it is a redirect that can be
    /// followed: `None` for any other response, a 3xx without a
    /// `Location`, or a 307/308 whose body cannot be sent again.
    pub(super) fn next(self, response: &Response) -> Option<Result<Request, Error>> {
        let status = response.status();
        let keeps_method = match status {
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => true,
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => self.method != Method::POST,
            StatusCode::SEE_OTHER => self.method == Method::HEAD,
            _ => return None,
        };
        let location = response.headers().get(LOCATION)?.to_str().ok()?;
        let target = match resolve(&self.uri, location) {
            Ok(target) => target,
            Err(error) => return Some(Err(error)),
        };
        let mut headers = self.headers;
        let (method, body) = if keeps_method {
            (self.method, self.body?)
        } else {
            for name in [CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING] {
                headers.remove(name);
            }
            let method = if self.method == Method::HEAD {
                Method::HEAD
            } else {
                Method::GET
            };
            (method, Body::empty())
        };
        if target.authority() != self.uri.authority() || target.scheme() != self.uri.scheme() {
            // Credentials were meant for the first server only.
            for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE, HOST] {
                headers.remove(name);
            }
        }
        let mut request = Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = target;
        *request.version_mut() = self.version;
        *request.headers_mut() = headers;
        Some(Ok(request))
    }
}

/// `location` (absolute, or relative to `base`) as an absolute URI.
fn resolve(base: &Uri, location: &str) -> Result<Uri, Error> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: location.to_string(),
        reason: format!("redirect target: {reason}"),
    };
    if location.contains("://") {
        return location.parse().map_err(|_| invalid("not a URI"));
    }
    let scheme: Scheme = base
        .scheme()
        .cloned()
        .ok_or_else(|| invalid("no base scheme"))?;
    if let Some(rest) = location.strip_prefix("//") {
        // `//host/path`: the base's scheme, the rest its own.
        return format!("{scheme}://{rest}")
            .parse()
            .map_err(|_| invalid("not a URI"));
    }
    let authority: Authority = base
        .authority()
        .cloned()
        .ok_or_else(|| invalid("no base host"))?;
    let path_and_query = if location.starts_with('/') {
        location.to_string()
    } else {
        // A relative path replaces the last segment of the base path.
        let base_path = base.path();
        let directory = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        format!(
            "{}{location}",
            if directory.is_empty() { "/" } else { directory }
        )
    };
    Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(path_and_query)
        .build()
        .map_err(|_| invalid("cannot join it to the request's URL"))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn relative_locations_join_the_base() {
        let base: Uri = "http://h:1/a/b?q".parse().unwrap();
        assert_eq!(resolve(&base, "/x?y").unwrap(), "http://h:1/x?y");
        assert_eq!(resolve(&base, "c").unwrap(), "http://h:1/a/c");
        assert_eq!(resolve(&base, "https://o/p").unwrap(), "https://o/p");
        assert_eq!(resolve(&base, "//o:2/p").unwrap(), "http://o:2/p");
    }

    #[test]
    fn see_other_turns_a_post_into_a_get_without_body() {
        let mut request = Request::new(Body::from("data"));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = "http://h/form".parse().unwrap();
        request
            .headers_mut()
            .insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SEE_OTHER;
        response
            .headers_mut()
            .insert(LOCATION, "/done".parse().unwrap());
        let next = Replay::keep(&request).next(&response).unwrap().unwrap();
        assert_eq!(next.method(), Method::GET);
        assert_eq!(next.uri(), "http://h/done");
        assert!(next.headers().get(CONTENT_TYPE).is_none());
    }

    #[test]
    fn a_streaming_body_is_not_sent_twice() {
        let stream = Body::wrap(http_body_util::Empty::<bytes::Bytes>::new());
        let mut request = Request::new(stream);
        *request.method_mut() = Method::PUT;
        *request.uri_mut() = "http://h/".parse().unwrap();
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
        response
            .headers_mut()
            .insert(LOCATION, "/elsewhere".parse().unwrap());
        assert!(Replay::keep(&request).next(&response).is_none());
    }
}

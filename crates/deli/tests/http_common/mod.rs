//! What the HTTP tests share: a test server with a few routes, and a
//! self-signed certificate for `localhost`.
#![allow(dead_code)]

use std::time::Duration;

use deli::http::{Error, IntoResponse, Json, Request, Response, Server, ServerHandle, StatusCode};

/// The routes every test server answers.
pub async fn routes(request: Request) -> Response {
    let path = request.uri().path().to_string();
    match path.as_str() {
        "/hello" => "hello".into_response(),
        "/version" => format!("{:?}", request.version()).into_response(),
        "/echo" => match request.into_body().bytes().await {
            Ok(bytes) => bytes.into_response(),
            Err(error) => error.into_response(),
        },
        "/json" => match request.into_body().read_json::<serde_json::Value>().await {
            Ok(value) => Json(value).into_response(),
            Err(error) => error.into_response(),
        },
        "/count" => {
            // Streams its body chunk by chunk: how many bytes came in.
            let mut body = request.into_body();
            let mut total = 0usize;
            loop {
                match body.chunk().await {
                    Ok(Some(chunk)) => total += chunk.len(),
                    Ok(None) => break,
                    Err(error) => return error.into_response(),
                }
            }
            total.to_string().into_response()
        }
        "/slow" => {
            deli::sleep(Duration::from_millis(300)).await;
            "slow".into_response()
        }
        "/very-slow" => {
            deli::sleep(Duration::from_secs(30)).await;
            "very slow".into_response()
        }
        "/redirect/loop" => redirect(StatusCode::TEMPORARY_REDIRECT, "/redirect/loop"),
        "/redirect/see-other" => redirect(StatusCode::SEE_OTHER, "/hello"),
        "/redirect/relative" => redirect(StatusCode::FOUND, "hello-again"),
        "/redirect/hello-again" => "hello again".into_response(),
        "/missing" => StatusCode::NOT_FOUND.into_response(),
        _ => (StatusCode::NOT_FOUND, "no such route").into_response(),
    }
}

fn redirect(status: StatusCode, to: &'static str) -> Response {
    let mut response = status.into_response();
    response
        .headers_mut()
        .insert("location", deli::http::header::HeaderValue::from_static(to));
    response
}

/// A plain server on loopback with the test routes.
pub async fn plain_server() -> ServerHandle {
    Server::bind("127.0.0.1:0").serve(routes).await.unwrap()
}

/// A self-signed certificate for `localhost` and `127.0.0.1`: (cert PEM, key PEM).
pub fn self_signed() -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    (certified.cert.pem(), certified.key_pair.serialize_pem())
}

/// Whether an error is what a client sees when its request is refused or cut.
pub fn is_refusal(error: &Error) -> bool {
    matches!(error, Error::Http(_) | Error::Body(_))
}

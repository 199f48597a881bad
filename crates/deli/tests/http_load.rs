//! A thousand concurrent requests against one server, over HTTP/1.1 (a
//! pooled connection each) and over HTTP/2 (multiplexed on one).
#![cfg(feature = "http")]

mod common;
mod http_common;

use std::time::Duration;

use common::{raise_open_files_limit, within, BOUND};
use deli::http::{Client, Server};
use http_common::routes;

fn thousand_concurrent(client: Client) {
    within(BOUND, move || {
        // HTTP/1.1 may open a connection per request: two descriptors each.
        let limit = raise_open_files_limit(4096);
        let requests = 1000.min((limit.saturating_sub(64) / 2) as usize);
        assert!(requests >= 100, "open-files limit {limit} is too low");
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        runtime.block_on(async move {
            let server = Server::bind("127.0.0.1:0").serve(routes).await.unwrap();
            let url = format!("http://{}/echo", server.local_addr());
            let tickets: Vec<_> = (0..requests)
                .map(|n| {
                    let client = client.clone();
                    let url = url.clone();
                    deli::spawn(async move {
                        let response = client.post(&url, format!("request {n}")).await?;
                        response.into_body().text().await
                    })
                })
                .collect();
            for (n, ticket) in tickets.into_iter().enumerate() {
                assert_eq!(ticket.await.unwrap().unwrap(), format!("request {n}"));
            }
            assert_eq!(server.shutdown(Duration::from_secs(10)).await.aborted, 0);
        });
    });
}

#[test]
fn a_thousand_concurrent_http1_requests() {
    thousand_concurrent(Client::builder().http1_only().build().unwrap());
}

#[test]
fn a_thousand_concurrent_http2_requests() {
    thousand_concurrent(Client::builder().http2_prior_knowledge().build().unwrap());
}

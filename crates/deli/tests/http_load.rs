//! A thousand concurrent requests against one server, over HTTP/1.1 (a
//! pooled connection each) and over HTTP/2 (multiplexed on one).
#![cfg(feature = "http")]

mod common;
mod http_common;

use std::io;
use std::time::Duration;

use common::{within, BOUND};
use deli::http::{Client, Server};
use http_common::routes;

/// Raises the soft open-files limit toward `wanted` (within the hard
/// limit); returns the limit now in force.
fn raise_open_files_limit(wanted: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the call.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(got, 0, "getrlimit: {}", io::Error::last_os_error());
    if limit.rlim_cur < wanted {
        limit.rlim_cur = wanted.min(limit.rlim_max);
        // SAFETY: `limit` is a valid rlimit whose soft value is within the hard one.
        let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
        assert_eq!(set, 0, "setrlimit: {}", io::Error::last_os_error());
    }
    limit.rlim_cur
}

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

//! curl, a real client from outside, against deli's server: HTTP/1.1,
//! HTTP/2 with prior knowledge, HTTPS with ALPN. Skipped (with a note)
//! where `curl` is not installed.
#![cfg(feature = "http")]

mod common;
mod http_common;

use std::process::Command;
use std::time::Duration;

use common::{within, BOUND};
use deli::http::{Server, TlsConfig};
use http_common::{routes, self_signed};

fn curl_available() -> bool {
    let found = Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("note: curl is not installed; skipping the curl test");
    }
    found
}

/// Runs curl (off the runtime's workers) and returns its stdout.
async fn curl(args: Vec<String>) -> String {
    let shown = args.clone();
    let output = deli::spawn_blocking(move || {
        Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "20"])
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "curl {shown:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn curl_speaks_http1_and_http2_to_the_server() {
    if !curl_available() {
        return;
    }
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        runtime.block_on(async {
            let server = Server::bind("127.0.0.1:0").serve(routes).await.unwrap();
            let base = format!("http://{}", server.local_addr());
            let version = curl(vec!["--http1.1".into(), format!("{base}/version")]).await;
            assert_eq!(version, "HTTP/1.1");
            let version = curl(vec![
                "--http2-prior-knowledge".into(),
                format!("{base}/version"),
            ])
            .await;
            assert_eq!(version, "HTTP/2.0");
            let echoed = curl(vec![
                "--data-binary".into(),
                "from curl".into(),
                format!("{base}/echo"),
            ])
            .await;
            assert_eq!(echoed, "from curl");
            let json = curl(vec![
                "-H".into(),
                "content-type: application/json".into(),
                "--data".into(),
                r#"{"a": [1, 2]}"#.into(),
                format!("{base}/json"),
            ])
            .await;
            assert_eq!(json, r#"{"a":[1,2]}"#);
            // Several requests on one keep-alive connection.
            let twice = curl(vec![format!("{base}/hello"), format!("{base}/hello")]).await;
            assert_eq!(twice, "hellohello");
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

#[test]
fn curl_speaks_https_with_alpn() {
    if !curl_available() {
        return;
    }
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        runtime.block_on(async {
            let (cert, key) = self_signed();
            let tls = TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
            let server = Server::bind("127.0.0.1:0")
                .tls(tls)
                .serve(routes)
                .await
                .unwrap();
            let dir = std::env::temp_dir().join(format!("deli-http-curl-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let ca = dir.join("cert.pem");
            std::fs::write(&ca, &cert).unwrap();
            let url = format!("https://localhost:{}/version", server.local_addr().port());
            let h2 = curl(vec![
                "--cacert".into(),
                ca.display().to_string(),
                "--http2".into(),
                url.clone(),
            ])
            .await;
            let h1 = curl(vec![
                "--cacert".into(),
                ca.display().to_string(),
                "--http1.1".into(),
                url,
            ])
            .await;
            let _ = std::fs::remove_dir_all(&dir);
            assert_eq!(h2, "HTTP/2.0");
            assert_eq!(h1, "HTTP/1.1");
            server.shutdown(Duration::from_secs(5)).await;
        });
    });
}

//! `deli worker` against a real `redis-server` on loopback: the binary
//! serves its built-in jobs, a client in this test submits them by name.
//! Redis: `DELI_TEST_REDIS_URL` when set, else a `redis-server` started
//! here on a free port with no persistence; without either the test says
//! so and passes.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use deli::cluster::ClusterPool;
use sha2::{Digest, Sha256};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redis_url() -> Option<(String, Option<Killed>, Option<PathBuf>)> {
    if let Ok(url) = std::env::var("DELI_TEST_REDIS_URL") {
        if !url.is_empty() {
            return Some((url, None, None));
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let binary = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| candidate.is_file())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let dir = std::env::temp_dir().join(format!("deli-cli-worker-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let server = Command::new(binary)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let server = Killed(server);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((
        format!("redis://127.0.0.1:{port}/0"),
        Some(server),
        Some(dir),
    ))
}

#[test]
fn deli_worker_serves_its_built_in_jobs() {
    let Some((url, server, dir)) = redis_url() else {
        println!("skipped: no DELI_TEST_REDIS_URL and no redis-server (scripts/test-cluster.sh installs one)");
        return;
    };
    let namespace = format!("cli-{}", std::process::id());
    let worker = Killed(
        Command::new(env!("CARGO_BIN_EXE_deli"))
            .args(["worker", "--redis", &url, "--concurrency", "2"])
            .args(["--namespace", &namespace])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("deli worker"),
    );
    let pool = ClusterPool::builder(&url)
        .namespace(&namespace)
        .build()
        .expect("a cluster client");
    let bound = Duration::from_secs(60);
    let mut chain = pool.submit_by_name::<_, String>("deli::jobs::sha256_chain", &("abc", 3u64));
    let mut digest = b"abc".to_vec();
    for _ in 0..3 {
        digest = Sha256::digest(&digest).to_vec();
    }
    let expected: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(chain.wait_blocking_timeout(bound), Ok(expected));
    let mut echo = pool.submit_by_name::<_, String>("deli::jobs::echo", "hello");
    assert_eq!(echo.wait_blocking_timeout(bound), Ok("hello".to_owned()));
    let mut slept = pool.submit_by_name::<_, u32>("deli::jobs::sleep_ms", &10u64);
    assert_eq!(slept.wait_blocking_timeout(bound), Ok(worker.0.id()));
    drop(worker);
    drop(server);
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}

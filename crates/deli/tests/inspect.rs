//! Issue 19, point 4: looking inside a running runtime — metrics, the
//! task listing, `deli::dump` and the inspect socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use deli::runtime::Snapshot;
use deli::{Runtime, State, TaskBuilder};

fn socket_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("deli-inspect-{tag}-{}.sock", std::process::id()))
}

/// Polls `check` until it holds, for at most 10 s.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

#[test]
fn metrics_count_polls_steals_and_parks_per_worker() {
    let runtime = Runtime::builder().workers(2).build().unwrap();
    runtime.block_on(async {
        let tickets: Vec<_> = (0..200)
            .map(|_| {
                deli::spawn(async {
                    for _ in 0..5 {
                        deli::yield_now().await;
                    }
                })
            })
            .collect();
        for ticket in tickets {
            ticket.await.unwrap();
        }
    });
    let metrics = runtime.metrics();
    assert_eq!(metrics.flavor, "multi-thread");
    assert_eq!(metrics.workers, 2);
    assert_eq!(metrics.worker_rows.len(), 2);
    assert!(metrics.polls() >= 200 * 6, "{metrics:?}");
    assert!(metrics.worker_rows.iter().all(|row| row.state == "active"));
    assert!(eventually(|| runtime.metrics().parks() > 0));
    assert_eq!(metrics.blocked_episodes, 0);
    assert_eq!(metrics.spares_in_use, 0);
}

#[test]
fn a_blocked_worker_shows_up_as_an_episode_and_a_spare() {
    let runtime = Runtime::builder()
        .workers(2)
        .monitor(Some(Duration::from_millis(20)))
        .build()
        .unwrap();
    let release = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let released = release.clone();
    // Blocks its worker (sleeps inside one poll) until the test has seen it.
    let blocker = runtime.spawn(async move {
        while !released.load(std::sync::atomic::Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let seen = eventually(|| {
        let metrics = runtime.metrics();
        metrics.blocked_episodes >= 1 && metrics.blocked_workers == 1
    });
    release.store(true, std::sync::atomic::Ordering::Release);
    assert!(seen, "{:?}", runtime.metrics());
    assert_eq!(blocker.wait_blocking(), Ok(()));
}

#[test]
fn tasks_lists_every_live_task_with_name_location_state_and_time() {
    let runtime = Runtime::builder().workers(1).build().unwrap();
    let line = line!() + 3;
    let sleeper = TaskBuilder::new()
        .name("sleeper")
        .spawn_on(std::future::pending::<()>(), runtime.handle());
    let done = runtime.spawn(async { 1 });
    assert_eq!(done.wait_blocking(), Ok(1));
    assert!(eventually(|| {
        let tasks = runtime.tasks();
        tasks.len() == 1 && tasks[0].state == State::Waiting
    }));
    std::thread::sleep(Duration::from_millis(30));
    let tasks = runtime.tasks();
    let task = &tasks[0];
    assert_eq!(task.id, sleeper.id().as_u64());
    assert_eq!(task.name.as_deref(), Some("sleeper"));
    assert!(
        task.spawned_at.ends_with(&format!("inspect.rs:{line}:10")),
        "{}",
        task.spawned_at
    );
    // The runtime refreshes its coarse clock when a snapshot is taken.
    assert!(task.in_state >= Duration::from_millis(20), "{task:?}");
    sleeper.cancel();
    assert!(eventually(|| runtime.tasks().is_empty()));
}

#[test]
fn dump_lists_the_current_runtime_tasks_and_workers() {
    let runtime = Runtime::builder().current_thread().build().unwrap();
    let text = runtime.block_on(async {
        let _a = TaskBuilder::new()
            .name("alpha")
            .spawn(std::future::pending::<()>());
        deli::yield_now().await;
        deli::dump()
    });
    assert!(text.contains("current-thread"), "{text}");
    assert!(text.contains("alpha"), "{text}");
    assert!(text.contains("worker 0"), "{text}");
    assert!(deli::dump().contains("no deli runtime"));
}

fn ask(stream: &mut UnixStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

#[test]
fn the_inspect_socket_serves_snapshots_and_survives_bad_clients() {
    let path = socket_path("serve");
    let runtime = Runtime::builder()
        .workers(2)
        .inspect(&path)
        .build()
        .unwrap();
    let _named = TaskBuilder::new()
        .name("socket-watched")
        .spawn_on(std::future::pending::<()>(), runtime.handle());

    // A client that connects and hangs up at once, one that sends garbage
    // without a newline and goes, and one that never reads: none of them
    // disturbs the runtime or the next client.
    drop(UnixStream::connect(&path).unwrap());
    let mut garbage = UnixStream::connect(&path).unwrap();
    garbage.write_all(&[0xff; 300]).unwrap();
    drop(garbage);
    let mut deaf = UnixStream::connect(&path).unwrap();
    for _ in 0..50 {
        if deaf.write_all(b"snapshot\n").is_err() {
            break;
        }
    }

    let mut client = UnixStream::connect(&path).unwrap();
    let line = ask(&mut client, "snapshot\n");
    let snapshot: Snapshot = serde_json::from_str(&line).unwrap();
    assert_eq!(snapshot.pid, std::process::id());
    assert_eq!(snapshot.metrics.workers, 2);
    assert!(snapshot
        .tasks
        .iter()
        .any(|task| task.name.as_deref() == Some("socket-watched")));
    // Again on the same connection; an unknown request gets an error line.
    let again: Snapshot = serde_json::from_str(&ask(&mut client, "\n")).unwrap();
    assert_eq!(again.metrics.workers, 2);
    let error: serde_json::Value = serde_json::from_str(&ask(&mut client, "what\n")).unwrap();
    assert!(error["error"].as_str().unwrap().contains("unknown request"));
    assert_eq!(runtime.spawn(async { 5 }).wait_blocking(), Ok(5));

    drop(deaf);
    drop(runtime);
    assert!(!path.exists(), "the socket file outlived the runtime");
    // The connection is closed on shutdown: reading reaches its end
    // (rather than timing out).
    let mut rest = Vec::new();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert!(client.read_to_end(&mut rest).is_ok());
}

#[test]
fn inspect_refuses_a_live_socket_and_replaces_a_stale_one() {
    let path = socket_path("stale");
    // A stale socket file: bound, then its listener gone.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let first = Runtime::builder()
        .workers(1)
        .inspect(&path)
        .build()
        .unwrap();
    let second = Runtime::builder().workers(1).inspect(&path).build();
    assert_eq!(second.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    drop(first);
    assert!(!path.exists());
    let file = socket_path("plain-file");
    std::fs::write(&file, b"not a socket").unwrap();
    assert!(Runtime::builder()
        .workers(1)
        .inspect(&file)
        .build()
        .is_err());
    std::fs::remove_file(&file).unwrap();
}

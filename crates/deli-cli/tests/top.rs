//! `deli top`: a live view of a running program, attached through the
//! inspect socket. The "program" is this test process: it builds a
//! runtime with `inspect(path)` and runs some named tasks, and `deli top`
//! runs as a child — once plainly with `--once`, once inside a detached
//! tmux session (skipped, with a message, where tmux is not installed).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use deli::{Runtime, TaskBuilder};

fn socket_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("deli-top-{tag}-{}.sock", std::process::id()))
}

/// A runtime serving its snapshots at `path`, with named tasks that wait,
/// sleep in a loop, and keep yielding.
fn program(path: &Path) -> (Runtime, Vec<deli::Ticket<()>>) {
    let runtime = Runtime::builder()
        .workers(2)
        .inspect(path)
        .build()
        .expect("a runtime with an inspect socket");
    let handle = runtime.handle().clone();
    let mut tickets = Vec::new();
    tickets.push(
        TaskBuilder::new()
            .name("order-queue")
            .spawn_on(std::future::pending::<()>(), &handle),
    );
    tickets.push(TaskBuilder::new().name("ticker").spawn_on(
        async {
            loop {
                deli::sleep(Duration::from_millis(20)).await;
            }
        },
        &handle,
    ));
    for n in 0..3 {
        tickets.push(TaskBuilder::new().name(format!("barista-{n}")).spawn_on(
            async {
                loop {
                    deli::sleep(Duration::from_millis(5)).await;
                    deli::yield_now().await;
                }
            },
            &handle,
        ));
    }
    (runtime, tickets)
}

#[test]
fn top_once_prints_workers_and_named_tasks() {
    let path = socket_path("once");
    let (runtime, _tickets) = program(&path);
    let output = Command::new(env!("CARGO_BIN_EXE_deli"))
        .arg("top")
        .arg(&path)
        .arg("--once")
        .output()
        .expect("deli runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let screen = String::from_utf8_lossy(&output.stdout);
    assert_shows(
        &screen,
        &[
            "deli top",
            &format!("[pid {}]", std::process::id()),
            "multi-thread, 2 workers",
            "WORKER",
            "STEALS",
            "order-queue",
            "ticker",
            "barista-0",
            "barista-2",
            "Waiting",
            "top.rs:",
        ],
    );
    drop(runtime);
    assert!(!path.exists());
}

#[test]
fn top_says_why_when_there_is_no_program() {
    let output = Command::new(env!("CARGO_BIN_EXE_deli"))
        .arg("top")
        .arg(socket_path("nobody"))
        .arg("--once")
        .output()
        .expect("deli runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot connect"));
}

fn tmux(args: &[&str]) -> Option<std::process::Output> {
    Command::new("tmux").args(args).output().ok()
}

#[test]
fn top_redraws_live_in_a_terminal_and_quits_on_q() {
    if tmux(&["-V"]).is_none_or(|output| !output.status.success()) {
        println!("tmux is not installed: skipping the live `deli top` test");
        return;
    }
    let path = socket_path("tmux");
    let (runtime, _tickets) = program(&path);
    let session = format!("deli-top-test-{}", std::process::id());
    // Its own tmux server (-L), so the test never touches the user's.
    let server = ["-L", session.as_str()];
    let command = format!(
        "{} top {} --interval 200",
        env!("CARGO_BIN_EXE_deli"),
        path.display()
    );
    let started = tmux(&[
        server[0],
        server[1],
        "new-session",
        "-d",
        "-x",
        "200",
        "-y",
        "50",
        "-s",
        &session,
        &command,
    ])
    .expect("tmux runs");
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let capture = || {
        tmux(&[server[0], server[1], "capture-pane", "-p", "-t", &session])
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .unwrap_or_default()
    };
    // Wait for a screen showing the tasks, then for a later redraw (the
    // poll counts of the busy tasks move).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut first = String::new();
    while Instant::now() < deadline {
        first = capture();
        if first.contains("barista-2") && first.contains("WORKER") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut later = first.clone();
    while Instant::now() < deadline && later == first {
        std::thread::sleep(Duration::from_millis(150));
        later = capture();
    }
    // `q` quits: the session's only pane closes.
    let _ = tmux(&[server[0], server[1], "send-keys", "-t", &session, "q"]);
    let mut quit = false;
    while Instant::now() < deadline {
        let alive = tmux(&[server[0], server[1], "has-session", "-t", &session])
            .is_some_and(|output| output.status.success());
        if !alive {
            quit = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = tmux(&[server[0], server[1], "kill-server"]);
    println!("--- deli top, captured from tmux ---\n{later}\n---");
    assert_shows(
        &later,
        &[
            "deli top",
            "WORKER",
            "order-queue",
            "ticker",
            "barista-0",
            "barista-1",
            "barista-2",
            "q or Ctrl-C to quit",
        ],
    );
    assert_ne!(first, later, "the screen never redrew");
    assert!(quit, "deli top did not quit on q");
    drop(runtime);
}

/// Asserts that a `deli top` screen holds every `expected` text and two
/// worker rows ("0" and "1"), both active.
fn assert_shows(screen: &str, expected: &[&str]) {
    for expected in expected {
        assert!(screen.contains(expected), "no {expected:?} in:\n{screen}");
    }
    let workers = screen
        .lines()
        .filter(|line| line.split_whitespace().nth(1) == Some("active"))
        .count();
    assert_eq!(workers, 2, "{screen}");
}

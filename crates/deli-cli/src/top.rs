//! `deli top SOCKET`: a live view of a running deli program — its
//! workers and every live task — read from the inspect socket the program
//! opened with `deli::Runtime::builder().inspect(SOCKET)`.
//!
//! Every refresh sends `snapshot` and reads one JSON line (a
//! `deli::runtime::Snapshot`), then redraws the screen with ANSI escapes
//! (clear, home). On a terminal, stdin is put in raw mode so `q` (or
//! Ctrl-C, read as a key) quits, and restored on the way out; elsewhere
//! `q` followed by a newline does. `--once` prints one snapshot as plain
//! text and exits. Uses deli's public API, serde_json and libc (termios).

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use deli::runtime::Snapshot;

/// `deli top`'s arguments.
#[derive(Debug, clap::Args)]
pub struct TopArgs {
    /// The program's inspect socket (the path given to `Builder::inspect`).
    socket: PathBuf,
    /// Print one snapshot and exit instead of refreshing.
    #[arg(long)]
    once: bool,
    /// Milliseconds between refreshes.
    #[arg(long, default_value_t = 500)]
    interval: u64,
}

pub fn run(args: TopArgs) -> ExitCode {
    let mut client = match Client::connect(&args.socket) {
        Ok(client) => client,
        Err(error) => {
            eprintln!(
                "deli top: cannot connect to {}: {error}",
                args.socket.display()
            );
            return ExitCode::FAILURE;
        }
    };
    if args.once {
        return match client.snapshot() {
            Ok(snapshot) => {
                print!("{}", render(&snapshot, &args.socket, None));
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("deli top: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let interval = Duration::from_millis(args.interval.max(50));
    let _raw = RawMode::enter();
    let mut stdout = io::stdout();
    let outcome = loop {
        let snapshot = match client.snapshot() {
            Ok(snapshot) => snapshot,
            Err(error) => break Err(error),
        };
        let rows = terminal_rows();
        let screen = render(&snapshot, &args.socket, rows);
        // Home, clear, draw; raw mode needs \r\n line ends.
        let screen = screen.replace('\n', "\r\n");
        let drawn = write!(stdout, "\x1b[H\x1b[2J{screen}").and_then(|()| stdout.flush());
        if drawn.is_err() {
            break Ok(());
        }
        if wait_for_quit(interval) {
            break Ok(());
        }
    };
    drop(_raw);
    match outcome {
        Ok(()) => {
            println!();
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("\ndeli top: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A connection to a program's inspect socket.
struct Client {
    stream: UnixStream,
    reader: BufReader<UnixStream>,
}

impl Client {
    fn connect(path: &Path) -> io::Result<Client> {
        let stream = UnixStream::connect(path)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.set_write_timeout(Some(Duration::from_secs(5)))?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Client { stream, reader })
    }

    fn snapshot(&mut self) -> Result<Snapshot, String> {
        self.stream
            .write_all(b"snapshot\n")
            .map_err(|error| format!("the program went away ({error})"))?;
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => return Err("the program closed its inspect socket".to_owned()),
            Ok(_) => {}
            Err(error) => return Err(format!("no answer from the program ({error})")),
        }
        serde_json::from_str(&line).map_err(|error| {
            format!("the program sent something that is not a snapshot ({error}): {line:.200}")
        })
    }
}

/// The screen for one snapshot; with `rows`, the task list is cut to fit.
fn render(snapshot: &Snapshot, socket: &Path, rows: Option<usize>) -> String {
    let metrics = &snapshot.metrics;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "deli top - {} [pid {}] via {} - up {}",
        snapshot.program,
        snapshot.pid,
        socket.display(),
        duration(snapshot.uptime)
    );
    let _ = writeln!(
        out,
        "runtime: {}, {} workers | tasks: {} live | injector: {} queued | blocked: {} now, {} episodes | spares in use: {}",
        metrics.flavor,
        metrics.workers,
        metrics.live_tasks,
        metrics.injector_depth,
        metrics.blocked_workers,
        metrics.blocked_episodes,
        metrics.spares_in_use
    );
    let mut states = [0usize; 5];
    for task in &snapshot.tasks {
        if let Some(slot) = deli::State::ALL.iter().position(|s| *s == task.state) {
            states[slot] += 1;
        }
    }
    let _ = writeln!(
        out,
        "task states: {}",
        deli::State::ALL
            .iter()
            .zip(states)
            .map(|(state, count)| format!("{} {count}", state.name()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.push('\n');
    let _ = writeln!(
        out,
        "{:<8} {:<8} {:>12} {:>10} {:>10} {:>6}",
        "WORKER", "STATE", "POLLS", "STEALS", "PARKS", "QUEUE"
    );
    for row in &metrics.worker_rows {
        let _ = writeln!(
            out,
            "{:<8} {:<8} {:>12} {:>10} {:>10} {:>6}",
            row.index, row.state, row.polls, row.steals, row.parks, row.queue_depth
        );
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{:>8} {:<24} {:<10} {:>9}  SPAWNED AT",
        "TASK", "NAME", "STATE", "IN STATE"
    );
    let used = out.lines().count() + 2;
    let room = rows.map_or(usize::MAX, |rows| rows.saturating_sub(used).max(1));
    let mut tasks: Vec<_> = snapshot.tasks.iter().collect();
    // Running first, then the longest in their state: what a person wants
    // to see when a program seems stuck.
    tasks.sort_by(|a, b| {
        (b.state == deli::State::Running)
            .cmp(&(a.state == deli::State::Running))
            .then(b.in_state.cmp(&a.in_state))
            .then(a.id.cmp(&b.id))
    });
    for task in tasks.iter().take(room) {
        let name: String = task
            .name
            .as_deref()
            .unwrap_or("-")
            .chars()
            .take(24)
            .collect();
        let _ = writeln!(
            out,
            "{:>8} {:<24} {:<10} {:>9}  {}",
            task.id,
            name,
            task.state.name(),
            duration(task.in_state),
            task.spawned_at
        );
    }
    if tasks.len() > room {
        let _ = writeln!(out, "... and {} more", tasks.len() - room);
    }
    if rows.is_some() {
        out.push_str("\n(q or Ctrl-C to quit)\n");
    }
    out
}

fn duration(d: Duration) -> String {
    let millis = d.as_millis();
    if millis < 1_000 {
        format!("{millis}ms")
    } else if millis < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        let secs = d.as_secs();
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

/// The terminal's height, or a default when stdout is no terminal.
fn terminal_rows() -> Option<usize> {
    // SAFETY: `winsize` is plain data; TIOCGWINSZ fills it or fails.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a `winsize` for the ioctl to fill.
    let ok = unsafe { libc::ioctl(io::stdout().as_raw_fd(), libc::TIOCGWINSZ, &mut size) } == 0;
    Some(if ok && size.ws_row > 0 {
        usize::from(size.ws_row)
    } else {
        40
    })
}

/// Waits up to `interval` for `q`, `Q` or Ctrl-C on stdin; whether one
/// came (or stdin ended).
fn wait_for_quit(interval: Duration) -> bool {
    let deadline = Instant::now() + interval;
    let stdin = io::stdin();
    let fd = stdin.as_raw_fd();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: one valid `pollfd` for the duration of the call.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        if ready <= 0 {
            // Timed out (or interrupted: look again until the deadline).
            continue;
        }
        if poll.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
            && poll.revents & libc::POLLIN == 0
        {
            // No stdin to read keys from: just keep refreshing.
            std::thread::sleep(left);
            return false;
        }
        let mut byte = [0u8; 64];
        // SAFETY: reading into a local buffer of its length.
        let read = unsafe { libc::read(fd, byte.as_mut_ptr().cast(), byte.len()) };
        if read == 0 {
            // End of input (stdin is /dev/null or closed): keep refreshing
            // until killed, without spinning on a readable end of file.
            std::thread::sleep(left);
            return false;
        }
        if read > 0 {
            let keys = &byte[..read as usize];
            if keys.iter().any(|key| matches!(key, b'q' | b'Q' | 0x03)) {
                return true;
            }
        }
    }
}

/// The terminal in raw mode (no echo, no line buffering, Ctrl-C as a
/// key) while it lives; restored on drop. A no-op when stdin is no tty.
struct RawMode {
    saved: Option<libc::termios>,
}

impl RawMode {
    fn enter() -> RawMode {
        let fd = io::stdin().as_raw_fd();
        // SAFETY: `termios` is plain data that tcgetattr fills or leaves.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: isatty and tcgetattr only read the fd and fill `saved`.
        let is_tty = unsafe { libc::isatty(fd) == 1 && libc::tcgetattr(fd, &mut saved) == 0 };
        if !is_tty {
            return RawMode { saved: None };
        }
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: a termios copied from the terminal's own, flags cleared.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) };
        // Hide the cursor while drawing.
        print!("\x1b[?25l");
        RawMode { saved: Some(saved) }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = self.saved.take() {
            // SAFETY: restoring the settings read in `enter`.
            unsafe { libc::tcsetattr(io::stdin().as_raw_fd(), libc::TCSANOW, &saved) };
            print!("\x1b[?25h");
            let _ = io::stdout().flush();
        }
    }
}

//! The Chrome trace event format (what Perfetto and `chrome://tracing`
//! open), written by hand: a handful of fixed shapes, every string escaped.
//!
//! Layout: this process is pid 1 and each in-process lane one of its
//! threads (tid 1, 2, … in lane order); each worker process is its own
//! pid (its real one) with a single thread, tid 1. Every pid has a
//! `process_name` and every lane a `thread_name` metadata event. Each run
//! of a job (Running until the job's next event) is a complete (`X`)
//! slice; every event is also an instant (`i`) named after its state; a
//! monitor report is an instant named `Blocked`. Times are microseconds
//! since `start()`, with three decimals (nanoseconds).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use super::{Event, JobKind, Lane, Trace};
use crate::task::{State, TaskId};

/// The pid that stands for this process.
const THIS_PROCESS: u32 = 1;

pub(super) fn to_json(trace: &Trace) -> String {
    let places = Places::new(trace.lanes());
    let mut metadata = Vec::new();
    let mut timed: Vec<(Duration, String)> = Vec::new();

    metadata.push(process_name(
        THIS_PROCESS,
        &format!("deli (pid {})", std::process::id()),
    ));
    for lane in trace.lanes() {
        let (pid, tid) = places.of(lane);
        if let Lane::Process { pid } = lane {
            metadata.push(process_name(*pid, &format!("deli worker process {pid}")));
        }
        metadata.push(thread_name(pid, tid, &places.label(lane)));
    }

    // Open runs, by task: when and where the Running began.
    let mut running: HashMap<TaskId, &Event> = HashMap::new();
    for event in trace.events() {
        if let Some(start) = running.remove(&event.task) {
            timed.push((start.at, slice(start, event.at, &places)));
        }
        if event.state == State::Running {
            running.insert(event.task, event);
        }
        timed.push((event.at, instant(event, &places)));
    }
    let end = trace
        .events()
        .last()
        .map_or(trace.duration(), |last| last.at.max(trace.duration()));
    let mut unfinished: Vec<&Event> = running.into_values().collect();
    unfinished.sort_by_key(|start| (start.at, start.task));
    for start in unfinished {
        timed.push((start.at, slice(start, end, &places)));
    }
    for report in trace.blocked() {
        let (pid, tid) = places.of(&report.lane);
        let mut line = format!(
            r#"{{"ph":"i","s":"t","name":"Blocked","cat":"monitor","pid":{pid},"tid":{tid},"ts":{},"args":{{"task":{},"blocked_us":{},"over":{}"#,
            micros(report.at),
            report.task.as_u64(),
            micros(report.duration),
            report.is_over,
        );
        if let Some(name) = &report.name {
            line.push_str(r#","task_name":"#);
            push_string(&mut line, name);
        }
        line.push_str("}}");
        timed.push((report.at, line));
    }
    // Stable: lines at the same time keep the order they were made in.
    timed.sort_by_key(|(at, _)| *at);

    let mut out = String::with_capacity(128 + 160 * (metadata.len() + timed.len()));
    out.push_str(r#"{"displayTimeUnit":"ns","otherData":{"producer":"deli","version":"#);
    push_string(&mut out, env!("CARGO_PKG_VERSION"));
    out.push_str(r#"},"traceEvents":["#);
    let mut first = true;
    for line in metadata.iter().chain(timed.iter().map(|(_, line)| line)) {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str("\n  ");
        out.push_str(line);
    }
    out.push_str("\n]}\n");
    out
}

/// Where each lane is drawn: its pid and tid, and its label.
struct Places {
    tids: HashMap<Lane, u32>,
    runtimes: usize,
    pools: usize,
}

impl Places {
    fn new(lanes: &[Lane]) -> Places {
        let mut tids = HashMap::new();
        let mut next = 1;
        let mut runtimes = HashSet::new();
        let mut pools = HashSet::new();
        for lane in lanes {
            match lane {
                Lane::Process { .. } => continue,
                Lane::Worker { runtime, .. } => {
                    runtimes.insert(*runtime);
                }
                Lane::PoolThread { pool, .. } => {
                    pools.insert(*pool);
                }
                Lane::BlockingThread { .. } | Lane::Thread { .. } => {}
            }
            tids.insert(lane.clone(), next);
            next += 1;
        }
        Places {
            tids,
            runtimes: runtimes.len(),
            pools: pools.len(),
        }
    }

    fn of(&self, lane: &Lane) -> (u32, u32) {
        match lane {
            Lane::Process { pid } => (*pid, 1),
            other => (THIS_PROCESS, self.tids.get(other).copied().unwrap_or(0)),
        }
    }

    /// A lane's row label: short when the trace has one runtime and one
    /// pool, qualified when it has several.
    fn label(&self, lane: &Lane) -> String {
        match lane {
            Lane::Worker { index, .. } if self.runtimes <= 1 => format!("worker {index}"),
            Lane::PoolThread { index, .. } if self.pools <= 1 => format!("pool thread {index}"),
            other => other.to_string(),
        }
    }
}

fn category(kind: JobKind) -> &'static str {
    kind.name()
}

fn process_name(pid: u32, name: &str) -> String {
    let mut line =
        format!(r#"{{"ph":"M","name":"process_name","pid":{pid},"tid":0,"args":{{"name":"#);
    push_string(&mut line, name);
    line.push_str("}}");
    line
}

fn thread_name(pid: u32, tid: u32, name: &str) -> String {
    let mut line =
        format!(r#"{{"ph":"M","name":"thread_name","pid":{pid},"tid":{tid},"args":{{"name":"#);
    push_string(&mut line, name);
    line.push_str("}}");
    line
}

fn slice(start: &Event, end: Duration, places: &Places) -> String {
    let (pid, tid) = places.of(&start.lane);
    let mut line = String::from(r#"{"ph":"X","name":"#);
    match &start.name {
        Some(name) => push_string(&mut line, name),
        None => push_string(&mut line, &format!("task {}", start.task.as_u64())),
    }
    let _ = write!(
        line,
        r#","cat":"{}","pid":{pid},"tid":{tid},"ts":{},"dur":{},"args":{{"task":{},"state":"Running"}}}}"#,
        category(start.kind),
        micros(start.at),
        micros(end.saturating_sub(start.at)),
        start.task.as_u64(),
    );
    line
}

fn instant(event: &Event, places: &Places) -> String {
    let (pid, tid) = places.of(&event.lane);
    let state = State::name(event.state);
    let mut line = format!(
        r#"{{"ph":"i","s":"t","name":"{state}","cat":"{}","pid":{pid},"tid":{tid},"ts":{},"args":{{"task":{},"state":"{state}""#,
        category(event.kind),
        micros(event.at),
        event.task.as_u64(),
    );
    if let Some(name) = &event.name {
        line.push_str(r#","task_name":"#);
        push_string(&mut line, name);
    }
    line.push_str("}}");
    line
}

/// Microseconds with exactly three decimals, from whole nanoseconds.
fn micros(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    format!("{}.{:03}", nanos / 1000, nanos % 1000)
}

/// Appends `text` as a JSON string literal.
fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let parsed: String = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn micros_keep_nanoseconds() {
        assert_eq!(micros(Duration::from_nanos(10_500)), "10.500");
        assert_eq!(micros(Duration::from_nanos(7)), "0.007");
        assert_eq!(micros(Duration::ZERO), "0.000");
    }
}

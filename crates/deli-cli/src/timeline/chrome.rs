//! Reading a Chrome trace event file (the format deli's
//! `Trace::write_chrome_json` writes, which Perfetto and chrome://tracing
//! open) into a [`Timeline`]: one lane per `(pid, tid)`, named by the
//! `thread_name` metadata events; complete (`"X"`) events become bars,
//! instant (`"i"`/`"I"`) events ticks, and the time a task spent Ready
//! (queued) or Waiting between two of its transitions (`args.task`) becomes
//! a bar on the lane where it entered that state. Other event kinds are
//! skipped.
//! Accepts the object form (`{"traceEvents": [...]}`) and the bare array.
//! Lanes keep the producer's order: by pid, then tid.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Bar, Lane, State, Tick, Timeline};

/// A lane's `(pid, tid)`.
type LaneKey = (i64, i64);

/// Why a file is not a trace we can draw.
#[derive(Debug, thiserror::Error)]
pub enum ChromeError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not a Chrome trace: expected an object with a \"traceEvents\" array, or an array")]
    NoEvents,
    #[error("trace event {index}: {problem}")]
    BadEvent { index: usize, problem: String },
}

/// Parses a Chrome trace; the panel is titled `title`.
pub fn parse(text: &str, title: &str) -> Result<Timeline, ChromeError> {
    let document: Value = serde_json::from_str(text)?;
    let from_deli = document
        .pointer("/otherData/producer")
        .and_then(Value::as_str)
        == Some("deli");
    let events = match &document {
        Value::Array(events) => events,
        Value::Object(fields) => match fields.get("traceEvents") {
            Some(Value::Array(events)) => events,
            _ => return Err(ChromeError::NoEvents),
        },
        _ => return Err(ChromeError::NoEvents),
    };

    let mut lanes: BTreeMap<(i64, i64), Lane> = BTreeMap::new();
    let mut process_names: BTreeMap<i64, String> = BTreeMap::new();
    // Bars and ticks in microseconds until the origin is known.
    let mut bars: Vec<(LaneKey, f64, f64, State, String)> = Vec::new();
    let mut ticks: Vec<(LaneKey, f64, State, String)> = Vec::new();
    // Each task's transitions, to find its stretches of Ready and Waiting.
    let mut transitions: BTreeMap<u64, Vec<(f64, State, LaneKey)>> = BTreeMap::new();

    for (index, event) in events.iter().enumerate() {
        let bad = |problem: &str| ChromeError::BadEvent {
            index,
            problem: problem.to_owned(),
        };
        let Some(fields) = event.as_object() else {
            return Err(bad("not an object"));
        };
        let phase = fields.get("ph").and_then(Value::as_str).unwrap_or("");
        let key = (
            fields.get("pid").and_then(Value::as_i64).unwrap_or(0),
            fields.get("tid").and_then(Value::as_i64).unwrap_or(0),
        );
        let name = fields.get("name").and_then(Value::as_str).unwrap_or("");
        let state_arg = event.pointer("/args/state").and_then(Value::as_str);
        let task = event.pointer("/args/task").and_then(Value::as_u64);
        let label = match task {
            Some(task) if !name.contains(&task.to_string()) => format!("{name} (task {task})"),
            _ => name.to_owned(),
        };
        match phase {
            "M" => {
                let value = event.pointer("/args/name").and_then(Value::as_str);
                match (name, value) {
                    ("thread_name", Some(value)) => {
                        lanes.entry(key).or_default().name = value.to_owned();
                    }
                    ("process_name", Some(value)) => {
                        process_names.insert(key.0, value.to_owned());
                    }
                    _ => {}
                }
            }
            "X" => {
                let start =
                    number(fields.get("ts")).ok_or_else(|| bad("\"X\" without a \"ts\""))?;
                let duration =
                    number(fields.get("dur")).ok_or_else(|| bad("\"X\" without a \"dur\""))?;
                if duration < 0.0 {
                    return Err(bad("negative \"dur\""));
                }
                let state = state_arg
                    .and_then(|name| name.parse().ok())
                    .unwrap_or(State::Running);
                lanes.entry(key).or_default();
                if let Some(task) = task {
                    transitions
                        .entry(task)
                        .or_default()
                        .push((start, state, key));
                }
                bars.push((key, start, start + duration, state, label));
            }
            "i" | "I" => {
                let at = number(fields.get("ts")).ok_or_else(|| bad("instant without a \"ts\""))?;
                let state = state_arg
                    .and_then(|name| name.parse().ok())
                    .or_else(|| name.parse().ok())
                    .unwrap_or(State::Ready);
                lanes.entry(key).or_default();
                if let Some(task) = task {
                    transitions.entry(task).or_default().push((at, state, key));
                }
                ticks.push((key, at, state, label));
            }
            _ => {}
        }
    }

    for (task, mut steps) in transitions {
        steps.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in steps.windows(2) {
            let ((from, state, key), (to, _, _)) = (pair[0], pair[1]);
            if matches!(state, State::Ready | State::Waiting) && to > from {
                bars.push((key, from, to, state, format!("task {task}")));
            }
        }
    }

    // deli traces count from `start()`; others may use any clock.
    let earliest = bars
        .iter()
        .map(|bar| bar.1)
        .chain(ticks.iter().map(|tick| tick.1))
        .fold(f64::INFINITY, f64::min);
    let origin = if from_deli || !earliest.is_finite() {
        0.0
    } else {
        earliest
    };
    let to_ns = |micros: f64| ((micros - origin).max(0.0) * 1_000.0).round() as u64;
    for (key, start, end, state, label) in bars {
        if let Some(lane) = lanes.get_mut(&key) {
            lane.bars.push(Bar {
                start_ns: to_ns(start),
                end_ns: to_ns(end),
                state,
                label,
            });
        }
    }
    for (key, at, state, label) in ticks {
        if let Some(lane) = lanes.get_mut(&key) {
            lane.ticks.push(Tick {
                at_ns: to_ns(at),
                state,
                label,
            });
        }
    }

    let several_processes = lanes
        .keys()
        .map(|key| key.0)
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w[0] != w[1]);
    let mut lanes: Vec<((i64, i64), Lane)> = lanes
        .into_iter()
        .filter(|(_, lane)| !lane.bars.is_empty() || !lane.ticks.is_empty())
        .collect();
    for ((pid, tid), lane) in &mut lanes {
        if lane.name.is_empty() {
            lane.name = match process_names.get(pid) {
                Some(process) if several_processes => format!("{process} / tid {tid}"),
                _ => format!("pid {pid} tid {tid}"),
            };
        }
    }
    Ok(Timeline {
        title: title.to_owned(),
        lanes: lanes.into_iter().map(|(_, lane)| lane).collect(),
    })
}

fn number(value: Option<&Value>) -> Option<f64> {
    value.and_then(Value::as_f64).filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "displayTimeUnit": "ns",
      "otherData": { "producer": "deli", "version": "0.1.0" },
      "traceEvents": [
        {"ph":"M","name":"process_name","pid":1,"tid":0,"args":{"name":"deli (pid 4242)"}},
        {"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"worker 0"}},
        {"ph":"M","name":"process_name","pid":4250,"tid":0,"args":{"name":"deli worker process 4250"}},
        {"ph":"M","name":"thread_name","pid":4250,"tid":1,"args":{"name":"process 4250"}},
        {"ph":"X","name":"task 12","cat":"async","pid":1,"tid":1,"ts":10.5,"dur":3.25,
         "args":{"task":12,"state":"Running"}},
        {"ph":"i","s":"t","name":"Waiting","cat":"async","pid":1,"tid":1,"ts":13.75,
         "args":{"task":12,"state":"Waiting"}},
        {"ph":"X","name":"crunch","cat":"process","pid":4250,"tid":1,"ts":20,"dur":100,
         "args":{"task":13,"state":"Running"}}
      ]
    }"#;

    #[test]
    fn lanes_bars_and_ticks_come_from_the_events() {
        let timeline = parse(SAMPLE, "t").unwrap();
        let names: Vec<_> = timeline.lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["worker 0", "process 4250"]);
        let worker = &timeline.lanes[0];
        assert_eq!(worker.bars[0].start_ns, 10_500);
        assert_eq!(worker.bars[0].end_ns, 13_750);
        assert_eq!(worker.bars[0].state, State::Running);
        assert_eq!(worker.ticks[0].state, State::Waiting);
        assert_eq!(worker.ticks[0].at_ns, 13_750);
        assert_eq!(timeline.lanes[1].bars[0].label, "crunch (task 13)");
        // Waiting from 13.75 µs until the end of the trace: no next
        // transition, so no Waiting bar.
        assert_eq!(worker.bars.len(), 1);
    }

    #[test]
    fn ready_and_waiting_stretches_become_bars() {
        let trace = r#"{"traceEvents":[
          {"ph":"i","name":"Ready","pid":1,"tid":9,"ts":1,"args":{"task":5,"state":"Ready"}},
          {"ph":"X","name":"task 5","pid":1,"tid":1,"ts":4,"dur":2,"args":{"task":5,"state":"Running"}},
          {"ph":"i","name":"Waiting","pid":1,"tid":1,"ts":6,"args":{"task":5,"state":"Waiting"}},
          {"ph":"i","name":"Ready","pid":1,"tid":2,"ts":10,"args":{"task":5,"state":"Ready"}},
          {"ph":"i","name":"Running","pid":1,"tid":2,"ts":11,"args":{"task":5,"state":"Running"}},
          {"ph":"i","name":"Terminated","pid":1,"tid":2,"ts":12,"args":{"task":5,"state":"Terminated"}}
        ]}"#;
        let timeline = parse(trace, "t").unwrap();
        let bars: Vec<(String, State, u64, u64)> = timeline
            .lanes
            .iter()
            .flat_map(|lane| {
                lane.bars
                    .iter()
                    .map(|bar| (lane.name.clone(), bar.state, bar.start_ns, bar.end_ns))
            })
            .collect();
        assert_eq!(
            bars,
            [
                ("pid 1 tid 1".to_owned(), State::Running, 3_000, 5_000),
                ("pid 1 tid 1".to_owned(), State::Waiting, 5_000, 9_000),
                ("pid 1 tid 2".to_owned(), State::Ready, 9_000, 10_000),
                ("pid 1 tid 9".to_owned(), State::Ready, 0, 3_000),
            ]
        );
    }

    #[test]
    fn a_bare_array_is_a_trace_too() {
        let timeline = parse(
            r#"[{"ph":"X","name":"a","pid":7,"tid":3,"ts":1000,"dur":5}]"#,
            "t",
        )
        .unwrap();
        assert_eq!(timeline.lanes[0].name, "pid 7 tid 3");
        // Not from deli: time counts from the first event.
        assert_eq!(timeline.lanes[0].bars[0].start_ns, 0);
        assert_eq!(timeline.lanes[0].bars[0].end_ns, 5_000);
    }

    #[test]
    fn malformed_input_is_refused_with_a_reason() {
        assert!(matches!(parse("{", "t"), Err(ChromeError::Json(_))));
        assert!(matches!(
            parse("{\"events\": []}", "t"),
            Err(ChromeError::NoEvents)
        ));
        let missing_ts = r#"{"traceEvents":[{"ph":"X","pid":1,"tid":1,"dur":2}]}"#;
        let error = parse(missing_ts, "t").unwrap_err().to_string();
        assert_eq!(error, "trace event 0: \"X\" without a \"ts\"");
    }
}

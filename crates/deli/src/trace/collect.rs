//! Turning a stopped session's raw events into a [`Trace`]: timestamps to
//! durations, lane ids to lanes, names attached, everything in time order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::recorder::{unpack, Drained, RawLane};
use super::{Blocked, Event, Lane, Trace};
use crate::task::{State, TaskId};

pub(super) fn build(drained: Drained) -> Trace {
    let Drained {
        events: mut raw,
        blocked: raw_blocked,
        lanes: table,
        scale,
        duration,
        dropped,
    } = drained;
    // `unwrap_or_else`: the fallback name is formatted only for a lane id
    // the table lacks, not once per event (it was most of `stop()` in the
    // `trace/yield_many-mt` benchmark).
    let lane_of = |id: u32| {
        table
            .get(id as usize)
            .cloned()
            .unwrap_or_else(|| Lane::Thread {
                name: format!("lane {id}"),
            })
    };

    let mut names: HashMap<u64, Arc<str>> = HashMap::new();
    for event in &raw {
        if let Some(name) = event.name() {
            names.entry(event.task).or_insert_with(|| name.clone());
        }
    }
    // Stable, on the raw ticks: events of one thread keep their recorded
    // order on a tie.
    raw.sort_by_key(|event| event.at);

    // A task ends once. A process job's end is recorded by its driver (on
    // the child's lane) and again when its ticket's task sees the result:
    // the first one is the real end.
    let mut ended = HashSet::new();
    let mut used_lanes = HashSet::new();
    let mut last_lane = None;
    let mut events = Vec::with_capacity(raw.len());
    for event in &raw {
        let (Some(decoded), Some(task)) = (unpack(event.meta), TaskId::from_u64(event.task)) else {
            continue;
        };
        if decoded.state == State::Terminated && !ended.insert(task) {
            continue;
        }
        // Runs of events share a lane: hash only where the lane changes.
        if last_lane != Some(decoded.lane) {
            used_lanes.insert(decoded.lane);
            last_lane = Some(decoded.lane);
        }
        events.push(Event {
            at: scale.since_start(event.at),
            task,
            name: if names.is_empty() {
                None
            } else {
                names.get(&event.task).cloned()
            },
            kind: decoded.kind,
            state: decoded.state,
            lane: match decoded.lane {
                RawLane::Interned(id) => lane_of(id),
                RawLane::Process(pid) => Lane::Process { pid },
            },
        });
    }

    let mut blocked: Vec<Blocked> = raw_blocked
        .into_iter()
        .map(|report| {
            used_lanes.insert(RawLane::Interned(report.lane));
            Blocked {
                at: scale.since_start(report.at),
                task: report.task,
                name: report.name,
                lane: lane_of(report.lane),
                duration: report.duration,
                is_over: report.is_over,
            }
        })
        .collect();
    blocked.sort_by_key(|report| report.at);

    let mut lanes: Vec<Lane> = used_lanes
        .into_iter()
        .map(|lane| match lane {
            RawLane::Interned(id) => lane_of(id),
            RawLane::Process(pid) => Lane::Process { pid },
        })
        .collect();
    lanes.sort();
    lanes.dedup();

    Trace {
        events,
        lanes,
        blocked,
        duration,
        dropped,
    }
}

//! Tracing: async tasks on both schedulers, thread-pool jobs and blocking
//! calls recorded under `deli::trace`, written as Chrome trace JSON and
//! read back with serde_json; the monitor's reports in the trace; the
//! event cap. (Process jobs are traced in `tests/process.rs`, which has the
//! `main` a worker child needs.)
//!
//! Tracing is process-wide, so the tests take turns.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{within, Gate, BOUND};
use deli::trace::{JobKind, Lane, Trace};
use deli::{State, TaskId};
use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

const STATES: [&str; 5] = ["New", "Ready", "Running", "Waiting", "Terminated"];

/// What one traced run left: the trace, and the ids of the work it ran.
struct Traced {
    trace: Trace,
    sleepers: Vec<TaskId>,
    named: TaskId,
    pool_jobs: Vec<TaskId>,
    blocking_calls: Vec<TaskId>,
}

/// Sleeping and yielding tasks (one named), pool jobs and blocking calls,
/// all on a 2-worker runtime, traced.
fn traced_mixed_run() -> Traced {
    let runtime = deli::Runtime::builder().workers(2).build().unwrap();
    let pool = deli::ThreadPool::new(2).unwrap();
    deli::trace::start();
    let (sleepers, named, blocking_calls) = runtime.block_on(async {
        let sleepers: Vec<_> = (0..8u64)
            .map(|n| {
                deli::spawn(async move {
                    deli::sleep(Duration::from_millis(1 + n % 3)).await;
                    deli::yield_now().await;
                    n
                })
            })
            .collect();
        let named = deli::TaskBuilder::new()
            .name("the \"named\" one")
            .spawn(async { deli::yield_now().await });
        let blocking: Vec<_> = (0..3)
            .map(|n| deli::spawn_blocking(move || n * 2))
            .collect();
        let ids = (
            sleepers.iter().map(deli::Ticket::id).collect::<Vec<_>>(),
            named.id(),
            blocking.iter().map(deli::Ticket::id).collect::<Vec<_>>(),
        );
        for ticket in sleepers {
            ticket.await.unwrap();
        }
        named.await.unwrap();
        for ticket in blocking {
            ticket.await.unwrap();
        }
        ids
    });
    let jobs: Vec<_> = (0..4u64).map(|n| pool.submit(move || n + 1)).collect();
    let pool_jobs = jobs.iter().map(deli::Ticket::id).collect();
    for job in jobs {
        job.wait_blocking().unwrap();
    }
    let trace = deli::trace::stop();
    Traced {
        trace,
        sleepers,
        named,
        pool_jobs,
        blocking_calls,
    }
}

fn states_of(trace: &Trace, task: TaskId) -> Vec<State> {
    trace
        .events()
        .iter()
        .filter(|event| event.task == task)
        .map(|event| event.state)
        .collect()
}

#[test]
fn every_kind_of_work_shows_its_whole_lifecycle() {
    let _turn = one_at_a_time();
    let traced = within(BOUND, traced_mixed_run);
    let trace = &traced.trace;
    assert_eq!(trace.dropped_events(), 0);
    assert!(trace.duration() > Duration::ZERO);
    assert!(trace.events().windows(2).all(|w| w[0].at <= w[1].at));

    for &task in &traced.sleepers {
        let states = states_of(trace, task);
        assert_eq!(states.first(), Some(&State::New), "{states:?}");
        assert_eq!(states.last(), Some(&State::Terminated), "{states:?}");
        for state in [State::Ready, State::Running, State::Waiting] {
            assert!(
                states.contains(&state),
                "{task}: no {state:?} in {states:?}"
            );
        }
        assert_eq!(
            states.iter().filter(|s| **s == State::Terminated).count(),
            1
        );
        let lanes: BTreeSet<_> = trace
            .events()
            .iter()
            .filter(|e| e.task == task && e.state == State::Running)
            .map(|e| e.lane.clone())
            .collect();
        assert!(
            lanes.iter().all(|l| matches!(l, Lane::Worker { .. })),
            "{lanes:?}"
        );
    }
    let named: Vec<_> = trace
        .events()
        .iter()
        .filter(|e| e.task == traced.named)
        .collect();
    assert!(named
        .iter()
        .all(|e| e.name.as_deref() == Some("the \"named\" one")));
    assert!(named.iter().all(|e| e.kind == JobKind::Async));

    for (ids, kind) in [
        (&traced.pool_jobs, JobKind::Pool),
        (&traced.blocking_calls, JobKind::Blocking),
    ] {
        for &task in ids {
            let events: Vec<_> = trace.events().iter().filter(|e| e.task == task).collect();
            let states: Vec<_> = events.iter().map(|e| e.state).collect();
            assert_eq!(
                states,
                [State::New, State::Ready, State::Running, State::Terminated],
                "{kind:?}"
            );
            assert!(events.iter().all(|e| e.kind == kind));
            let running = &events[2].lane;
            match kind {
                JobKind::Pool => assert!(matches!(running, Lane::PoolThread { .. }), "{running:?}"),
                _ => assert!(
                    matches!(running, Lane::BlockingThread { .. }),
                    "{running:?}"
                ),
            }
            // The run ends on the thread that ran it.
            assert_eq!(&events[3].lane, running);
        }
    }

    let lanes = trace.lanes();
    assert!(lanes.windows(2).all(|w| w[0] < w[1]));
    for wanted in ["worker", "pool", "blocking"] {
        assert!(
            lanes.iter().any(|lane| match lane {
                Lane::Worker { .. } => wanted == "worker",
                Lane::PoolThread { .. } => wanted == "pool",
                Lane::BlockingThread { .. } => wanted == "blocking",
                _ => false,
            }),
            "no {wanted} lane in {lanes:?}"
        );
    }
}

/// The Chrome JSON of a mixed run, written to a file and parsed back.
#[test]
fn chrome_json_has_named_lanes_slices_and_every_state() {
    let _turn = one_at_a_time();
    let traced = within(BOUND, traced_mixed_run);
    let path = std::env::temp_dir().join(format!("deli-trace-test-{}.json", std::process::id()));
    traced.trace.write_chrome_json(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let json: Value = serde_json::from_str(&text).expect("the trace is valid JSON");

    assert_eq!(json["displayTimeUnit"], "ns");
    assert_eq!(json["otherData"]["producer"], "deli");
    let events = json["traceEvents"].as_array().expect("traceEvents");

    let mut process_names = HashMap::new();
    let mut thread_names = HashMap::new();
    for event in events.iter().filter(|e| e["ph"] == "M") {
        let pid = event["pid"].as_u64().unwrap();
        let tid = event["tid"].as_u64().unwrap();
        let name = event["args"]["name"].as_str().unwrap().to_owned();
        match event["name"].as_str() {
            Some("process_name") => process_names.insert(pid, name),
            Some("thread_name") => thread_names.insert((pid, tid), name),
            other => panic!("unexpected metadata {other:?}"),
        };
    }
    assert!(process_names[&1].starts_with("deli (pid "));
    let names: BTreeSet<_> = thread_names.values().cloned().collect();
    assert!(names.iter().any(|n| n.starts_with("worker ")), "{names:?}");
    assert!(
        names.iter().any(|n| n.starts_with("pool thread ")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("blocking ")),
        "{names:?}"
    );

    let mut last_ts: HashMap<(u64, u64), f64> = HashMap::new();
    let mut instants: BTreeMap<String, usize> = BTreeMap::new();
    let mut slices_by_cat: BTreeMap<String, usize> = BTreeMap::new();
    let mut named_slice = false;
    for event in events.iter().filter(|e| e["ph"] != "M") {
        let place = (
            event["pid"].as_u64().unwrap(),
            event["tid"].as_u64().unwrap(),
        );
        assert!(thread_names.contains_key(&place), "unnamed lane {place:?}");
        assert!(process_names.contains_key(&place.0));
        let ts = event["ts"].as_f64().expect("ts");
        assert!(ts >= 0.0);
        let previous = last_ts.insert(place, ts).unwrap_or(0.0);
        assert!(
            ts >= previous,
            "ts went back on {place:?}: {previous} then {ts}"
        );
        let cat = event["cat"].as_str().unwrap().to_owned();
        assert!(
            ["async", "pool", "blocking", "process", "monitor"].contains(&cat.as_str()),
            "{cat}"
        );
        let task = event["args"]["task"].as_u64().expect("args.task");
        assert!(task > 0);
        match event["ph"].as_str().unwrap() {
            "X" => {
                let dur = event["dur"].as_f64().expect("dur");
                assert!(dur >= 0.0);
                assert_eq!(event["args"]["state"], "Running");
                if event["name"] == "the \"named\" one" {
                    named_slice = true;
                } else {
                    assert_eq!(event["name"], format!("task {task}"));
                }
                *slices_by_cat.entry(cat).or_default() += 1;
            }
            "i" => {
                assert_eq!(event["s"], "t");
                let name = event["name"].as_str().unwrap();
                if cat == "monitor" {
                    assert_eq!(name, "Blocked");
                    continue;
                }
                assert!(STATES.contains(&name), "{name}");
                assert_eq!(event["args"]["state"], name);
                *instants.entry(name.to_owned()).or_default() += 1;
            }
            other => panic!("unexpected phase {other}"),
        }
    }
    assert!(named_slice, "the named task's runs carry its name");
    for state in STATES {
        assert!(
            instants.get(state).copied().unwrap_or(0) > 0,
            "no {state} event"
        );
    }
    for cat in ["async", "pool", "blocking"] {
        assert!(
            slices_by_cat.get(cat).copied().unwrap_or(0) > 0,
            "no {cat} slice"
        );
    }
    // One slice per Running event.
    assert_eq!(
        slices_by_cat.values().sum::<usize>(),
        instants["Running"],
        "{slices_by_cat:?} {instants:?}"
    );
}

#[test]
fn a_current_thread_runtime_traces_on_its_worker_0() {
    let _turn = one_at_a_time();
    let (trace, id) = within(BOUND, || {
        let runtime = deli::Runtime::builder().current_thread().build().unwrap();
        deli::trace::start();
        let id = runtime.block_on(async {
            let gate = Arc::new(Gate::default());
            let waiter = {
                let gate = gate.clone();
                deli::spawn(async move { gate.wait().await })
            };
            let id = waiter.id();
            deli::yield_now().await;
            gate.open();
            waiter.await.unwrap();
            id
        });
        (deli::trace::stop(), id)
    });
    let states = states_of(&trace, id);
    assert_eq!(
        states,
        [
            State::New,
            State::Ready,
            State::Running,
            State::Waiting,
            State::Ready,
            State::Running,
            State::Terminated
        ]
    );
    for event in trace.events().iter().filter(|e| e.task == id) {
        if matches!(event.state, State::Running | State::Terminated) {
            assert!(
                matches!(event.lane, Lane::Worker { index: 0, .. }),
                "{event:?}"
            );
        }
    }
}

/// A task spawned and a task woken late in a long poll are stamped within
/// that poll, and never after the child starts running.
#[test]
fn events_a_poll_causes_fall_within_it() {
    let _turn = one_at_a_time();
    deli::trace::start();
    let (parent, child) = within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        runtime.block_on(async {
            let parent = deli::spawn(async {
                deli::yield_now().await;
                let busy = Instant::now();
                while busy.elapsed() < Duration::from_millis(3) {
                    std::hint::spin_loop();
                }
                let child = deli::spawn(async {});
                let id = child.id();
                child.await.unwrap();
                id
            });
            let id = parent.id();
            (id, parent.await.unwrap())
        })
    });
    let trace = deli::trace::stop();
    let of = |task: TaskId| -> Vec<&deli::trace::Event> {
        trace.events().iter().filter(|e| e.task == task).collect()
    };
    let child_events = of(child);
    let child_new = child_events[0];
    assert_eq!(child_new.state, State::New, "{child_events:?}");
    // The parent's poll that made the child: its last Running before the
    // child's New, up to its next event.
    let parent_events = of(parent);
    let poll = parent_events
        .iter()
        .rposition(|e| e.state == State::Running && e.at <= child_new.at)
        .expect("the poll that spawned the child");
    let poll_end = parent_events[poll + 1..]
        .first()
        .map_or(trace.duration(), |e| e.at);
    assert!(
        child_new.at <= poll_end,
        "{parent_events:?} {child_events:?}"
    );
    assert!(poll_end - parent_events[poll].at >= Duration::from_millis(3));
    let running = child_events
        .iter()
        .find(|e| e.state == State::Running)
        .expect("the child ran");
    assert!(child_new.at <= running.at, "{child_events:?}");
}

/// Tasks spawned straight from `block_on` (not a task: its thread is no
/// worker) are stamped within the `block_on` poll that made them, on the
/// blocking thread's lane, and before they run.
#[test]
fn spawns_from_block_on_fall_within_its_poll() {
    let _turn = one_at_a_time();
    deli::trace::start();
    let started = Instant::now();
    let (ids, spawned) = within(BOUND, move || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        runtime.block_on(async {
            let busy = Instant::now();
            while busy.elapsed() < Duration::from_millis(3) {
                std::hint::spin_loop();
            }
            let tickets: Vec<_> = (0..3).map(|_| deli::spawn(async {})).collect();
            let ids: Vec<TaskId> = tickets.iter().map(deli::Ticket::id).collect();
            let spawned = started.elapsed();
            for ticket in tickets {
                ticket.await.unwrap();
            }
            (ids, spawned)
        })
    });
    let trace = deli::trace::stop();
    for id in ids {
        let events: Vec<_> = trace.events().iter().filter(|e| e.task == id).collect();
        assert_eq!(events[0].state, State::New, "{events:?}");
        assert!(matches!(events[0].lane, Lane::Thread { .. }), "{events:?}");
        // Early at worst (by the 3 ms spin), never late.
        assert!(
            events[0].at <= spawned + Duration::from_millis(1),
            "{events:?} {spawned:?}"
        );
        let running = events
            .iter()
            .find(|e| e.state == State::Running)
            .expect("it ran");
        assert!(events[0].at <= running.at, "{events:?}");
    }
}

#[test]
fn nothing_is_recorded_while_off() {
    let _turn = one_at_a_time();
    assert!(!deli::trace::is_enabled());
    assert!(deli::trace::stop().events().is_empty());
    within(BOUND, || {
        deli::run(async { deli::spawn(async {}).await.unwrap() });
    });
    deli::trace::start();
    let trace = deli::trace::stop();
    assert!(trace.events().is_empty(), "{:?}", trace.events());
    assert!(trace.lanes().is_empty());
}

#[test]
fn past_its_capacity_the_trace_drops_and_counts() {
    let _turn = one_at_a_time();
    let trace = within(BOUND, || {
        deli::trace::start_with_capacity(1);
        let runtime = deli::Runtime::builder().current_thread().build().unwrap();
        runtime.block_on(async {
            for _ in 0..5_000 {
                deli::yield_now().await;
                deli::spawn(async {}).await.unwrap();
            }
        });
        deli::trace::stop()
    });
    // One chunk of 4096 events, on whichever thread asked first.
    assert!(trace.events().len() <= 4096, "{}", trace.events().len());
    assert!(trace.dropped_events() > 0);
    assert_eq!(
        trace.events().len() as u64 + trace.dropped_events(),
        // Each spawned task: New, Ready, Running, Terminated.
        5_000 * 4,
    );
}

#[test]
fn a_blocked_worker_shows_up_in_the_trace() {
    let _turn = one_at_a_time();
    let (trace, id) = within(BOUND, || {
        let reports = Arc::new(Mutex::new(Vec::new()));
        let sink = reports.clone();
        let runtime = deli::Runtime::builder()
            .workers(2)
            .monitor(Some(Duration::from_millis(20)))
            .on_blocked(move |report: &deli::BlockedTask| {
                sink.lock().unwrap().push(report.is_over());
            })
            .build()
            .unwrap();
        deli::trace::start();
        let ticket = deli::TaskBuilder::new().name("sleepy").spawn_on(
            async { std::thread::sleep(Duration::from_millis(300)) },
            runtime.handle(),
        );
        let id = ticket.id();
        ticket.wait_blocking().unwrap();
        // The monitor records the end of the episode before its callback.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !reports.lock().unwrap().contains(&true) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        (deli::trace::stop(), id)
    });
    let reports: Vec<_> = trace.blocked().iter().filter(|r| r.task == id).collect();
    assert!(reports.iter().any(|r| r.is_over), "{:?}", trace.blocked());
    for report in &reports {
        assert_eq!(report.name.as_deref(), Some("sleepy"));
        assert!(matches!(report.lane, Lane::Worker { .. }));
        assert!(report.duration >= Duration::from_millis(20));
    }
    let json: Value = serde_json::from_str(&trace.to_chrome_json()).unwrap();
    let blocked: Vec<_> = json["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "Blocked")
        .collect();
    assert!(!blocked.is_empty());
    for event in blocked {
        assert_eq!(event["ph"], "i");
        assert_eq!(event["cat"], "monitor");
        assert_eq!(event["args"]["task"], id.as_u64());
        assert_eq!(event["args"]["task_name"], "sleepy");
        assert!(event["args"]["blocked_us"].as_f64().unwrap() >= 20_000.0);
    }
}

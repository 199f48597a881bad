//! The monitor reports a blocking episode as `tracing` events (target
//! `deli::monitor`) naming the task, when it notices and when it ends. A
//! binary of its own: the capturing subscriber is process-wide.

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{eventually, within, BOUND};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Keeps every `deli::monitor` event as one line of `name=value` fields.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "deli::monitor"
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn an_episode_is_reported_as_tracing_events() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    within(BOUND, move || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let mut ticket = deli::TaskBuilder::new().name("traced-hog").spawn_on(
            async { std::thread::sleep(Duration::from_millis(300)) },
            runtime.handle(),
        );
        let id = ticket.id().as_u64();
        assert_eq!(
            ticket.wait_blocking_timeout(Duration::from_secs(10)),
            Ok(())
        );
        let mine = || -> Vec<String> {
            let events = capture.0.lock().unwrap();
            let tag = format!("task_id={id} ");
            events
                .iter()
                .filter(|e| e.contains(&tag))
                .cloned()
                .collect()
        };
        eventually(Duration::from_secs(10), "two events for the task", || {
            mine().len() >= 2
        });
        let events = mine();
        assert_eq!(events.len(), 2, "{events:?}");
        for event in &events {
            assert!(event.contains("task_name=\"traced-hog\""), "{event}");
            assert!(event.contains("monitor_tracing.rs"), "{event}");
            assert!(event.contains("blocked_ms="), "{event}");
        }
        assert!(events[0].contains("is blocking"), "{}", events[0]);
        assert!(events[1].contains("blocked its worker"), "{}", events[1]);
    });
}

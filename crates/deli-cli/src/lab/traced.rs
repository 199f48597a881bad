//! A deli trace of each run (`deli::trace`): started just after the run's
//! clock starts, stopped when its pools and runtime are torn down, kept as
//! Chrome trace JSON for the report's second panel and for Perfetto.

/// Runs `run` with deli's tracing on; returns its value and the trace as
/// Chrome trace JSON, or `None` when deli recorded nothing (the modes that
/// use no deli executor: `sequential`, `threads`).
pub fn record<T>(run: impl FnOnce() -> T) -> (T, Option<String>) {
    deli::trace::start();
    let value = run();
    let trace = deli::trace::stop();
    let json = (!trace.events().is_empty()).then(|| trace.to_chrome_json());
    (value, json)
}

/// How the report describes where the pictures come from.
pub const SOURCE: &str =
    "the jobs' own timestamps (top panel) and, for deli's executors, deli::trace (bottom panel)";

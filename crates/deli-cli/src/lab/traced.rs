//! Where the lab would take a deli trace of each run: `deli::trace` has not
//! landed yet, so runs are drawn from the lab's own per-job timestamps only.

/// Runs `run`; returns its value and the run's trace as Chrome trace JSON
/// (always `None` until deli can trace).
pub fn record<T>(run: impl FnOnce() -> T) -> (T, Option<String>) {
    (run(), None)
}

/// How the report describes where the pictures come from.
pub const SOURCE: &str = "the lab's own per-job timestamps";

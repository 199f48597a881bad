//! The names clients and workers agree on in Redis, all under one
//! namespace (see the module doc of `cluster` for what each holds).

/// The consumer group every worker of a job stream belongs to.
pub(crate) const GROUP: &str = "workers";

/// Key names under one namespace.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    namespace: String,
}

/// One method per kind of key: `keys.jobs("square")` is
/// `"{namespace}:jobs:square"`.
macro_rules! key_kinds {
    ($($kind:ident),+) => {
        $(
            pub(crate) fn $kind(&self, name: &str) -> String {
                format!("{}:{}:{name}", self.namespace, stringify!($kind))
            }
        )+
    };
}

impl Keys {
    pub(crate) fn new(namespace: &str) -> Keys {
        Keys {
            namespace: namespace.to_owned(),
        }
    }

    key_kinds!(jobs, serves, worker, result, done, cancel, attempts);
}

/// A name unlikely to repeat across machines and restarts: the host, the
/// pid, the time and a per-process random seed.
pub(crate) fn unique_name(prefix: &str) -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("{prefix}{:x}-{:016x}", std::process::id(), hasher.finish())
}

/// This machine's name, for worker ids that say where they run.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "host".to_owned())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn names_are_namespaced_and_unique() {
        let keys = Keys::new("ns");
        assert_eq!(keys.jobs("a::b"), "ns:jobs:a::b");
        assert_eq!(keys.result("j1"), "ns:result:j1");
        assert_ne!(unique_name("c"), unique_name("c"));
    }
}

//! The jobs linked into the `deli` command, so that `deli worker` has
//! something to serve without a program of the user's own: small demo
//! jobs that show the cluster working and that its tests and benchmarks
//! submit by name (`deli::jobs::NAME`, from any client, with
//! `ClusterPool::submit_by_name`). Uses deli's public API and `sha2`.

use std::time::Duration;

use sha2::{Digest, Sha256};

/// SHA-256 applied `rounds` times to the seed's bytes; the hex digest.
#[deli::job]
pub fn sha256_chain(seed: String, rounds: u64) -> String {
    chain(seed, rounds)
}

fn chain(seed: String, rounds: u64) -> String {
    let mut digest = seed.into_bytes();
    for _ in 0..rounds {
        digest = Sha256::digest(&digest).to_vec();
    }
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Sends its argument back.
#[deli::job]
pub fn echo(text: String) -> String {
    text
}

/// Sleeps `millis` milliseconds; answers with the pid of the worker
/// process whose child ran it, so a client sees which machine did.
#[deli::job]
pub fn sleep_ms(millis: u64) -> u32 {
    std::thread::sleep(Duration::from_millis(millis));
    // SAFETY: getppid has no preconditions.
    unsafe { libc::getppid() as u32 }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_chain_is_sha256_applied_in_turn() {
        // sha256("") is well known.
        assert_eq!(
            super::chain(String::new(), 1),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(super::chain("x".into(), 0), hex("x"));
    }

    fn hex(text: &str) -> String {
        text.bytes().map(|byte| format!("{byte:02x}")).collect()
    }
}

//! The jobs a program registered with `#[deli::job]`, and the typed
//! handle ([`Job`]) the parent submits by.
//!
//! Registration is a link-time list (`linkme`): every job in the final
//! executable is in [`JOBS`] under the stable name
//! `module_path!()::function`, so a re-executed child finds the same
//! function by name. Calls only serde/postcard.

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// One registered job: its stable name and the function that decodes its
/// arguments, runs it and encodes its result (or returns its error text).
#[doc(hidden)]
#[derive(Debug)]
pub struct JobEntry {
    /// `module_path!()::function`.
    pub name: &'static str,
    /// Decode, run, encode.
    pub run: fn(&[u8]) -> Result<Vec<u8>, String>,
}

/// Every job in this executable.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static JOBS: [JobEntry];

/// Finds a registered job by name.
pub(crate) fn find(name: &str) -> Option<&'static JobEntry> {
    JOBS.iter().find(|entry| entry.name == name)
}

/// The run function behind every `#[deli::job]`: decodes the arguments,
/// calls `job`, encodes its value.
#[doc(hidden)]
pub fn run_job<A, R>(
    arguments: &[u8],
    job: impl FnOnce(A) -> Result<R, String>,
) -> Result<Vec<u8>, String>
where
    A: DeserializeOwned,
    R: Serialize,
{
    let arguments: A = postcard::from_bytes(arguments)
        .map_err(|error| format!("the job's arguments could not be decoded: {error}"))?;
    let value = job(arguments)?;
    postcard::to_stdvec(&value)
        .map_err(|error| format!("the job's value could not be encoded: {error}"))
}

/// A handle on a job registered with `#[deli::job]`: what
/// [`ProcessPool::submit`](super::ProcessPool::submit) takes. `A` is the
/// job's argument (its single parameter, or a tuple of its parameters) and
/// `R` its value. The attribute defines the handle as a constant named like
/// the function.
///
/// # Examples
///
/// ```
/// #[deli::job]
/// fn add(a: u64, b: u64) -> u64 {
///     a + b
/// }
///
/// let job: deli::process::Job<(u64, u64), u64> = add;
/// assert!(job.name().ends_with("::add"));
/// ```
pub struct Job<A, R> {
    name: &'static str,
    types: PhantomData<fn(A) -> R>,
}

impl<A, R> Job<A, R> {
    /// Made by `#[deli::job]`; `name` must be the registered name.
    #[doc(hidden)]
    pub const fn __new(name: &'static str) -> Job<A, R> {
        Job {
            name,
            types: PhantomData,
        }
    }

    /// The job's stable name, `module::path::function`.
    ///
    /// # Examples
    ///
    /// ```
    /// #[deli::job]
    /// fn ping() {}
    ///
    /// assert!(ping.name().ends_with("::ping"));
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<A, R> Clone for Job<A, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, R> Copy for Job<A, R> {}

impl<A, R> fmt::Debug for Job<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Job").field(&self.name).finish()
    }
}

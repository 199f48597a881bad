//! [`Barrier`]: `n` parties wait until all of them have arrived, then all
//! go on together, one of them marked the leader; it then resets for the
//! next round.
//!
//! A thin layer over `async_lock::Barrier`, adding the blocking form through
//! `crate::block_on` and deli's documentation. Uses `async-lock`.

use std::fmt;

/// A meeting point for a fixed number of tasks or threads (or a mix).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use deli::sync::Barrier;
///
/// let barrier = Arc::new(Barrier::new(3));
/// let threads: Vec<_> = (0..2)
///     .map(|_| {
///         let barrier = Arc::clone(&barrier);
///         std::thread::spawn(move || barrier.wait_blocking().is_leader())
///     })
///     .collect();
/// let here = deli::run(async { barrier.wait().await.is_leader() });
/// let leaders = threads.into_iter().map(|t| t.join().unwrap()).filter(|l| *l).count()
///     + usize::from(here);
/// assert_eq!(leaders, 1);
/// ```
pub struct Barrier {
    inner: async_lock::Barrier,
}

/// What [`Barrier::wait`] returns: whether this party was chosen leader
/// (exactly one per round).
///
/// # Examples
///
/// ```
/// let barrier = deli::sync::Barrier::new(1);
/// let result: deli::sync::BarrierWaitResult = barrier.wait_blocking();
/// assert!(result.is_leader());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this party is the round's leader.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(deli::sync::Barrier::new(1).wait_blocking().is_leader());
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

impl Barrier {
    crate::loom::const_unless_loom! {
        /// A barrier for `parties` parties (0 is taken as 1).
        ///
        /// # Examples
        ///
        /// ```
        /// let barrier = deli::sync::Barrier::new(2);
        /// # drop(barrier);
        /// ```
        pub fn new(parties: usize) -> Barrier {
            Barrier {
                inner: async_lock::Barrier::new(parties),
            }
        }
    }

    /// Waits until every party of this round has arrived.
    ///
    /// Not cancel-safe: the first poll counts this party as arrived, and
    /// dropping the future does not take that back — the round can then
    /// release with one party fewer actually waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// deli::run(async {
    ///     let barrier = Arc::new(deli::sync::Barrier::new(2));
    ///     let other = Arc::clone(&barrier);
    ///     let ticket = deli::spawn(async move { other.wait().await.is_leader() });
    ///     let here = barrier.wait().await.is_leader();
    ///     assert!(here ^ ticket.await.unwrap()); // exactly one leader
    /// });
    /// ```
    pub async fn wait(&self) -> BarrierWaitResult {
        let result = self.inner.wait().await;
        BarrierWaitResult {
            leader: result.is_leader(),
        }
    }

    /// Blocks this thread until every party of this round has arrived.
    ///
    /// For plain threads; in an async task await [`wait`](Barrier::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = deli::sync::Barrier::new(1);
    /// assert!(barrier.wait_blocking().is_leader());
    /// ```
    pub fn wait_blocking(&self) -> BarrierWaitResult {
        crate::block_on::block_on(self.wait())
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").finish_non_exhaustive()
    }
}

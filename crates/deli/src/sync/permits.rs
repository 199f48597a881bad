//! [`Permits`]: the fair counting core behind [`Semaphore`](super::Semaphore),
//! [`Mutex`](super::Mutex) and [`RwLock`](super::RwLock) — a pool of
//! permits taken and returned in any number at a time, with waiters served
//! strictly in arrival order and permits handed straight to them.
//!
//! **Why it is shaped this way.** The `sync` suite of `deli-bench`
//! (`cargo run --release -p deli-bench -- sync`, cases `semaphore-mt` and
//! `mutex-mt`) measured the earlier design — one `std` mutex over the count
//! and the waiters, taken by every acquire and every release — at 1.5–1.7×
//! tokio's time: both workers fought over that mutex's cache line on every
//! operation. Now the free permits live in one atomic word, so an
//! acquisition that finds enough permits, and a release while nobody
//! waits, is a single compare-and-swap; the waiter list and its mutex are
//! only touched under contention.
//!
//! **The word** is `permits << 2 | WAITERS | CLOSED`. `WAITERS` is set
//! exactly while the waiter list is non-empty, and only with the list's
//! mutex held; while it is set, released permits go to the waiters (under
//! the mutex), never to the word, so the word's count is then zero and no
//! newcomer can overtake a waiter. A waiter at the front that needs more
//! than is free collects permits as they come (`assigned`), and gives them
//! back if it leaves the line. The word's CAS loops are what order an
//! acquisition that is about to wait against a release that is about to
//! skip the mutex: whichever CAS lands second sees the other's bits.
//!
//! **Tickets.** Each waiter gets a ticket as it joins the line, and
//! waiters are served strictly in ticket order, so one atomic `served`
//! (the last ticket served) tells a woken waiter, without the lock, that its
//! permits are there: of the three lock acquisitions a contended hand-off
//! took (join, release, collect), the third is gone.
//!
//! The waiter list is [`WaitList`] (a slab, safe code) under a
//! `parking_lot` mutex: under two-core contention `std`'s mutex spent a
//! fifth of the `semaphore-mt` case spinning in `lock_contended`, and the
//! case ran 1.63–1.68× tokio's time against 1.18–1.21× with `parking_lot`
//! (same code otherwise). Under `--cfg loom` the mutex is loom's, so the
//! `loom_permits_*` models run this exact code. Wakers are collected under
//! the mutex and woken after it is released (`crate::wake_batch`). Uses
//! `super::wait_list`, `parking_lot`, `crate::coop` (the acquire future
//! spends budget), `crate::wake_batch` and `crate::loom`.

use std::task::{Context, Poll, Waker};

use super::wait_list::{Key, WaitList};
use crate::loom::sync::atomic::AtomicU64;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
use crate::loom::sync::{Mutex, MutexGuard};
#[cfg(loom)]
use crate::poison::IgnorePoison;
use crate::wake_batch::WakeBatch;
#[cfg(not(loom))]
use parking_lot::{Mutex, MutexGuard};

const CLOSED: usize = 1;
const WAITERS: usize = 2;
const SHIFT: u32 = 2;

/// The most permits a pool can hold; more are dropped (saturating).
pub(crate) const MAX_PERMITS: usize = usize::MAX >> SHIFT;

fn permits_in(word: usize) -> usize {
    word >> SHIFT
}

/// The pool was closed: no permit was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

/// Why a `try_acquire` took nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryAcquire {
    NoPermits,
    Closed,
}

/// A pool of permits with a FIFO line of waiters.
pub(crate) struct Permits {
    word: AtomicUsize,
    /// The ticket of the last waiter served. Waiters are served strictly in
    /// ticket order, so a waiter whose ticket is at most this has its
    /// permits: it learns so with one load, without the lock.
    served: AtomicU64,
    line: Mutex<Line>,
}

/// The waiters, under the lock.
#[derive(Debug)]
struct Line {
    waiters: WaitList<Waiter>,
    /// The ticket the next waiter gets (tickets start at 1).
    next_ticket: u64,
}

#[derive(Debug)]
struct Waiter {
    ticket: u64,
    wanted: usize,
    /// Permits handed over so far (only ever the front waiter has some
    /// without being served).
    assigned: usize,
    status: Status,
    waker: Option<Waker>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Waiting,
    /// The pool closed while it waited; it holds nothing. (A served waiter
    /// leaves the list at once: `served` tells its future.)
    Closed,
}

impl Permits {
    crate::loom::const_unless_loom! {
        pub(crate) fn new(permits: usize) -> Permits {
            Permits {
                word: AtomicUsize::new(clamp(permits) << SHIFT),
                served: AtomicU64::new(0),
                line: Mutex::new(Line {
                    waiters: WaitList::new(),
                    next_ticket: 1,
                }),
            }
        }
    }

    /// Free permits right now (those already promised to the front waiter
    /// do not count).
    pub(crate) fn available(&self) -> usize {
        permits_in(self.word.load(Ordering::Acquire))
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.word.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Takes `n` permits if they are free and nobody waits ahead.
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquire> {
        let mut word = self.word.load(Ordering::Acquire);
        loop {
            if word & CLOSED != 0 {
                return Err(TryAcquire::Closed);
            }
            if n == 0 {
                return Ok(());
            }
            // With waiters in line the count is zero, so this also keeps
            // a newcomer from overtaking them.
            if permits_in(word) < n {
                return Err(TryAcquire::NoPermits);
            }
            match self.word.compare_exchange_weak(
                word,
                word - (n << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => word = actual,
            }
        }
    }

    /// Returns `n` permits: to the waiters in line first, the rest to the
    /// pool. Without waiters this is one atomic operation.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut word = self.word.load(Ordering::Acquire);
        while word & WAITERS == 0 {
            match self.word.compare_exchange_weak(
                word,
                add_permits(word, n),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => word = actual,
            }
        }
        let line = self.lock();
        self.release_locked(n, line);
    }

    /// Closes the pool: waiters and later acquisitions fail; what waiters
    /// had been assigned returns to the pool, for the holders' accounting.
    /// Returns whether this call closed it.
    pub(crate) fn close(&self) -> bool {
        let mut wakers = Vec::new();
        let mut line = self.lock();
        let previous = self.word.fetch_or(CLOSED, Ordering::AcqRel);
        let mut returned = 0;
        // All in one hold of the lock (closing is rare, so the wakers go in
        // a `Vec`): with the lock let go half-way, a release could serve a
        // waiter behind ones already failed, and `served` would pass their
        // tickets.
        while let Some(key) = line.waiters.front() {
            if let Some(waiter) = line.waiters.get_mut(key) {
                returned += std::mem::take(&mut waiter.assigned);
                waiter.status = Status::Closed;
                wakers.extend(waiter.waker.take());
            }
            line.waiters.unlink(key);
        }
        // The line is empty: clear WAITERS and hand back what was assigned.
        self.release_locked(returned, line);
        for waker in wakers {
            waker.wake();
        }
        previous & CLOSED == 0
    }

    /// Whether the pool is closed and every one of its `total` permits is
    /// back: read from one word, so no acquisition can slip in between.
    pub(crate) fn is_closed_and_idle(&self, total: usize) -> bool {
        let word = self.word.load(Ordering::Acquire);
        word & CLOSED != 0 && permits_in(word) == total
    }

    fn lock(&self) -> MutexGuard<'_, Line> {
        #[cfg(loom)]
        return self.line.lock().ignore_poison();
        #[cfg(not(loom))]
        self.line.lock()
    }

    fn is_served(&self, ticket: u64) -> bool {
        // Acquire pairs with the Release store in `release_locked`: what
        // the releasing holder wrote before giving the permits up is
        // visible to the waiter that gets them.
        self.served.load(Ordering::Acquire) >= ticket
    }

    /// Hands `n` permits to the waiters from the front while they last,
    /// then whatever is left to the word (clearing `WAITERS` once the line
    /// is empty); wakes the served waiters after releasing the lock.
    fn release_locked<'a>(&'a self, mut n: usize, mut line: MutexGuard<'a, Line>) {
        let mut batch = WakeBatch::new();
        while let Some(key) = line.waiters.front() {
            if n == 0 {
                // Waiters remain and nothing is left to give: the word
                // already holds zero permits and WAITERS.
                drop(line);
                batch.wake_all();
                return;
            }
            if batch.is_full() {
                drop(line);
                batch.wake_all();
                line = self.lock();
                continue;
            }
            let Some(waiter) = line.waiters.get_mut(key) else {
                break;
            };
            let missing = waiter.wanted - waiter.assigned;
            if n < missing {
                waiter.assigned += n;
                n = 0;
                continue;
            }
            n -= missing;
            let ticket = waiter.ticket;
            if let Some(waker) = waiter.waker.take() {
                batch.push(waker);
            }
            line.waiters.remove(key);
            self.served.store(ticket, Ordering::Release);
        }
        // The line is empty. Only holders of this lock change the word
        // while WAITERS is set, so a plain update is race-free here; the
        // CAS loop is for fast-path traffic when WAITERS was already clear.
        let mut word = self.word.load(Ordering::Acquire);
        loop {
            let next = add_permits(word & !WAITERS, n);
            match self
                .word
                .compare_exchange_weak(word, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(actual) => word = actual,
            }
        }
        drop(line);
        batch.wake_all();
    }
}

const fn clamp(permits: usize) -> usize {
    if permits > MAX_PERMITS {
        MAX_PERMITS
    } else {
        permits
    }
}

fn add_permits(word: usize, n: usize) -> usize {
    let permits = permits_in(word).saturating_add(n).min(MAX_PERMITS);
    (permits << SHIFT) | (word & (WAITERS | CLOSED))
}

impl std::fmt::Debug for Permits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let word = self.word.load(Ordering::Acquire);
        f.debug_struct("Permits")
            .field("available", &permits_in(word))
            .field("waiters", &(word & WAITERS != 0))
            .field("closed", &(word & CLOSED != 0))
            .finish()
    }
}

/// One acquisition's place in line: the state of an acquire future.
#[derive(Debug)]
pub(crate) struct Waiting {
    wanted: usize,
    /// Once in line: the waiter's node and ticket.
    place: Option<(Key, u64)>,
}

impl Waiting {
    pub(crate) fn new(wanted: usize) -> Waiting {
        Waiting {
            wanted,
            place: None,
        }
    }

    /// How many permits this acquisition is for.
    pub(crate) fn wanted(&self) -> usize {
        self.wanted
    }

    /// Takes the permits at once if free, else joins (or stays in) the line.
    pub(crate) fn poll_acquire(
        &mut self,
        permits: &Permits,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Closed>> {
        match self.place {
            None => self.first_poll(permits, cx),
            Some((key, ticket)) => self.poll_in_line(key, ticket, permits, cx),
        }
    }

    fn first_poll(&mut self, permits: &Permits, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        match permits.try_acquire(self.wanted) {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(TryAcquire::Closed) => return Poll::Ready(Err(Closed)),
            Err(TryAcquire::NoPermits) => {}
        }
        let mut line = permits.lock();
        // Under the lock, WAITERS can only be set by us; take what is free
        // and announce ourselves in one CAS, so a release racing us either
        // lands before it (we see its permits) or after (it sees WAITERS
        // and comes to the lock, where we will be in line).
        let mut word = permits.word.load(Ordering::Acquire);
        let taken = loop {
            if word & CLOSED != 0 {
                return Poll::Ready(Err(Closed));
            }
            let free = permits_in(word);
            let (next, taken) = if word & WAITERS == 0 && free >= self.wanted {
                (word - (self.wanted << SHIFT), self.wanted)
            } else {
                ((word & CLOSED) | WAITERS, free)
            };
            match permits
                .word
                .compare_exchange(word, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break taken,
                Err(actual) => word = actual,
            }
        };
        if taken == self.wanted {
            return Poll::Ready(Ok(()));
        }
        let ticket = line.next_ticket;
        line.next_ticket += 1;
        let key = line.waiters.push_back(Waiter {
            ticket,
            wanted: self.wanted,
            assigned: taken,
            status: Status::Waiting,
            waker: Some(cx.waker().clone()),
        });
        self.place = Some((key, ticket));
        Poll::Pending
    }

    fn poll_in_line(
        &mut self,
        key: Key,
        ticket: u64,
        permits: &Permits,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Closed>> {
        // The common case after a wake-up: served, and no lock to take.
        if permits.is_served(ticket) {
            self.place = None;
            return Poll::Ready(Ok(()));
        }
        let mut line = permits.lock();
        // Served since the look above: the node is gone (and its key may
        // already belong to another waiter), so check before touching it.
        if permits.is_served(ticket) {
            self.place = None;
            return Poll::Ready(Ok(()));
        }
        let Some(waiter) = line.waiters.get_mut(key) else {
            // An unserved node is only removed by its own future.
            debug_assert!(false, "a waiter's node vanished");
            self.place = None;
            return Poll::Ready(Err(Closed));
        };
        if waiter.status == Status::Closed {
            let removed = line.waiters.remove(key);
            self.place = None;
            drop(line);
            drop(removed);
            return Poll::Ready(Err(Closed));
        }
        let replaced = match &waiter.waker {
            Some(waker) if waker.will_wake(cx.waker()) => None,
            _ => waiter.waker.replace(cx.waker().clone()),
        };
        drop(line);
        // A waker's drop may run anything, even a release of this pool:
        // never under the lock.
        drop(replaced);
        Poll::Pending
    }

    /// Leaves the line (the future was dropped): permits handed over so far
    /// — all of them, if it was served — go on to the next waiters.
    pub(crate) fn cancel(&mut self, permits: &Permits) {
        let Some((key, ticket)) = self.place.take() else {
            return;
        };
        let mut line = permits.lock();
        let mut removed = None;
        let returned = if permits.is_served(ticket) {
            self.wanted
        } else {
            removed = line.waiters.remove(key);
            match &removed {
                Some(waiter) if waiter.status == Status::Waiting => waiter.assigned,
                _ => 0,
            }
        };
        // Also when nothing returns: if this was the last waiter, WAITERS
        // must be cleared.
        permits.release_locked(returned, line);
        // Its waker, if any, is dropped with the lock released.
        drop(removed);
    }
}

/// Waits for `n` permits of a pool: the acquire future behind the locks.
/// Cancel-safe: dropped unfinished, it takes nothing and passes on what it
/// was handed. Spends one unit of the task's cooperative budget when ready.
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    permits: &'a Permits,
    waiting: Waiting,
}

impl Permits {
    pub(crate) fn acquire(&self, n: usize) -> Acquire<'_> {
        Acquire {
            permits: self,
            waiting: Waiting::new(n),
        }
    }

    /// [`acquire`](Permits::acquire) for a pool its owner never closes (a
    /// lock's).
    pub(crate) async fn acquire_unclosable(&self, n: usize) {
        if self.acquire(n).await.is_err() {
            // Without the permits there must be no guard, so a closed
            // pool cannot be papered over.
            unreachable!("a lock's permit pool is never closed");
        }
    }
}

impl std::future::Future for Acquire<'_> {
    type Output = Result<(), Closed>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let permits = this.permits;
        crate::coop::budgeted(cx, |cx| this.waiting.poll_acquire(permits, cx))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.waiting.cancel(self.permits);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::noop_cx;

    #[test]
    fn fast_paths_move_only_the_word() {
        let permits = Permits::new(3);
        assert_eq!(permits.try_acquire(2), Ok(()));
        assert_eq!(permits.available(), 1);
        assert_eq!(permits.try_acquire(2), Err(TryAcquire::NoPermits));
        permits.release(2);
        assert_eq!(permits.available(), 3);
        assert_eq!(permits.try_acquire(0), Ok(()));
    }

    #[test]
    fn a_waiter_collects_partial_permits_and_returns_them_on_cancel() {
        let permits = Permits::new(1);
        let mut big = Waiting::new(3);
        assert!(big.poll_acquire(&permits, &mut noop_cx()).is_pending());
        // Its one free permit went to it; the word shows none and a waiter.
        assert_eq!(permits.available(), 0);
        permits.release(1);
        assert_eq!(permits.try_acquire(1), Err(TryAcquire::NoPermits));
        big.cancel(&permits);
        assert_eq!(permits.available(), 2, "both assigned permits came back");
        assert_eq!(permits.try_acquire(2), Ok(()));
    }

    #[test]
    fn release_serves_the_line_in_order_then_fills_the_pool() {
        let permits = Permits::new(0);
        let mut first = Waiting::new(2);
        let mut second = Waiting::new(1);
        assert!(first.poll_acquire(&permits, &mut noop_cx()).is_pending());
        assert!(second.poll_acquire(&permits, &mut noop_cx()).is_pending());
        permits.release(1);
        assert!(first.poll_acquire(&permits, &mut noop_cx()).is_pending());
        assert!(
            second.poll_acquire(&permits, &mut noop_cx()).is_pending(),
            "the front waiter is not overtaken"
        );
        permits.release(4);
        assert_eq!(
            first.poll_acquire(&permits, &mut noop_cx()),
            Poll::Ready(Ok(()))
        );
        assert_eq!(
            second.poll_acquire(&permits, &mut noop_cx()),
            Poll::Ready(Ok(()))
        );
        assert_eq!(permits.available(), 2);
        assert_eq!(permits.try_acquire(2), Ok(()), "WAITERS was cleared");
    }

    #[test]
    fn close_fails_the_line_and_keeps_the_count() {
        let permits = Permits::new(1);
        let mut waiting = Waiting::new(2);
        assert!(waiting.poll_acquire(&permits, &mut noop_cx()).is_pending());
        permits.close();
        assert_eq!(
            waiting.poll_acquire(&permits, &mut noop_cx()),
            Poll::Ready(Err(Closed))
        );
        assert_eq!(permits.available(), 1);
        assert_eq!(permits.try_acquire(1), Err(TryAcquire::Closed));
        assert_eq!(
            Waiting::new(1).poll_acquire(&permits, &mut noop_cx()),
            Poll::Ready(Err(Closed))
        );
    }

    #[test]
    fn the_count_saturates() {
        let permits = Permits::new(usize::MAX);
        assert_eq!(permits.available(), MAX_PERMITS);
        permits.release(10);
        assert_eq!(permits.available(), MAX_PERMITS);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::future::block_on;
    use loom::sync::Arc;
    use loom::thread;
    use std::future::poll_fn;

    fn acquire(permits: &Permits, n: usize) -> Result<(), Closed> {
        let mut waiting = Waiting::new(n);
        let result = block_on(poll_fn(|cx| waiting.poll_acquire(permits, cx)));
        waiting.cancel(permits);
        result
    }

    #[test]
    fn loom_permits_release_racing_a_new_waiter_is_not_lost() {
        crate::loom::model_bounded(3, || {
            let permits = Arc::new(Permits::new(1));
            let other = Arc::clone(&permits);
            let contender = thread::spawn(move || {
                acquire(&other, 1).unwrap();
                other.release(1);
            });
            acquire(&permits, 1).unwrap();
            permits.release(1);
            contender.join().unwrap();
            assert_eq!(permits.available(), 1);
            assert_eq!(permits.try_acquire(1), Ok(()), "WAITERS is clear");
        });
    }

    #[test]
    fn loom_permits_many_at_once_collects_from_two_releases() {
        crate::loom::model_bounded(3, || {
            let permits = Arc::new(Permits::new(0));
            let releasers: Vec<_> = (0..2)
                .map(|_| {
                    let permits = Arc::clone(&permits);
                    thread::spawn(move || permits.release(1))
                })
                .collect();
            acquire(&permits, 2).unwrap();
            for releaser in releasers {
                releaser.join().unwrap();
            }
            assert_eq!(permits.available(), 0);
            permits.release(2);
            assert_eq!(permits.try_acquire(2), Ok(()));
        });
    }

    #[test]
    fn loom_permits_cancel_passes_permits_on() {
        crate::loom::model_bounded(3, || {
            let permits = Arc::new(Permits::new(0));
            let cancelling = {
                let permits = Arc::clone(&permits);
                thread::spawn(move || {
                    let mut waiting = Waiting::new(1);
                    let mut cx = Context::from_waker(Waker::noop());
                    // Pending (then cancelled) or served (then released):
                    // either way the permit must reach the other waiter.
                    if waiting.poll_acquire(&permits, &mut cx).is_ready() {
                        permits.release(1);
                    }
                    waiting.cancel(&permits);
                })
            };
            let waiting = {
                let permits = Arc::clone(&permits);
                thread::spawn(move || {
                    acquire(&permits, 1).unwrap();
                    permits.release(1);
                })
            };
            permits.release(1);
            cancelling.join().unwrap();
            waiting.join().unwrap();
            assert_eq!(permits.available(), 1);
        });
    }

    #[test]
    fn loom_permits_close_wakes_a_waiter() {
        crate::loom::model_bounded(3, || {
            let permits = Arc::new(Permits::new(0));
            let other = Arc::clone(&permits);
            let closer = thread::spawn(move || other.close());
            assert_eq!(acquire(&permits, 1), Err(Closed));
            closer.join().unwrap();
        });
    }
}

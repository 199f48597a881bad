//! The list of entries woken since they were last polled, for collections
//! of tickets ([`as_completed`](crate::as_completed),
//! [`TaskSet`](crate::TaskSet)): each entry is polled with a waker of its
//! own that puts its index on the list, so a wake-up costs one poll of the
//! entry that woke, never a sweep over all of them. A leaf (std and
//! `crate::poison`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};

use crate::poison::IgnorePoison;

/// The woken entries' indices, and the waker of whoever waits for one.
#[derive(Default)]
pub(crate) struct ReadyList {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    indices: VecDeque<usize>,
    awaiting: Option<Waker>,
}

impl ReadyList {
    /// A slot for entry `index`, already on the list: a new entry is
    /// polled once so that it registers its waker.
    pub(crate) fn slot(self: &Arc<Self>, index: usize) -> ReadySlot {
        let wake = Arc::new(EntryWaker {
            index,
            queued: AtomicBool::new(true),
            list: Arc::clone(self),
        });
        self.push(index);
        ReadySlot {
            waker: Waker::from(Arc::clone(&wake)),
            wake,
        }
    }

    /// The next woken index; when there is none, `awaiting` (if given) is
    /// registered to be woken by the next push — under the lock pushes
    /// take, so no wake-up falls in between.
    pub(crate) fn pop(&self, awaiting: Option<&Waker>) -> Option<usize> {
        // A queue of indices is consistent after any panic.
        let mut state = self.state.lock().ignore_poison();
        let index = state.indices.pop_front();
        if let (None, Some(waker)) = (index, awaiting) {
            match &state.awaiting {
                Some(registered) if registered.will_wake(waker) => {}
                _ => state.awaiting = Some(waker.clone()),
            }
        }
        index
    }

    fn push(&self, index: usize) {
        let awaiting = {
            let mut state = self.state.lock().ignore_poison();
            state.indices.push_back(index);
            state.awaiting.take()
        };
        // Woken outside the lock: waking may run arbitrary scheduler code.
        if let Some(awaiting) = awaiting {
            awaiting.wake();
        }
    }
}

/// One entry's place on a [`ReadyList`]: the waker to poll it with. An
/// index left behind by an entry that was removed (and whose index was
/// reused) only causes one harmless extra poll.
pub(crate) struct ReadySlot {
    wake: Arc<EntryWaker>,
    waker: Waker,
}

impl ReadySlot {
    /// The waker to poll the entry with, after taking its index off the
    /// list: from now on a wake puts it back.
    pub(crate) fn rearmed_waker(&self) -> &Waker {
        self.wake.queued.store(false, Ordering::Release);
        &self.waker
    }
}

struct EntryWaker {
    index: usize,
    /// On the list and not polled since: further wakes are no-ops.
    queued: AtomicBool,
    list: Arc<ReadyList>,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.list.push(self.index);
        }
    }
}

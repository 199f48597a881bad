//! `CancelHandle`: a way to cancel a task without holding its ticket, for
//! owners that hand the ticket to the user but must still be able to stop
//! the work (a scope cancelling its children).

use std::fmt;
use std::ptr::NonNull;
use std::task::Waker;

use super::header::{Header, TaskId};
use super::Runnable;

/// Cancels one task; keeps its cell allocated (not its future alive).
#[derive(Clone)]
pub(crate) struct CancelHandle {
    /// A reference on the task cell: while it exists, `header` is valid.
    _keep_alive: Waker,
    header: NonNull<Header>,
}

// SAFETY: `Header` is `Sync` and only read through `&`; the waker is `Send`
// and `Sync`. The pointer stays valid for the handle's life (see above).
unsafe impl Send for CancelHandle {}
// SAFETY: as above; `cancel` only needs `&Header`.
unsafe impl Sync for CancelHandle {}

impl CancelHandle {
    /// A handle to the task `runnable` runs (take it before scheduling).
    pub(crate) fn new(runnable: &Runnable) -> CancelHandle {
        CancelHandle {
            _keep_alive: runnable.waker(),
            header: NonNull::from(runnable.metadata()),
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the waker in `_keep_alive` holds a reference on the task
        // cell, which holds the header, for as long as `self` exists.
        unsafe { self.header.as_ref() }
    }

    /// Asks the task to stop, as [`Ticket::cancel`](super::Ticket::cancel) does.
    pub(crate) fn cancel(&self) {
        self.header().cancel();
    }

    pub(crate) fn id(&self) -> TaskId {
        self.header().id
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("task", &self.id())
            .finish()
    }
}

//! [`Chan`]: the state one channel's senders and receiver share, and the
//! protocol that keeps every value and every wake-up: values in a
//! lock-free queue, room in a [`Permits`] pool (an unbounded channel's pool
//! is as large as a pool gets, so closing works the same for both), the
//! receiver's waker in an atomic slot, and a count of senders.
//!
//! **Why our own.** The `sync/mpsc-mt` benchmark (`deli-bench -- sync`: 4
//! producers, 1 consumer, a million values through a bounded channel of
//! 1,024) measured the `async-channel` wrapper this replaced at 1.9–2.4×
//! tokio's time: every operation notified an `event-listener` list, and a
//! receiver or sender that had to wait allocated a listener. Here a send
//! takes a permit (one CAS while there is room), pushes (one CAS) and wakes
//! the receiver; a receive pops and returns the permit (one CAS while no
//! sender waits). Waiting senders queue fairly in
//! the permit pool, which hands freed room straight to the first of them.
//!
//! **No value lost.** The receiver registers its waker *before* its final
//! look at the queue and the senders' word; a sender pushes (or the last
//! sender leaves) *before* waking it. Whichever happens second sees the
//! first. The receiver is told the channel ended only once every sender
//! is gone, or it is closed and every permit is back — so a send that got
//! room just before a close, and so succeeds, is received too. Values left
//! when the receiver goes are dropped then.
//!
//! Under `--cfg loom` the queue is a loom mutex over a `VecDeque` and the
//! waker slot a loom mutex over an `Option<Waker>`, stand-ins with the same
//! contracts as `crossbeam-queue`'s `SegQueue` and `atomic-waker`'s
//! `AtomicWaker`, so the `loom_mpsc_*` models check this file's protocol.
//! Uses `super::super::permits`, `crossbeam-queue`, `atomic-waker` and
//! `crate::loom`.

use std::task::{Context, Poll};

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::permits::{Permits, TryAcquire, MAX_PERMITS};

/// What a receive found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received<T> {
    Value(T),
    /// Empty, and no value can come any more.
    Finished,
    Empty,
}

/// Why a send did not go through; the value comes back.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused<T> {
    Full(T),
    Closed(T),
}

/// One channel's shared state.
pub(crate) struct Chan<T> {
    values: Values<T>,
    /// One permit per value the channel may hold (an unbounded channel has
    /// the most a pool can hold). A send takes one before it pushes, a
    /// receive returns one after it pops; closing the channel closes the
    /// pool, which fails waiting and later sends.
    room: Permits,
    /// The permits `room` started with.
    total: usize,
    bounded: bool,
    receiver: ReceiverWaker,
    senders: AtomicUsize,
}

impl<T> Chan<T> {
    /// A channel with one sender, bounded to `capacity` values if given.
    pub(crate) fn new(capacity: Option<usize>) -> Chan<T> {
        let total = capacity.unwrap_or(MAX_PERMITS).clamp(1, MAX_PERMITS);
        Chan {
            values: Values::new(),
            room: Permits::new(total),
            total,
            bounded: capacity.is_some(),
            receiver: ReceiverWaker::new(),
            senders: AtomicUsize::new(1),
        }
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.bounded.then_some(self.total)
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// Closed by a call, or the receiver is gone: sends fail.
    pub(crate) fn is_closed(&self) -> bool {
        self.room.is_closed()
    }

    /// Whether nothing more can be sent: closed, or every sender gone.
    pub(crate) fn is_finished(&self) -> bool {
        self.senders.load(Ordering::Acquire) == 0 || self.is_closed()
    }

    /// Whether the receiver has had everything it will ever get, once the
    /// queue is empty: every sender is gone, or the channel is closed and
    /// no send that got room before the close is still on its way in (its
    /// permit would be out). Without that last part a send could succeed
    /// after the receiver was told the channel had ended.
    fn is_drained(&self) -> bool {
        self.senders.load(Ordering::Acquire) == 0 || self.room.is_closed_and_idle(self.total)
    }

    /// Closes the channel; returns whether this call did.
    pub(crate) fn close(&self) -> bool {
        let closed_now = self.room.close();
        if closed_now {
            self.receiver.wake();
        }
        closed_now
    }

    pub(crate) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// A sender is gone; the last one wakes the receiver, which then finds
    /// the channel finished once it is empty.
    pub(crate) fn drop_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.receiver.wake();
        }
    }

    /// Sends at once if there is room.
    pub(crate) fn try_send(&self, value: T) -> Result<(), Refused<T>> {
        match self.room.try_acquire(1) {
            Ok(()) => {
                self.push(value);
                Ok(())
            }
            Err(TryAcquire::NoPermits) => Err(Refused::Full(value)),
            Err(TryAcquire::Closed) => Err(Refused::Closed(value)),
        }
    }

    /// Puts `value` in, its room being already taken from [`room`](Chan::room).
    pub(crate) fn push(&self, value: T) {
        self.values.push(value);
        self.receiver.wake();
    }

    /// The pool a send takes its permit from before it [`push`](Chan::push)es.
    pub(crate) fn room(&self) -> &Permits {
        &self.room
    }

    /// Takes a value if one is there.
    pub(crate) fn try_recv(&self) -> Received<T> {
        if let Some(value) = self.pop() {
            return Received::Value(value);
        }
        if self.is_drained() {
            // A value pushed just before the last sender left (or before
            // the last permit came back) is in the queue by now.
            return match self.pop() {
                Some(value) => Received::Value(value),
                None => Received::Finished,
            };
        }
        Received::Empty
    }

    /// The receiver's poll: a value, the end, or `Pending` with the waker
    /// registered. Only the one receiver calls it.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.try_recv() {
            Received::Value(value) => return Poll::Ready(Some(value)),
            Received::Finished => return Poll::Ready(None),
            Received::Empty => {}
        }
        self.receiver.register(cx.waker());
        // Look again: a push or a last drop between the first look and the
        // registration woke nobody.
        match self.try_recv() {
            Received::Value(value) => Poll::Ready(Some(value)),
            Received::Finished => Poll::Ready(None),
            Received::Empty => Poll::Pending,
        }
    }

    /// The receiver is gone: close, and drop what is queued now, so values
    /// (and whatever they own, such as reply channels) do not outlive it.
    /// A send that got room before the close may still push one later; it
    /// is dropped with the channel.
    pub(crate) fn close_and_drain(&self) {
        self.close();
        while self.pop().is_some() {}
    }

    fn pop(&self) -> Option<T> {
        let value = self.values.pop()?;
        self.room.release(1);
        Some(value)
    }
}

#[cfg(not(loom))]
mod parts {
    use std::task::Waker;

    /// The values in flight: crossbeam's unbounded MPMC queue (bounded
    /// channels are bounded by their permits, so a push never fails).
    pub(super) struct Values<T>(crossbeam_queue::SegQueue<T>);

    impl<T> Values<T> {
        pub(super) fn new() -> Self {
            Values(crossbeam_queue::SegQueue::new())
        }
        pub(super) fn push(&self, value: T) {
            self.0.push(value);
        }
        pub(super) fn pop(&self) -> Option<T> {
            self.0.pop()
        }
        pub(super) fn len(&self) -> usize {
            self.0.len()
        }
    }

    /// The receiver's waker, set by one receiver, woken by any sender.
    pub(super) struct ReceiverWaker(atomic_waker::AtomicWaker);

    impl ReceiverWaker {
        pub(super) fn new() -> Self {
            ReceiverWaker(atomic_waker::AtomicWaker::new())
        }
        pub(super) fn register(&self, waker: &Waker) {
            self.0.register(waker);
        }
        pub(super) fn wake(&self) {
            self.0.wake();
        }
    }
}

#[cfg(loom)]
mod parts {
    use crate::loom::sync::Mutex;
    use std::collections::VecDeque;
    use std::task::Waker;

    pub(super) struct Values<T>(Mutex<VecDeque<T>>);

    impl<T> Values<T> {
        pub(super) fn new() -> Self {
            Values(Mutex::new(VecDeque::new()))
        }
        pub(super) fn push(&self, value: T) {
            self.0.lock().unwrap().push_back(value);
        }
        pub(super) fn pop(&self) -> Option<T> {
            self.0.lock().unwrap().pop_front()
        }
        pub(super) fn len(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }

    pub(super) struct ReceiverWaker(Mutex<Option<Waker>>);

    impl ReceiverWaker {
        pub(super) fn new() -> Self {
            ReceiverWaker(Mutex::new(None))
        }
        pub(super) fn register(&self, waker: &Waker) {
            *self.0.lock().unwrap() = Some(waker.clone());
        }
        pub(super) fn wake(&self) {
            let waker = self.0.lock().unwrap().take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

use parts::{ReceiverWaker, Values};

impl<T> std::fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chan")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::sync::Arc;
    use loom::future::block_on;
    use loom::thread;
    use std::future::poll_fn;

    async fn send(chan: &Chan<u32>, value: u32) -> Result<(), u32> {
        if chan.room().acquire(1).await.is_err() {
            return Err(value);
        }
        chan.push(value);
        Ok(())
    }

    #[test]
    fn loom_mpsc_a_value_sent_while_the_receiver_parks_is_received() {
        crate::loom::model_bounded(3, || {
            let chan = Arc::new(Chan::<u32>::new(Some(1)));
            let sender = {
                let chan = Arc::clone(&chan);
                thread::spawn(move || {
                    block_on(send(&chan, 7)).unwrap();
                    chan.drop_sender();
                })
            };
            let first = block_on(poll_fn(|cx| chan.poll_recv(cx)));
            assert_eq!(first, Some(7));
            assert_eq!(block_on(poll_fn(|cx| chan.poll_recv(cx))), None);
            sender.join().unwrap();
        });
    }

    #[test]
    fn loom_mpsc_a_full_sender_gets_room_from_the_receiver() {
        crate::loom::model_bounded(3, || {
            let chan = Arc::new(Chan::<u32>::new(Some(1)));
            chan.add_sender();
            let sender = {
                let chan = Arc::clone(&chan);
                thread::spawn(move || {
                    block_on(send(&chan, 1)).unwrap();
                    block_on(send(&chan, 2)).unwrap();
                    chan.drop_sender();
                })
            };
            let mut got = Vec::new();
            chan.drop_sender();
            while let Some(value) = block_on(poll_fn(|cx| chan.poll_recv(cx))) {
                got.push(value);
            }
            assert_eq!(got, [1, 2]);
            sender.join().unwrap();
        });
    }

    #[test]
    fn loom_mpsc_close_fails_a_waiting_sender_and_keeps_what_is_in() {
        crate::loom::model_bounded(3, || {
            let chan = Arc::new(Chan::<u32>::new(Some(1)));
            chan.try_send(1).unwrap();
            let sender = {
                let chan = Arc::clone(&chan);
                thread::spawn(move || block_on(send(&chan, 2)))
            };
            chan.close();
            let refused = sender.join().unwrap();
            // Refused, or (if it got room before the close) received below.
            let mut got = Vec::new();
            while let Received::Value(value) = chan.try_recv() {
                got.push(value);
            }
            match refused {
                Err(2) => assert_eq!(got, [1]),
                Ok(()) => assert_eq!(got, [1, 2]),
                other => panic!("unexpected {other:?}"),
            }
        });
    }
}

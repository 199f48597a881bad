//! [`Signal`]: one listener of one signal — a socket pair whose write end
//! the signal handler pokes and whose read end waits on the reactor.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};

use mio::net::UnixStream;
use signal_hook_registry::SigId;

use super::error::SignalError;
use super::kind::SignalKind;
use crate::io::Async;

/// A stream of the deliveries of one Unix signal, made by
/// [`signal`](super::signal).
///
/// [`recv`](Self::recv) waits for the next delivery; deliveries between
/// two calls are coalesced into one (see the [module docs](super)). It is
/// also a [`futures_core::Stream`] of `()`. Dropping it removes its action
/// from the signal handler (the handler itself stays installed).
///
/// # Examples
///
/// ```
/// use deli::signal::{signal, SignalKind};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let mut first = signal(SignalKind::user_defined1())?;
///     let mut second = signal(SignalKind::user_defined1())?;
///     // SAFETY: `getpid` and `kill` have no memory-safety preconditions.
///     unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
///     // Both listeners see the one delivery.
///     assert_eq!(first.recv().await, Some(()));
///     assert_eq!(second.recv().await, Some(()));
///     Ok(())
/// })
/// # }
/// ```
pub struct Signal {
    kind: SignalKind,
    /// `Some` until `drop`, which unregisters it before the read end closes.
    action: Option<SigId>,
    /// The read end of the pair; the handler's action owns the write end.
    wakeups: Async<UnixStream>,
}

impl Signal {
    pub(super) fn new(kind: SignalKind) -> io::Result<Signal> {
        let signum = kind.as_raw();
        check(signum).map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?;

        let (read_end, write_end) = StdUnixStream::pair()?;
        read_end.set_nonblocking(true)?;
        // The handler must never block: a full socket already holds a
        // wake-up, so a byte that does not fit is not needed.
        write_end.set_nonblocking(true)?;
        // Registering first fails cleanly outside a runtime, before the
        // handler is touched.
        let wakeups = Async::new(UnixStream::from_std(read_end))?;

        let action = move || {
            let byte = 1u8;
            // SAFETY: `send` is async-signal-safe and is given a valid
            // pointer to one byte; `write_end` lives as long as this
            // closure, which the registry drops only once no handler runs
            // it any more. Its result is ignored on purpose: a full buffer
            // already holds a wake-up, and there is nothing a signal
            // handler could do about an error. The registry restores
            // `errno` after the action.
            unsafe {
                libc::send(
                    write_end.as_raw_fd(),
                    (&byte as *const u8).cast(),
                    1,
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                );
            }
        };
        // SAFETY: the action is async-signal-safe: it makes one `send`
        // system call, and neither allocates, locks nor panics. `check`
        // above ruled out the signals for which `register` panics.
        let action = unsafe { signal_hook_registry::register(signum, action) }?;
        Ok(Signal {
            kind,
            action: Some(action),
            wakeups,
        })
    }

    /// The signal this listener hears.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::signal::{signal, SignalKind};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let hangups = signal(SignalKind::hangup())?;
    ///     assert_eq!(hangups.kind(), SignalKind::hangup());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn kind(&self) -> SignalKind {
        self.kind
    }

    /// Waits for the next delivery of the signal. `None` only when the
    /// runtime this listener was made in has shut down.
    ///
    /// Cancel-safe: dropping the future loses no delivery; the next `recv`
    /// sees it.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::signal::{signal, SignalKind};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut alarms = signal(SignalKind::alarm())?;
    ///     // SAFETY: `raise` has no memory-safety preconditions.
    ///     unsafe {
    ///         libc::raise(libc::SIGALRM);
    ///         libc::raise(libc::SIGALRM);
    ///     }
    ///     // Two deliveries before the first poll: seen as one.
    ///     assert_eq!(alarms.recv().await, Some(()));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The `Context` form of [`recv`](Self::recv): `Ready(Some(()))` when
    /// the signal arrived since the last `Ready`, otherwise `Pending` with
    /// the task's waker kept for the next delivery.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// use deli::signal::{signal, SignalKind};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut usr2 = signal(SignalKind::user_defined2())?;
    ///     // SAFETY: `raise` has no memory-safety preconditions.
    ///     unsafe { libc::raise(libc::SIGUSR2) };
    ///     assert_eq!(poll_fn(|cx| usr2.poll_recv(cx)).await, Some(()));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        match self.wakeups.poll_read_with(cx, drain) {
            Poll::Ready(Ok(())) => Poll::Ready(Some(())),
            Poll::Ready(Err(_)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Reads every pending wake-up byte: `Ok` if there was at least one,
/// `WouldBlock` if there was none (so the reactor waits for the next).
fn drain(mut socket: &UnixStream) -> io::Result<()> {
    let mut buf = [0u8; 64];
    let mut woken = false;
    loop {
        match socket.read(&mut buf) {
            Ok(0) => {
                // The write end lives as long as the registered action,
                // which `drop` removes only after the last read.
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "signal wake-up socket closed",
                ));
            }
            Ok(_) => woken = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && woken => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Whether `signum` is a signal a listener may be made for.
fn check(signum: i32) -> Result<(), SignalError> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let (first_realtime, last) = (libc::SIGRTMIN(), libc::SIGRTMAX());
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let (first_realtime, last) = (32, 31);
    if !(1..=last).contains(&signum) {
        return Err(SignalError::OutOfRange(signum));
    }
    if signal_hook_registry::FORBIDDEN.contains(&signum) {
        return Err(SignalError::Forbidden(signum));
    }
    // Linux numbers the standard signals 1..=31; between them and SIGRTMIN
    // lie the ones glibc keeps for its threads (its `sigaction` refuses them).
    if (32..first_realtime).contains(&signum) {
        return Err(SignalError::Reserved(signum));
    }
    Ok(())
}

impl futures_core::Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        if let Some(action) = self.action.take() {
            // Removes the action (and with it the write end, once no handler
            // is running it); the read end closes after, with `self`.
            signal_hook_registry::unregister(action);
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .field("wakeups", &self.wakeups)
            .finish()
    }
}

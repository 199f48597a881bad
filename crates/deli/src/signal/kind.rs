//! [`SignalKind`]: which signal to listen to.

use std::fmt;

/// A Unix signal number, with constructors for the common ones.
///
/// Any number can be made into a `SignalKind` with
/// [`from_raw`](Self::from_raw); whether it can be listened to is checked by
/// [`signal`](super::signal).
///
/// # Examples
///
/// ```
/// use deli::signal::SignalKind;
///
/// assert_eq!(SignalKind::terminate().as_raw(), libc::SIGTERM);
/// assert_eq!(SignalKind::from_raw(libc::SIGHUP), SignalKind::hangup());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// The signal with number `signum`, unchecked.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt_first = deli::signal::SignalKind::from_raw(libc::SIGRTMIN());
    /// assert_eq!(rt_first.as_raw(), libc::SIGRTMIN());
    /// ```
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::interrupt().as_raw(), libc::SIGINT);
    /// ```
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// SIGINT: Ctrl-C at a terminal.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::interrupt().as_raw(), libc::SIGINT);
    /// ```
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGTERM: the polite request to stop (`kill PID`, service managers).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::terminate().as_raw(), libc::SIGTERM);
    /// ```
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGHUP: the terminal went away; daemons take it as "reload".
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::hangup().as_raw(), libc::SIGHUP);
    /// ```
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGQUIT: Ctrl-\ at a terminal.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::quit().as_raw(), libc::SIGQUIT);
    /// ```
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGUSR1: the first signal left to applications.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::user_defined1().as_raw(), libc::SIGUSR1);
    /// ```
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2: the second signal left to applications.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::user_defined2().as_raw(), libc::SIGUSR2);
    /// ```
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGCHLD: a child process stopped or ended.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::child().as_raw(), libc::SIGCHLD);
    /// ```
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGPIPE: a write to a pipe or socket nobody reads any more.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::pipe().as_raw(), libc::SIGPIPE);
    /// ```
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// SIGALRM: a timer set with `alarm` or `setitimer` ran out.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::alarm().as_raw(), libc::SIGALRM);
    /// ```
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// SIGWINCH: the terminal changed size.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::signal::SignalKind::window_change().as_raw(), libc::SIGWINCH);
    /// ```
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignalKind({})", self.0)
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
}

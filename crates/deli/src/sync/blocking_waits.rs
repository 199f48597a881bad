//! The blocking forms of the async waits — `Event::wait`,
//! `Notify::notified`, `Queue::join`, `Mutex::lock`, `RwLock::read` and
//! `write` — written once: each type had the same three methods around
//! each of its waits. Uses `crate::block_on`.

/// In an `impl` block whose type has the async wait `$wait`: the
/// `$blocking` form, the `$blocking_timeout` form and the deprecated `$old`
/// name of the latter. `$what` ends "Blocks this thread until …"; the two
/// examples are the lines of each form's doc example.
///
/// `wait, …` is a wait with nothing to hand back: its bounded form says
/// whether it ended in time. `wait -> Type, …` hands back a `Type` (a
/// guard): its bounded form gives `None` when it did not come in time.
macro_rules! blocking_waits {
    (
        $wait:ident, $what:literal,
        $blocking:ident, $blocking_timeout:ident, $old:ident, [$ex1:literal, $ex2:literal]
    ) => {
        blocking_waits!(@blocking $wait, $what, $blocking, $ex1);
        blocking_waits!(@bounded $wait, $what, $blocking_timeout, $old, $ex2,
            bool, "returns whether that happened in time", .is_some());
    };
    (
        $wait:ident -> $out:ty, $what:literal,
        $blocking:ident, $blocking_timeout:ident, $old:ident, [$ex1:literal, $ex2:literal]
    ) => {
        blocking_waits!(@blocking $wait, $what, $blocking, $ex1, $out);
        blocking_waits!(@bounded $wait, $what, $blocking_timeout, $old, $ex2,
            Option<$out>, "`None` if that did not happen in time");
    };
    (@blocking $wait:ident, $what:literal, $blocking:ident, $example:literal $(, $out:ty)?) => {
        #[doc = concat!("Blocks this thread until ", $what, ".")]
        ///
        #[doc = concat!(
            "For plain threads: in an async task it stalls the worker; await [`",
            stringify!($wait), "`](Self::", stringify!($wait), ") there instead."
        )]
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $example]
        /// ```
        pub fn $blocking(&self) $(-> $out)? {
            crate::block_on::block_on(self.$wait())
        }
    };
    (
        @bounded $wait:ident, $what:literal, $blocking_timeout:ident, $old:ident, $example:literal,
        $bounded:ty, $returns:literal $(, $($convert:tt)+)?
    ) => {
        #[doc = concat!(
            "Blocks this thread for at most `timeout` until ", $what, "; ", $returns, "."
        )]
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        ///
        #[doc = $example]
        /// ```
        pub fn $blocking_timeout(&self, timeout: std::time::Duration) -> $bounded {
            crate::block_on::block_on_timeout(self.$wait(), timeout) $($($convert)+)?
        }

        #[doc = concat!(
            "Renamed [`", stringify!($blocking_timeout), "`](Self::",
            stringify!($blocking_timeout), "): blocking forms end in `_blocking`, and a ",
            "blocking form's bounded version in `_blocking_timeout` (see the crate's conventions)."
        )]
        #[deprecated(since = "0.2.0", note = "renamed to the `_blocking_timeout` form")]
        pub fn $old(&self, timeout: std::time::Duration) -> $bounded {
            self.$blocking_timeout(timeout)
        }
    };
}

pub(crate) use blocking_waits;

//! The blocking forms of a wait that ends with nothing to hand back —
//! `Event::wait`, `Notify::notified`, `Queue::join` — written once: each
//! type had the same three methods around its async wait. Uses
//! `crate::block_on`.

/// In an `impl` block whose type has the async wait `$wait`: the
/// `$blocking` form, the `$blocking_timeout` form (whether the wait ended
/// within the timeout) and the deprecated `$old` name of the latter. `$what`
/// ends "Blocks this thread until …"; each form brings its example's lines.
macro_rules! blocking_waits {
    (
        $wait:ident,
        $what:literal,
        $blocking:ident: $blocking_example:literal,
        $blocking_timeout:ident: $timeout_example:literal,
        $old:ident
    ) => {
        #[doc = concat!("Blocks this thread until ", $what, ".")]
        ///
        #[doc = concat!(
            "For plain threads; in an async task await [`", stringify!($wait),
            "`](Self::", stringify!($wait), ")."
        )]
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $blocking_example]
        /// ```
        pub fn $blocking(&self) {
            crate::block_on::block_on(self.$wait());
        }

        #[doc = concat!(
            "Blocks this thread for at most `timeout` until ", $what,
            "; returns whether that happened in time."
        )]
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        ///
        #[doc = $timeout_example]
        /// ```
        pub fn $blocking_timeout(&self, timeout: std::time::Duration) -> bool {
            crate::block_on::block_on_timeout(self.$wait(), timeout).is_some()
        }

        #[doc = concat!(
            "Renamed [`", stringify!($blocking_timeout), "`](Self::",
            stringify!($blocking_timeout), "): blocking forms end in `_blocking`, and a ",
            "blocking form's bounded version in `_blocking_timeout` (see the crate's conventions)."
        )]
        #[deprecated(since = "0.2.0", note = "renamed to the `_blocking_timeout` form")]
        pub fn $old(&self, timeout: std::time::Duration) -> bool {
            self.$blocking_timeout(timeout)
        }
    };
}

pub(crate) use blocking_waits;

//! What every socket type shows the outside the same way: its file
//! descriptor (`AsFd`, `AsRawFd`, for `setsockopt` and friends through
//! `libc` or `socket2`) and its addresses in `Debug`. One macro, used by
//! [`Stream`](super::stream::Stream), [`Listener`](super::listener::Listener)
//! and [`Datagram`](super::datagram::Datagram).

/// `AsFd`, `AsRawFd` and a `Debug` named `$name` that shows the named
/// address methods' answers, for `$socket<K>` (any `K: $kind`), whose file
/// descriptor `$this` gives as `$fd`.
macro_rules! socket_impls {
    (
        $socket:ident<K: $kind:ident>,
        |$this:ident| $fd:expr,
        debug: $name:expr => [$($addr:ident),+]
    ) => {
        impl<K: $kind> std::os::fd::AsFd for $socket<K> {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                let $this = self;
                $fd
            }
        }

        impl<K: $kind> std::os::fd::AsRawFd for $socket<K> {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&std::os::fd::AsFd::as_fd(self))
            }
        }

        impl<K: $kind> std::fmt::Debug for $socket<K> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct($name)
                    $(.field(stringify!($addr), &self.$addr().ok()))+
                    .finish()
            }
        }
    };
}

pub(super) use socket_impls;

//! What every socket type shows the outside the same way: its file
//! descriptor (`AsFd`, `AsRawFd`, for `setsockopt` and friends through
//! `libc` or `socket2`) and its addresses in `Debug`. One macro, used by
//! each socket type's file.

/// `AsFd`, `AsRawFd` and a `Debug` that shows the named address methods'
/// answers, for `$socket`, whose `mio` socket `$this` gives as `$mio`.
macro_rules! socket_impls {
    ($socket:ident, |$this:ident| $mio:expr, debug: [$($addr:ident),+]) => {
        impl std::os::fd::AsFd for $socket {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                let $this = self;
                std::os::fd::AsFd::as_fd($mio)
            }
        }

        impl std::os::fd::AsRawFd for $socket {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                let $this = self;
                std::os::fd::AsRawFd::as_raw_fd($mio)
            }
        }

        impl std::fmt::Debug for $socket {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($socket))
                    $(.field(stringify!($addr), &self.$addr().ok()))+
                    .finish()
            }
        }
    };
}

pub(super) use socket_impls;

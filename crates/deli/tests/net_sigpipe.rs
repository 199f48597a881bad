//! A write to a peer that has gone is an error, never a `SIGPIPE`: this
//! test restores the signal's default action (which kills the process)
//! before writing to closed TCP and Unix streams, plainly and vectored.
//! It lives in its own test binary because it changes process-wide state.

mod common;

use std::io::{self, IoSlice};
use std::time::Duration;

use common::{within, BOUND};
use deli::net::{TcpListener, TcpStream, UnixStream};
use futures_util::AsyncWriteExt;

fn is_peer_gone(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

/// Writes until the OS reports the peer gone; panics if it never does.
async fn write_until_refused<W: futures_util::AsyncWrite + Unpin>(
    writer: &mut W,
    vectored: bool,
) -> io::Error {
    let chunk = [7u8; 4096];
    for _ in 0..10_000 {
        let written = if vectored {
            writer
                .write_vectored(&[IoSlice::new(&chunk), IoSlice::new(&chunk)])
                .await
        } else {
            writer.write(&chunk).await
        };
        if let Err(error) = written {
            return error;
        }
        deli::sleep(Duration::from_millis(1)).await;
    }
    panic!("writes to a closed peer kept succeeding");
}

#[test]
fn writes_to_a_closed_peer_fail_without_sigpipe() {
    // SAFETY: setting a signal disposition has no memory-safety
    // preconditions; SIG_DFL is a valid handler value.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
    within(BOUND, || {
        deli::Runtime::builder()
            .workers(2)
            .build()
            .unwrap()
            .block_on(async {
                for vectored in [false, true] {
                    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let mut client = TcpStream::connect(listener.local_addr().unwrap())
                        .await
                        .unwrap();
                    let (server, _) = listener.accept().await.unwrap();
                    drop(server);
                    let error = write_until_refused(&mut client, vectored).await;
                    assert!(is_peer_gone(&error), "tcp, vectored={vectored}: {error:?}");

                    let (mut left, right) = UnixStream::pair().unwrap();
                    drop(right);
                    let error = write_until_refused(&mut left, vectored).await;
                    assert!(is_peer_gone(&error), "unix, vectored={vectored}: {error:?}");

                    let (left, right) = UnixStream::pair().unwrap();
                    let (_reader, mut writer) = left.into_split();
                    drop(right);
                    let error = write_until_refused(&mut writer, vectored).await;
                    assert!(
                        is_peer_gone(&error),
                        "unix half, vectored={vectored}: {error:?}"
                    );
                }
            });
    });
}

//! deli's streams through `futures-io`: `futures-util`'s `AsyncReadExt`,
//! `AsyncWriteExt` and `io::copy` run on them unchanged.

mod common;

use std::io::IoSlice;

use common::{within, BOUND};
use deli::net::{TcpListener, TcpStream, UnixStream};
use futures_util::{AsyncReadExt, AsyncWriteExt};

#[test]
fn futures_util_extensions_and_copy_over_tcp() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let server = deli::spawn(async move {
                    let (stream, _) = listener.accept().await?;
                    let (mut reader, mut writer) = stream.into_split();
                    // Echo everything, then close the write side.
                    let copied = futures_util::io::copy(&mut reader, &mut writer).await?;
                    writer.close().await?;
                    Ok::<u64, std::io::Error>(copied)
                });

                let mut client = TcpStream::connect(addr).await.unwrap();
                let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
                AsyncWriteExt::write_all(&mut client, &body).await.unwrap();
                let written = client
                    .write_vectored(&[IoSlice::new(b"tail "), IoSlice::new(b"end")])
                    .await
                    .unwrap();
                assert!(written > 0);
                let mut expected = body.clone();
                expected.extend_from_slice(&b"tail end"[..written]);
                client.close().await.unwrap();

                let mut echoed = Vec::new();
                client.read_to_end(&mut echoed).await.unwrap();
                assert_eq!(echoed, expected, "{name}");
                assert_eq!(server.await.unwrap().unwrap(), expected.len() as u64);
            });
        }
    });
}

#[test]
fn futures_util_extensions_over_unix_streams() {
    within(BOUND, || {
        deli::run(async {
            let (mut left, right) = UnixStream::pair().unwrap();
            let (mut reader, mut writer) = right.into_split();
            AsyncWriteExt::write_all(&mut left, b"line one\nline two\n")
                .await
                .unwrap();
            left.close().await.unwrap();
            let mut text = String::new();
            reader.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "line one\nline two\n");
            AsyncWriteExt::write_all(&mut writer, b"reply")
                .await
                .unwrap();
            writer.close().await.unwrap();
            let mut reply = Vec::new();
            left.read_to_end(&mut reply).await.unwrap();
            assert_eq!(reply, b"reply");
        });
    });
}

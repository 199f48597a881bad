//! `deli::fs` against real files in a temporary directory: every path
//! operation with its error cases, `read_dir` listing every entry, and
//! `File`'s buffered reads, writes and seeks checked byte for byte against
//! what `std` reads and writes, on both runtime flavours.

mod common;

use std::collections::BTreeSet;
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{within, BOUND};
use deli::fs::{self, File, OpenOptions};
use futures_util::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, StreamExt};

/// A directory of its own under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "deli-fs-test-{}-{test}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `body` on each runtime flavour under the suite's bound.
fn on_each_runtime<F, Fut>(body: F)
where
    F: Fn(TempDir) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    within(BOUND, move || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(body(TempDir::new(name)));
        }
    });
}

/// A small deterministic generator (xorshift), so failures repeat.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn whole_file_read_write_and_their_errors() {
    on_each_runtime(|dir| async move {
        let path = dir.join("data");
        fs::write(&path, b"hello deli").await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello deli");
        assert_eq!(fs::read(&path).await.unwrap(), b"hello deli");
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "hello deli");

        // `write` truncates.
        fs::write(&path, "hi").await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"hi");

        std::fs::write(dir.join("latin1"), [0x68, 0xe9]).unwrap();
        let not_utf8 = fs::read_to_string(dir.join("latin1")).await.unwrap_err();
        assert_eq!(not_utf8.kind(), ErrorKind::InvalidData);

        let missing = fs::read(dir.join("missing")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let missing = fs::read_to_string(dir.join("missing")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let no_parent = fs::write(dir.join("no/parent"), b"x").await.unwrap_err();
        assert_eq!(no_parent.kind(), ErrorKind::NotFound);
        let a_dir = fs::read(&dir.0).await.unwrap_err();
        assert_eq!(a_dir.kind(), ErrorKind::IsADirectory);
    });
}

#[test]
fn tree_operations_and_their_errors() {
    on_each_runtime(|dir| async move {
        // create_dir / create_dir_all
        fs::create_dir(dir.join("d")).await.unwrap();
        assert!(std::fs::metadata(dir.join("d")).unwrap().is_dir());
        let again = fs::create_dir(dir.join("d")).await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::AlreadyExists);
        let orphan = fs::create_dir(dir.join("x/y")).await.unwrap_err();
        assert_eq!(orphan.kind(), ErrorKind::NotFound);
        fs::create_dir_all(dir.join("a/b/c")).await.unwrap();
        fs::create_dir_all(dir.join("a/b/c")).await.unwrap();
        assert!(std::fs::metadata(dir.join("a/b/c")).unwrap().is_dir());

        // copy
        std::fs::write(dir.join("src"), b"copied bytes").unwrap();
        assert_eq!(
            fs::copy(dir.join("src"), dir.join("a/dst")).await.unwrap(),
            12
        );
        assert_eq!(std::fs::read(dir.join("a/dst")).unwrap(), b"copied bytes");
        let missing = fs::copy(dir.join("nope"), dir.join("z")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);

        // rename
        fs::rename(dir.join("a/dst"), dir.join("moved"))
            .await
            .unwrap();
        assert!(!dir.join("a/dst").exists());
        assert_eq!(std::fs::read(dir.join("moved")).unwrap(), b"copied bytes");
        let missing = fs::rename(dir.join("nope"), dir.join("z"))
            .await
            .unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);

        // hard_link
        fs::hard_link(dir.join("moved"), dir.join("link"))
            .await
            .unwrap();
        assert_eq!(std::fs::read(dir.join("link")).unwrap(), b"copied bytes");
        let taken = fs::hard_link(dir.join("moved"), dir.join("link"))
            .await
            .unwrap_err();
        assert_eq!(taken.kind(), ErrorKind::AlreadyExists);

        // remove_file
        fs::remove_file(dir.join("link")).await.unwrap();
        assert!(!dir.join("link").exists());
        let gone = fs::remove_file(dir.join("link")).await.unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound);

        // remove_dir: only empty ones
        let full = fs::remove_dir(dir.join("a")).await.unwrap_err();
        assert_eq!(full.kind(), ErrorKind::DirectoryNotEmpty);
        fs::remove_dir(dir.join("d")).await.unwrap();
        assert!(!dir.join("d").exists());
        let gone = fs::remove_dir(dir.join("d")).await.unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound);

        // remove_dir_all
        std::fs::write(dir.join("a/b/c/file"), b"x").unwrap();
        fs::remove_dir_all(dir.join("a")).await.unwrap();
        assert!(!dir.join("a").exists());
        let gone = fs::remove_dir_all(dir.join("a")).await.unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn metadata_canonicalize_and_exists() {
    on_each_runtime(|dir| async move {
        std::fs::write(dir.join("file"), b"12345").unwrap();
        std::os::unix::fs::symlink(dir.join("file"), dir.join("symlink")).unwrap();

        let meta = fs::metadata(dir.join("file")).await.unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), 5);
        assert!(fs::metadata(dir.join("symlink")).await.unwrap().is_file());
        let link = fs::symlink_metadata(dir.join("symlink")).await.unwrap();
        assert!(link.file_type().is_symlink());
        assert!(fs::metadata(&dir.0).await.unwrap().is_dir());

        let resolved = fs::canonicalize(dir.join("symlink")).await.unwrap();
        assert_eq!(resolved, std::fs::canonicalize(dir.join("file")).unwrap());
        let dotted = fs::canonicalize(dir.0.join(".").join("file"))
            .await
            .unwrap();
        assert_eq!(dotted, resolved);

        assert!(fs::try_exists(dir.join("file")).await.unwrap());
        assert!(!fs::try_exists(dir.join("missing")).await.unwrap());

        for missing in [
            fs::metadata(dir.join("missing")).await.map(drop),
            fs::symlink_metadata(dir.join("missing")).await.map(drop),
            fs::canonicalize(dir.join("missing")).await.map(drop),
        ] {
            assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
        }
        // A path through a file is not a missing entry but a bad path.
        let through_file = fs::metadata(dir.join("file").join("x")).await.unwrap_err();
        assert_eq!(through_file.kind(), ErrorKind::NotADirectory);
    });
}

#[test]
fn read_dir_sees_every_entry_as_stream_and_by_next_entry() {
    on_each_runtime(|dir| async move {
        // More than one batch of entries, files and directories mixed.
        let mut expected = BTreeSet::new();
        for i in 0..150 {
            let name = format!("entry-{i:03}");
            if i % 10 == 0 {
                std::fs::create_dir(dir.join(&name)).unwrap();
            } else {
                std::fs::write(dir.join(&name), name.as_bytes()).unwrap();
            }
            expected.insert(name);
        }

        let mut seen = BTreeSet::new();
        let mut entries = fs::read_dir(&dir.0).await.unwrap();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            let name = entry.file_name().into_string().unwrap();
            assert_eq!(entry.path(), dir.join(&name));
            let is_dir = entry.file_type().await.unwrap().is_dir();
            assert_eq!(is_dir, name.ends_with('0'), "{name}");
            if !is_dir {
                assert_eq!(entry.metadata().await.unwrap().len(), name.len() as u64);
            }
            assert!(seen.insert(name), "an entry came twice");
        }
        assert_eq!(seen, expected);
        // After the end it stays ended.
        assert!(entries.next_entry().await.unwrap().is_none());

        let streamed: BTreeSet<String> = fs::read_dir(&dir.0)
            .await
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect()
            .await;
        assert_eq!(streamed, expected);

        let missing = fs::read_dir(dir.join("missing")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let a_file = fs::read_dir(dir.join("entry-001")).await.unwrap_err();
        assert_eq!(a_file.kind(), ErrorKind::NotADirectory);
    });
}

#[test]
fn many_small_writes_and_reads_match_std_byte_for_byte() {
    on_each_runtime(|dir| async move {
        let mut rng = Rng(0x5eed_f00d);
        let path = dir.join("small");
        let mut expected = Vec::new();
        let mut file = File::create(&path).await.unwrap();
        // ~1.5 MiB in writes of 1..=700 bytes: many times the buffer.
        while expected.len() < 1_500_000 {
            let size = 1 + rng.below(700);
            let chunk = rng.bytes(size);
            file.write_all(&chunk).await.unwrap();
            expected.extend_from_slice(&chunk);
        }
        file.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        drop(file);

        let mut file = File::open(&path).await.unwrap();
        let mut got = Vec::new();
        let mut chunk = vec![0; 1000];
        loop {
            let want = 1 + rng.below(chunk.len());
            let n = file.read(&mut chunk[..want]).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(got.len(), expected.len());
        assert!(
            got == expected,
            "the bytes read differ from the bytes written"
        );

        // The same through the futures_io traits.
        let mut file = File::open(&path).await.unwrap();
        let mut all = Vec::new();
        AsyncReadExt::read_to_end(&mut file, &mut all)
            .await
            .unwrap();
        assert!(all == expected);
    });
}

#[test]
fn large_writes_and_reads_in_one_call() {
    on_each_runtime(|dir| async move {
        let mut rng = Rng(42);
        let big = rng.bytes(5 * 1024 * 1024 + 17);
        let path = dir.join("big");
        let mut file = File::create(&path).await.unwrap();
        file.write_all(&big).await.unwrap();
        file.sync_all().await.unwrap();
        assert!(std::fs::read(&path).unwrap() == big);

        let mut file = File::open(&path).await.unwrap();
        let mut back = vec![0; big.len()];
        file.read_exact(&mut back).await.unwrap();
        assert!(back == big);
        let mut one = [0; 1];
        assert_eq!(file.read(&mut one).await.unwrap(), 0, "end of file");
        let short = file.read_exact(&mut one).await.unwrap_err();
        assert_eq!(short.kind(), ErrorKind::UnexpectedEof);
    });
}

/// The byte at `offset` of the pattern file.
fn pattern(offset: usize) -> u8 {
    (offset % 251) as u8
}

fn write_pattern(path: &Path, len: usize) {
    std::fs::write(path, (0..len).map(pattern).collect::<Vec<u8>>()).unwrap();
}

#[test]
fn seeks_within_and_around_buffered_reads() {
    on_each_runtime(|dir| async move {
        let path = dir.join("pattern");
        let len = 300_000; // past one read-ahead
        write_pattern(&path, len);
        let mut file = File::open(&path).await.unwrap();
        let mut buf = [0; 10];

        file.read_exact(&mut buf).await.unwrap();
        // The read-ahead ran far past 10; positions count what was read.
        assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 10);
        assert_eq!(file.seek(SeekFrom::Current(5)).await.unwrap(), 15);
        file.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, std::array::from_fn(|i| pattern(15 + i)));
        assert_eq!(file.seek(SeekFrom::Current(-20)).await.unwrap(), 5);
        file.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, std::array::from_fn(|i| pattern(5 + i)));
        // Beyond the buffered data, and back.
        assert_eq!(file.seek(SeekFrom::Start(200_000)).await.unwrap(), 200_000);
        file.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, std::array::from_fn(|i| pattern(200_000 + i)));
        assert_eq!(file.seek(SeekFrom::End(-3)).await.unwrap(), len as u64 - 3);
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).await.unwrap();
        assert_eq!(tail, (len - 3..len).map(pattern).collect::<Vec<_>>());
        // The futures_io trait seeks the same way.
        assert_eq!(
            AsyncSeekExt::seek(&mut file, SeekFrom::Start(1))
                .await
                .unwrap(),
            1
        );
        file.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, std::array::from_fn(|i| pattern(1 + i)));

        let before_start = file.seek(SeekFrom::Current(-1000)).await.unwrap_err();
        assert_eq!(before_start.kind(), ErrorKind::InvalidInput);
        // The failed seek left the file usable.
        assert_eq!(file.seek(SeekFrom::Start(7)).await.unwrap(), 7);
        file.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, std::array::from_fn(|i| pattern(7 + i)));
    });
}

#[test]
fn writes_after_reads_and_seeks_land_where_the_caller_is() {
    on_each_runtime(|dir| async move {
        let path = dir.join("mixed");
        let len = 100_000;
        write_pattern(&path, len);
        let mut expected: Vec<u8> = (0..len).map(pattern).collect();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .await
            .unwrap();

        // Read 10 (the OS cursor is far ahead), then write: bytes go at 10.
        let mut buf = [0; 10];
        file.read_exact(&mut buf).await.unwrap();
        file.write_all(b"XYZ").await.unwrap();
        expected[10..13].copy_from_slice(b"XYZ");
        // Reading goes on after the written bytes (they are flushed first).
        file.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf[..], &expected[13..23]);
        // A pending write, then a seek back over it, then a read of it.
        file.seek(SeekFrom::Start(50_000)).await.unwrap();
        file.write_all(b"pending").await.unwrap();
        expected[50_000..50_007].copy_from_slice(b"pending");
        assert_eq!(file.seek(SeekFrom::Current(-7)).await.unwrap(), 50_000);
        let mut seven = [0; 7];
        file.read_exact(&mut seven).await.unwrap();
        assert_eq!(&seven, b"pending");
        // Writing past the end extends the file.
        file.seek(SeekFrom::End(0)).await.unwrap();
        file.write_all(b"tail").await.unwrap();
        expected.extend_from_slice(b"tail");
        file.flush().await.unwrap();
        assert!(std::fs::read(&path).unwrap() == expected);

        // into_std puts the OS cursor where the caller is.
        file.seek(SeekFrom::Start(3)).await.unwrap();
        file.read_exact(&mut buf).await.unwrap();
        let mut std_file = file.into_std().await.unwrap();
        use std::io::{Read, Seek};
        assert_eq!(std_file.stream_position().unwrap(), 13);
        let mut next = [0; 4];
        std_file.read_exact(&mut next).unwrap();
        assert_eq!(&next[..], &expected[13..17]);
        // ...and from_std goes on from there.
        let mut file = File::from_std(std_file);
        file.read_exact(&mut next).await.unwrap();
        assert_eq!(&next[..], &expected[17..21]);
    });
}

#[test]
fn a_failed_write_is_reported_by_the_next_operation() {
    on_each_runtime(|_dir| async move {
        // /dev/full accepts the open and fails every write with ENOSPC.
        let mut full = OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .await
            .unwrap();
        // Big enough to go out at once; the write returns before it lands.
        full.write_all(&vec![7; 200 * 1024]).await.ok();
        let next = full.write_all(b"more").await;
        let flushed = full.flush().await;
        let error = next
            .err()
            .or(flushed.err())
            .expect("the failure was reported");
        assert_eq!(error.kind(), ErrorKind::StorageFull);

        // A small buffered write fails at flush, and only once.
        let mut full = OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .await
            .unwrap();
        full.write_all(b"small").await.unwrap();
        assert_eq!(
            full.flush().await.unwrap_err().kind(),
            ErrorKind::StorageFull
        );
        full.flush().await.unwrap();

        // A failed write is reported by a read too.
        let mut full = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/full")
            .await
            .unwrap();
        full.write_all(b"x").await.unwrap();
        let mut buf = [0; 4];
        assert_eq!(
            full.read(&mut buf).await.unwrap_err().kind(),
            ErrorKind::StorageFull
        );

        // And by a method that settles the file.
        let mut full = OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .await
            .unwrap();
        full.write_all(b"x").await.unwrap();
        assert_eq!(
            full.sync_all().await.unwrap_err().kind(),
            ErrorKind::StorageFull
        );
    });
}

#[test]
fn writing_a_read_only_file_fails_without_panicking() {
    on_each_runtime(|dir| async move {
        std::fs::write(dir.join("ro"), b"x").unwrap();
        let mut file = File::open(dir.join("ro")).await.unwrap();
        file.write_all(b"nope").await.unwrap();
        let error = file.flush().await.unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::EBADF));
        assert_eq!(std::fs::read(dir.join("ro")).unwrap(), b"x");
    });
}

#[test]
fn file_methods_and_open_options() {
    on_each_runtime(|dir| async move {
        let path = dir.join("f");
        let mut file = File::create(&path).await.unwrap();
        file.write_all(b"hello world").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 11);
        file.set_len(5).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        file.set_len(8).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello\0\0\0");
        file.sync_data().await.unwrap();
        file.sync_all().await.unwrap();
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o640))
            .await
            .unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );

        // try_clone shares the open file.
        let mut twin = file.try_clone().await.unwrap();
        twin.seek(SeekFrom::Start(0)).await.unwrap();
        twin.write_all(b"J").await.unwrap();
        twin.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"Jello\0\0\0");

        // create_new refuses an existing file; append writes at the end.
        let exists = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .unwrap_err();
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists);
        let mut log = File::options().append(true).open(&path).await.unwrap();
        log.write_all(b"++").await.unwrap();
        log.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"Jello\0\0\0++");
        let fresh = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.join("fresh"))
            .await
            .unwrap();
        drop(fresh);
        assert_eq!(
            std::fs::metadata(dir.join("fresh"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );

        let missing = File::open(dir.join("missing")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let no_dir = File::create(dir.join("no/such")).await.unwrap_err();
        assert_eq!(no_dir.kind(), ErrorKind::NotFound);
        let nothing = OpenOptions::new().open(&path).await.unwrap_err();
        assert_eq!(nothing.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn dropping_a_file_still_writes_its_buffer() {
    on_each_runtime(|dir| async move {
        let path = dir.join("dropped");
        let mut expected = Vec::new();
        let mut file = File::create(&path).await.unwrap();
        for i in 0..20_000u32 {
            let line = format!("{i}\n");
            file.write_all(line.as_bytes()).await.unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        drop(file);
        // The last bytes go out on the blocking pool after the drop.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::fs::read(&path).unwrap() != expected {
            assert!(
                std::time::Instant::now() < deadline,
                "the buffer never landed"
            );
            deli::sleep(std::time::Duration::from_millis(5)).await;
        }
    });
}

#[test]
fn concurrent_tasks_on_different_files() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let dir = TempDir::new("concurrent");
        let root = dir.0.clone();
        runtime.block_on(async move {
            let tickets: Vec<_> = (0..16u64)
                .map(|task| {
                    let path = root.join(format!("task-{task}"));
                    deli::spawn(async move {
                        let mut rng = Rng(task + 1);
                        let mut expected = Vec::new();
                        let mut file = File::create(&path).await?;
                        for _ in 0..500 {
                            let size = 1 + rng.below(400);
                            let chunk = rng.bytes(size);
                            file.write_all(&chunk).await?;
                            expected.extend_from_slice(&chunk);
                            if rng.below(50) == 0 {
                                deli::yield_now().await;
                            }
                        }
                        file.close().await?;
                        let mut back = Vec::new();
                        File::open(&path).await?.read_to_end(&mut back).await?;
                        assert!(back == expected, "task {task}: bytes differ");
                        assert!(fs::read(&path).await? == expected);
                        Ok::<usize, std::io::Error>(expected.len())
                    })
                })
                .collect();
            for ticket in tickets {
                assert!(ticket.await.unwrap().unwrap() > 500);
            }
        });
        drop(dir);
    });
}

#[cfg(feature = "tokio-io")]
#[test]
fn tokio_traits_read_write_and_seek_through_the_same_buffers() {
    use std::future::poll_fn;
    use std::pin::Pin;
    use tokio::io::{AsyncSeek, AsyncWrite};
    use tokio_util::codec::{FramedRead, LinesCodec};

    on_each_runtime(|dir| async move {
        let path = dir.join("tokio");
        let mut file = File::create(&path).await.unwrap();
        for i in 0..1000 {
            let line = format!("line {i}\n");
            let mut rest = line.as_bytes();
            while !rest.is_empty() {
                let n = poll_fn(|cx| AsyncWrite::poll_write(Pin::new(&mut file), cx, rest))
                    .await
                    .unwrap();
                rest = &rest[n..];
            }
        }
        poll_fn(|cx| AsyncWrite::poll_shutdown(Pin::new(&mut file), cx))
            .await
            .unwrap();
        drop(file);

        let mut file = File::open(&path).await.unwrap();
        let mut five = [0; 5];
        file.read_exact(&mut five).await.unwrap();
        // tokio's two-step seek: complete what is pending, start, complete.
        poll_fn(|cx| AsyncSeek::poll_complete(Pin::new(&mut file), cx))
            .await
            .unwrap();
        AsyncSeek::start_seek(Pin::new(&mut file), SeekFrom::Current(-5)).unwrap();
        let at = poll_fn(|cx| AsyncSeek::poll_complete(Pin::new(&mut file), cx))
            .await
            .unwrap();
        assert_eq!(at, 0);
        let lines: Vec<String> = FramedRead::new(file, LinesCodec::new())
            .map(|line| line.unwrap())
            .collect()
            .await;
        assert_eq!(lines.len(), 1000);
        assert!(lines
            .iter()
            .enumerate()
            .all(|(i, l)| *l == format!("line {i}")));
    });
}

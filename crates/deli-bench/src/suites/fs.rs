//! The `fs` suite: `deli::fs` on deli's runtime against `tokio::fs` on
//! tokio's, both multi-thread with 2 workers, interleaved.
//!
//! Cases: `small_files` (one task writes 1,000 files of 4 KiB with
//! `fs::write`, then reads each back with `fs::read`: two trips to the
//! blocking pool per file, so this times the hop) and `big_file` (one
//! 256 MiB file written through `File` in 64 KiB chunks, flushed, then read
//! back in 64 KiB chunks: this times the buffering). Each run works in a
//! fresh directory under the system's temp dir, removed after the run and
//! outside the timed region; every run checks the bytes it read. Prints
//! `BENCH fs/<case>-mt deli=<ns> tokio=<ns> ratio=<deli/tokio>`.
//!
//! Owns: [`FsKit`] (what each side's file API brings) and the case bodies.
//! Calls: the harness, [`crate::runtimes`], `deli::fs` and `tokio::fs`.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::Harness;
use crate::runtimes::{BenchRuntime, Deli, Flavor, Tokio};

/// The suite's name on the command line and in `BENCH` lines.
pub const SUITE: &str = "fs";

const SMALL_FILES: usize = 1_000;
const SMALL_FILE_SIZE: usize = 4 * 1024;
const BIG_FILE_SIZE: usize = 256 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// Runs both cases (multi-thread: the blocking pool's hop is what differs).
pub fn run(harness: &Harness) -> io::Result<()> {
    let flavor = Flavor::MultiThread;
    compare(
        harness,
        flavor,
        "small_files",
        small_files::<Deli>,
        small_files::<Tokio>,
    )?;
    compare(
        harness,
        flavor,
        "big_file",
        big_file::<Deli>,
        big_file::<Tokio>,
    )?;
    Ok(())
}

/// One side's file API, used the way its docs suggest.
pub trait FsKit: BenchRuntime {
    /// An open file.
    type File: Send;

    fn write(path: PathBuf, bytes: Vec<u8>) -> impl Future<Output = io::Result<()>> + Send;
    fn read(path: PathBuf) -> impl Future<Output = io::Result<Vec<u8>>> + Send;
    fn create(path: PathBuf) -> impl Future<Output = io::Result<Self::File>> + Send;
    fn open(path: PathBuf) -> impl Future<Output = io::Result<Self::File>> + Send;
    fn write_all<'a>(
        file: &'a mut Self::File,
        bytes: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;
    fn flush(file: &mut Self::File) -> impl Future<Output = io::Result<()>> + Send + '_;
    fn read_some<'a>(
        file: &'a mut Self::File,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;
}

impl FsKit for Deli {
    type File = deli::fs::File;

    async fn write(path: PathBuf, bytes: Vec<u8>) -> io::Result<()> {
        deli::fs::write(path, bytes).await
    }
    async fn read(path: PathBuf) -> io::Result<Vec<u8>> {
        deli::fs::read(path).await
    }
    async fn create(path: PathBuf) -> io::Result<Self::File> {
        deli::fs::File::create(path).await
    }
    async fn open(path: PathBuf) -> io::Result<Self::File> {
        deli::fs::File::open(path).await
    }
    async fn write_all<'a>(file: &'a mut Self::File, bytes: &'a [u8]) -> io::Result<()> {
        file.write_all(bytes).await
    }
    async fn flush(file: &mut Self::File) -> io::Result<()> {
        file.flush().await
    }
    async fn read_some<'a>(file: &'a mut Self::File, buf: &'a mut [u8]) -> io::Result<usize> {
        file.read(buf).await
    }
}

impl FsKit for Tokio {
    type File = tokio::fs::File;

    async fn write(path: PathBuf, bytes: Vec<u8>) -> io::Result<()> {
        tokio::fs::write(path, bytes).await
    }
    async fn read(path: PathBuf) -> io::Result<Vec<u8>> {
        tokio::fs::read(path).await
    }
    async fn create(path: PathBuf) -> io::Result<Self::File> {
        tokio::fs::File::create(path).await
    }
    async fn open(path: PathBuf) -> io::Result<Self::File> {
        tokio::fs::File::open(path).await
    }
    async fn write_all<'a>(file: &'a mut Self::File, bytes: &'a [u8]) -> io::Result<()> {
        tokio::io::AsyncWriteExt::write_all(file, bytes).await
    }
    async fn flush(file: &mut Self::File) -> io::Result<()> {
        tokio::io::AsyncWriteExt::flush(file).await
    }
    async fn read_some<'a>(file: &'a mut Self::File, buf: &'a mut [u8]) -> io::Result<usize> {
        tokio::io::AsyncReadExt::read(file, buf).await
    }
}

/// A fresh directory for one run, removed (untimed) when dropped.
struct RunDir(PathBuf);

impl RunDir {
    fn new() -> io::Result<RunDir> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "deli-bench-fs-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)?;
        Ok(RunDir(path))
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds both runtimes, then times `deli_case` and `tokio_case` in turn.
fn compare<D, T>(
    harness: &Harness,
    flavor: Flavor,
    case: &str,
    deli_case: fn(PathBuf) -> D,
    tokio_case: fn(PathBuf) -> T,
) -> io::Result<()>
where
    D: Future<Output = io::Result<()>>,
    T: Future<Output = io::Result<()>>,
{
    let name = format!("{SUITE}/{case}-{}", flavor.suffix());
    if !harness.selects(&name) {
        return Ok(());
    }
    let deli = Deli::build(flavor)?;
    let tokio = Tokio::build(flavor)?;
    let comparison = harness.compare(
        &name,
        || time_run(&deli, deli_case),
        || time_run(&tokio, tokio_case),
    );
    println!("{comparison}");
    Ok(())
}

/// One timed run in a fresh directory; a failed run is a broken benchmark.
fn time_run<R: BenchRuntime, F: Future<Output = io::Result<()>>>(
    runtime: &R,
    case: fn(PathBuf) -> F,
) -> Duration {
    let dir = RunDir::new().expect("the benchmark's temp dir");
    let body = case(dir.0.clone());
    let start = Instant::now();
    runtime.block_on(body).expect("the fs case failed");
    let elapsed = start.elapsed();
    drop(dir);
    elapsed
}

/// Writes 1,000 files of 4 KiB, then reads each back and checks it.
async fn small_files<K: FsKit>(dir: PathBuf) -> io::Result<()> {
    let paths: Vec<PathBuf> = (0..SMALL_FILES)
        .map(|i| dir.join(format!("f{i:04}")))
        .collect();
    for (i, path) in paths.iter().enumerate() {
        K::write(path.clone(), vec![i as u8; SMALL_FILE_SIZE]).await?;
    }
    for (i, path) in paths.iter().enumerate() {
        let bytes = K::read(path.clone()).await?;
        if bytes.len() != SMALL_FILE_SIZE || bytes[SMALL_FILE_SIZE - 1] != i as u8 {
            return Err(io::Error::other(format!(
                "{} came back wrong",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Writes one 256 MiB file in 64 KiB chunks, then reads it back in 64 KiB
/// chunks and checks the count and a byte of each chunk.
async fn big_file<K: FsKit>(dir: PathBuf) -> io::Result<()> {
    let path = dir.join("big");
    let mut chunk = vec![0u8; CHUNK];
    let mut file = K::create(path.clone()).await?;
    for i in 0..BIG_FILE_SIZE / CHUNK {
        chunk[0] = i as u8;
        K::write_all(&mut file, &chunk).await?;
    }
    K::flush(&mut file).await?;
    drop(file);

    let mut file = K::open(path).await?;
    let mut total = 0;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = K::read_some(&mut file, &mut buf).await?;
        if n == 0 {
            break;
        }
        if total % CHUNK == 0 && buf[0] != (total / CHUNK) as u8 {
            return Err(io::Error::other("a chunk came back wrong"));
        }
        total += n;
    }
    if total != BIG_FILE_SIZE {
        return Err(io::Error::other(format!(
            "read {total} bytes of {BIG_FILE_SIZE}"
        )));
    }
    Ok(())
}

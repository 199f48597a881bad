//! `deli worker`: serves the jobs linked into this binary ([`crate::jobs`])
//! to the clients of a Redis, through `deli::cluster::serve`. Start one on
//! every machine that should take work.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

/// Options of `deli worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The Redis every client and worker shares, e.g. redis://10.0.0.5:6379/0.
    #[arg(long)]
    redis: String,
    /// How many jobs run at once, each in its own child process (default:
    /// one per core).
    #[arg(long)]
    concurrency: Option<usize>,
    /// The key prefix shared with the clients.
    #[arg(long, default_value = "deli")]
    namespace: String,
    /// Seconds after which a dead worker's job is claimed back by another.
    #[arg(long, default_value_t = 30.0)]
    claim_timeout: f64,
}

/// Runs the worker until the process is stopped.
pub fn run(args: WorkerArgs) -> ExitCode {
    let claim_timeout = match Duration::try_from_secs_f64(args.claim_timeout) {
        Ok(timeout) => timeout,
        Err(error) => {
            eprintln!("deli worker: --claim-timeout: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut options = deli::cluster::ServeOptions::default()
        .namespace(args.namespace)
        .claim_timeout(claim_timeout);
    if let Some(concurrency) = args.concurrency {
        options = options.concurrency(concurrency);
    }
    let names = [
        crate::jobs::sha256_chain.name(),
        crate::jobs::echo.name(),
        crate::jobs::sleep_ms.name(),
    ];
    eprintln!(
        "deli worker: serving {} on {} with {} at once",
        names.join(", "),
        args.redis,
        options.concurrency_value()
    );
    match deli::cluster::serve(&args.redis, options.jobs(names)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("deli worker: {error}");
            ExitCode::FAILURE
        }
    }
}

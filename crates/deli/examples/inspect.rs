//! A small program to watch with `deli top`: a runtime that serves its
//! snapshots on a Unix socket, running a few named tasks that wait, tick
//! and work.
//!
//! ```text
//! cargo run -p deli --example inspect -- /tmp/deli-demo.sock &
//! cargo run -p deli-cli -- top /tmp/deli-demo.sock
//! ```
//!
//! It runs for a minute (or the seconds given as a second argument).

use std::time::Duration;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "/tmp/deli-demo.sock".to_owned());
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let runtime = deli::Runtime::builder().workers(2).inspect(&path).build()?;
    println!("serving snapshots on {path}; try `deli top {path}`");
    runtime.block_on(async move {
        let _idle = deli::TaskBuilder::new()
            .name("order-queue")
            .spawn(std::future::pending::<()>());
        let _ticker = deli::TaskBuilder::new().name("ticker").spawn(async {
            loop {
                deli::sleep(Duration::from_millis(250)).await;
            }
        });
        for n in 0..4u64 {
            // Detached: dropping a ticket leaves its task running.
            deli::TaskBuilder::new()
                .name(format!("barista-{n}"))
                .spawn(async move {
                    loop {
                        // A little work, then a short wait.
                        let mut x = n;
                        for i in 0..100_000u64 {
                            x = x.wrapping_mul(31).wrapping_add(i);
                        }
                        std::hint::black_box(x);
                        deli::sleep(Duration::from_millis(10 + 5 * n)).await;
                    }
                })
                .detach();
        }
        deli::sleep(Duration::from_secs(seconds)).await;
    });
    Ok(())
}

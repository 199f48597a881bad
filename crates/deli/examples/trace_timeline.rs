//! Records a small mixed workload — async tasks that sleep and yield, a
//! blocking call, thread-pool jobs — and writes it as a Chrome trace.
//!
//! ```text
//! cargo run --example trace_timeline -- trace.json
//! ```
//!
//! Open the file in <https://ui.perfetto.dev> or `chrome://tracing`, or
//! draw it with `deli trace render trace.json --svg trace.svg`.

use std::time::Duration;

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "trace.json".to_owned());
    let runtime = deli::Runtime::builder().workers(2).build()?;
    let pool = deli::ThreadPool::new(2).unwrap();
    deli::trace::start();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..6u64)
            .map(|n| {
                deli::TaskBuilder::new()
                    .name(format!("fetch {n}"))
                    .spawn(async move {
                        deli::sleep(Duration::from_millis(2 * n)).await;
                        deli::yield_now().await;
                    })
            })
            .collect();
        let read = deli::spawn_blocking(|| std::thread::sleep(Duration::from_millis(3)));
        for task in tasks {
            let _ = task.await;
        }
        let _ = read.await;
    });
    let sums: Vec<_> = (0..4u64)
        .map(|n| pool.submit(move || (0..200_000 * (n + 1)).sum::<u64>()))
        .collect();
    for sum in sums {
        let _ = sum.wait_blocking();
    }
    let trace = deli::trace::stop();
    trace.write_chrome_json(&path)?;
    println!(
        "{} events on {} lanes over {:?} written to {path}",
        trace.events().len(),
        trace.lanes().len(),
        trace.duration()
    );
    Ok(())
}

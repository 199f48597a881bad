//! `deli trace render TRACE.json --svg OUT.svg`: draws a Chrome trace file
//! (as deli's `Trace::write_chrome_json` writes it) as an SVG timeline.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::timeline;

/// `deli trace`'s subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TraceCommand {
    /// Draw a Chrome trace JSON file as an SVG timeline: one lane per
    /// worker thread or process, Running slices as bars, state changes as ticks.
    Render {
        /// The trace file (Chrome trace event JSON).
        trace: PathBuf,
        /// Where to write the picture.
        #[arg(long)]
        svg: PathBuf,
    },
}

pub fn run(command: TraceCommand) -> ExitCode {
    match command {
        TraceCommand::Render { trace, svg } => match render(&trace, &svg) {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("deli trace render: {error}");
                ExitCode::FAILURE
            }
        },
    }
}

fn render(trace: &Path, svg: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(trace)
        .map_err(|error| format!("cannot read {}: {error}", trace.display()))?;
    let title = trace.file_name().map_or_else(
        || trace.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let panel = timeline::chrome::parse(&text, &title)
        .map_err(|error| format!("{}: {error}", trace.display()))?;
    std::fs::write(svg, timeline::to_svg(std::slice::from_ref(&panel)))
        .map_err(|error| format!("cannot write {}: {error}", svg.display()))?;
    Ok(format!(
        "wrote {} ({} lanes, {} bars, {} state changes, {})",
        svg.display(),
        panel.lanes.len(),
        panel.bar_count(),
        panel.tick_count(),
        timeline::format_ns(panel.end_ns())
    ))
}

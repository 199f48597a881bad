//! Timelines as pictures: lanes (one per worker thread or process) holding
//! bars (a job in one lifecycle state for a while) and ticks (a state
//! change at an instant), and their drawing as a standalone SVG.
//!
//! The lab builds a [`Timeline`] from its own per-job timestamps and from a
//! deli trace; `deli trace render` builds one from a Chrome trace file
//! ([`chrome`]). Both draw it with [`to_svg`]. Uses nothing else of the CLI.

pub mod chrome;
mod svg;

pub use svg::{escape as svg_escape, format_ns, to_svg};

/// A lifecycle state: deli's own, with its order, name and parsing.
pub use deli::State;

/// A state's fill colour in the pictures (colour-blind safe palette).
pub fn colour(state: State) -> &'static str {
    match state {
        State::New => "#999999",
        State::Ready => "#56b4e9",
        State::Running => "#009e73",
        State::Waiting => "#e69f00",
        State::Terminated => "#cc79a7",
    }
}

/// A job in one state from `start_ns` to `end_ns` on a lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub start_ns: u64,
    pub end_ns: u64,
    pub state: State,
    pub label: String,
}

/// A state change at one instant on a lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub at_ns: u64,
    pub state: State,
    pub label: String,
}

/// One row of the picture: a worker thread or a process.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lane {
    pub name: String,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
}

/// One panel: a titled set of lanes over a common time axis from zero.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    pub title: String,
    pub lanes: Vec<Lane>,
}

impl Timeline {
    /// The time of the last bar end or tick (at least 1 ns).
    pub fn end_ns(&self) -> u64 {
        let bars = self.lanes.iter().flat_map(|lane| lane.bars.iter());
        let ticks = self.lanes.iter().flat_map(|lane| lane.ticks.iter());
        bars.map(|bar| bar.end_ns)
            .chain(ticks.map(|tick| tick.at_ns))
            .max()
            .unwrap_or(0)
            .max(1)
    }

    pub fn bar_count(&self) -> usize {
        self.lanes.iter().map(|lane| lane.bars.len()).sum()
    }

    pub fn tick_count(&self) -> usize {
        self.lanes.iter().map(|lane| lane.ticks.len()).sum()
    }
}

/// Orders lane names so that `worker-2` comes before `worker-10`.
pub fn natural_key(name: &str) -> (String, u64) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (text, number) = name.split_at(name.len() - digits);
    (text.to_owned(), number.parse().unwrap_or(0))
}

//! Drawing timelines as SVG: panels stacked top to bottom, each with lane
//! names on the left, bars packed into tracks so overlapping bars of one
//! lane stay visible, ticks as thin marks, a time axis and a legend.

use std::fmt::Write;

use super::{Bar, Lane, State, Timeline};

const WIDTH: f64 = 960.0;
const LABEL_WIDTH: f64 = 170.0;
const RIGHT_MARGIN: f64 = 20.0;
const PLOT_WIDTH: f64 = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
const TITLE_HEIGHT: f64 = 22.0;
const AXIS_HEIGHT: f64 = 26.0;
const LANE_GAP: f64 = 4.0;
const MIN_LANE_HEIGHT: f64 = 16.0;
const MAX_LANE_HEIGHT: f64 = 96.0;
const TRACK_HEIGHT: f64 = 12.0;
/// Beyond this many overlapping bars a lane reuses its tracks.
const MAX_TRACKS: usize = 48;
const LEGEND_HEIGHT: f64 = 24.0;
const FONT: &str = "font-family=\"sans-serif\" font-size=\"11\"";

/// A standalone SVG document (no XML declaration, so it can also be
/// inlined in XHTML) drawing `panels` one under the other.
pub fn to_svg(panels: &[Timeline]) -> String {
    let mut body = String::new();
    let mut y = LEGEND_HEIGHT;
    legend(&mut body, panels);
    // One scale for every panel, so the same instant lines up in each.
    let end_ns = panels.iter().map(Timeline::end_ns).max().unwrap_or(1);
    for panel in panels {
        y = draw_panel(&mut body, panel, y, end_ns);
    }
    let height = y + 6.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {WIDTH} {height:.0}\" {FONT}>\n\
         <rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height:.0}\" fill=\"#ffffff\"/>\n\
         {body}</svg>\n"
    )
}

fn legend(out: &mut String, panels: &[Timeline]) {
    let used: Vec<State> = State::ALL
        .into_iter()
        .filter(|state| {
            panels.iter().flat_map(|panel| &panel.lanes).any(|lane| {
                lane.bars.iter().any(|bar| bar.state == *state)
                    || lane.ticks.iter().any(|tick| tick.state == *state)
            })
        })
        .collect();
    let mut x = LABEL_WIDTH;
    for state in used {
        let _ = writeln!(
            out,
            "<rect x=\"{x}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"16\">{}</text>",
            super::colour(state),
            x + 16.0,
            state.name()
        );
        x += 90.0;
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"16\" text-anchor=\"end\" fill=\"#555555\">bars: time in a state; ticks: state changes</text>",
        WIDTH - RIGHT_MARGIN
    );
}

/// Draws one panel from `top`; returns where the next one starts.
fn draw_panel(out: &mut String, panel: &Timeline, top: f64, end_ns: u64) -> f64 {
    let scale = PLOT_WIDTH / end_ns as f64;
    let _ = writeln!(
        out,
        "<text x=\"4\" y=\"{}\" font-weight=\"bold\" font-size=\"13\">{}</text>",
        top + 15.0,
        escape(&panel.title)
    );
    let mut y = top + TITLE_HEIGHT;
    let plot_top = y;
    if panel.lanes.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{LABEL_WIDTH}\" y=\"{}\" fill=\"#555555\">(nothing recorded)</text>",
            y + 12.0
        );
        y += MIN_LANE_HEIGHT + LANE_GAP;
    }
    for (index, lane) in panel.lanes.iter().enumerate() {
        y = draw_lane(out, lane, index, y, scale);
    }
    axis(out, plot_top, y, end_ns, scale);
    y + AXIS_HEIGHT
}

fn draw_lane(out: &mut String, lane: &Lane, index: usize, top: f64, scale: f64) -> f64 {
    let (tracks, track_count) = pack(&lane.bars);
    let height = (track_count as f64 * TRACK_HEIGHT).clamp(MIN_LANE_HEIGHT, MAX_LANE_HEIGHT);
    let track_height = height / track_count as f64;
    if index % 2 == 0 {
        let _ = writeln!(
            out,
            "<rect x=\"{LABEL_WIDTH}\" y=\"{top:.2}\" width=\"{PLOT_WIDTH}\" height=\"{height:.2}\" fill=\"#f3f3f3\"/>"
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{:.2}\" text-anchor=\"end\">{}</text>",
        LABEL_WIDTH - 6.0,
        top + height / 2.0 + 4.0,
        escape(&shorten(&lane.name, 26))
    );
    for (bar, track) in lane.bars.iter().zip(tracks) {
        let x = LABEL_WIDTH + bar.start_ns as f64 * scale;
        // A bar too short to see still gets a sliver.
        let width = ((bar.end_ns.saturating_sub(bar.start_ns)) as f64 * scale).max(0.5);
        let y = top + track as f64 * track_height;
        // A hairline edge keeps back-to-back bars apart; thin ones keep their colour.
        let edge = if width >= 3.0 {
            " stroke=\"#ffffff\" stroke-width=\"0.6\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{width:.2}\" height=\"{:.2}\" fill=\"{}\"{edge}>\
             <title>{} ({}, {} – {})</title></rect>",
            y + 0.5,
            (track_height - 1.0).max(1.0),
            super::colour(bar.state),
            escape(&bar.label),
            bar.state.name(),
            format_ns(bar.start_ns),
            format_ns(bar.end_ns)
        );
    }
    for tick in &lane.ticks {
        let x = LABEL_WIDTH + tick.at_ns as f64 * scale;
        let _ = writeln!(
            out,
            "<line x1=\"{x:.2}\" y1=\"{top:.2}\" x2=\"{x:.2}\" y2=\"{:.2}\" stroke=\"{}\" \
             stroke-width=\"1\" stroke-opacity=\"0.8\"><title>{} → {} at {}</title></line>",
            top + height,
            super::colour(tick.state),
            escape(&tick.label),
            tick.state.name(),
            format_ns(tick.at_ns)
        );
    }
    top + height + LANE_GAP
}

/// Puts each bar on the first track free at its start; returns each bar's
/// track (in the bars' order) and how many tracks the lane needs.
fn pack(bars: &[Bar]) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..bars.len()).collect();
    order.sort_by_key(|&index| (bars[index].start_ns, bars[index].end_ns));
    let mut track_ends: Vec<u64> = Vec::new();
    let mut tracks = vec![0; bars.len()];
    for index in order {
        let bar = &bars[index];
        let free = track_ends.iter().position(|&end| end <= bar.start_ns);
        let track = match free {
            Some(track) => track,
            None if track_ends.len() < MAX_TRACKS => {
                track_ends.push(0);
                track_ends.len() - 1
            }
            None => index % MAX_TRACKS,
        };
        track_ends[track] = track_ends[track].max(bar.end_ns);
        tracks[index] = track;
    }
    (tracks, track_ends.len().max(1))
}

fn axis(out: &mut String, plot_top: f64, plot_bottom: f64, end_ns: u64, scale: f64) {
    let step = nice_step(end_ns);
    let _ = writeln!(
        out,
        "<line x1=\"{LABEL_WIDTH}\" y1=\"{plot_bottom:.2}\" x2=\"{}\" y2=\"{plot_bottom:.2}\" stroke=\"#333333\"/>",
        LABEL_WIDTH + PLOT_WIDTH
    );
    let mut at = 0;
    while at <= end_ns {
        let x = LABEL_WIDTH + at as f64 * scale;
        let _ = writeln!(
            out,
            "<line x1=\"{x:.2}\" y1=\"{plot_top:.2}\" x2=\"{x:.2}\" y2=\"{:.2}\" stroke=\"#cccccc\" stroke-dasharray=\"2,3\"/>\
             <text x=\"{x:.2}\" y=\"{:.2}\" text-anchor=\"middle\" fill=\"#333333\">{}</text>",
            plot_bottom + 4.0,
            plot_bottom + 16.0,
            format_ns(at)
        );
        at += step;
    }
}

/// A round step (1, 2 or 5 times a power of ten) giving at most ~10 marks.
fn nice_step(end_ns: u64) -> u64 {
    let rough = (end_ns / 10).max(1);
    let mut power = 1u64;
    while power.saturating_mul(10) <= rough {
        power *= 10;
    }
    [1, 2, 5, 10]
        .into_iter()
        .map(|factor| power.saturating_mul(factor))
        .find(|&step| step >= rough)
        .unwrap_or(power.saturating_mul(10))
}

/// `1.5 ms`, `250 µs`, `2 s`.
pub fn format_ns(ns: u64) -> String {
    let ns = ns as f64;
    if ns >= 1e9 {
        format!("{} s", trim(ns / 1e9))
    } else if ns >= 1e6 {
        format!("{} ms", trim(ns / 1e6))
    } else if ns >= 1e3 {
        format!("{} µs", trim(ns / 1e3))
    } else {
        format!("{ns} ns")
    }
}

fn trim(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max - 1).collect();
    format!("{kept}…")
}

/// Text made safe for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(start_ns: u64, end_ns: u64) -> Bar {
        Bar {
            start_ns,
            end_ns,
            state: State::Running,
            label: "job".into(),
        }
    }

    #[test]
    fn overlapping_bars_get_their_own_tracks() {
        let (tracks, count) = pack(&[bar(0, 10), bar(5, 15), bar(10, 20), bar(16, 30)]);
        assert_eq!(tracks, [0, 1, 0, 1]);
        assert_eq!(count, 2);
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(1_000_000_000), 100_000_000);
        assert_eq!(nice_step(730_000_000), 100_000_000);
        assert_eq!(nice_step(150_000), 20_000);
        assert_eq!(nice_step(1), 1);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_ns(1_500_000), "1.5 ms");
        assert_eq!(format_ns(250_000), "250 µs");
        assert_eq!(format_ns(2_000_000_000), "2 s");
        assert_eq!(format_ns(12), "12 ns");
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}

//! The report's charts as inline SVG (no script, no network): a bar chart
//! per workload of each mode's median speedup with its runs' spread as
//! whiskers, and the sweep's speedup-against-workers lines beside the ideal
//! line. Every drawn element carries a class (`bar`, `whisker`, `point`,
//! `series`, `ideal`) so a browser check can count them, and a `<title>`
//! tooltip with the figures.
//!
//! Uses the lab's rows ([`super::measure::Row`]) and the CLI's SVG escaping.

use std::fmt::Write;

use super::measure::Row;
use super::workload::Workload;
use crate::timeline::svg_escape as escape;

const WIDTH: f64 = 900.0;
const LABEL_WIDTH: f64 = 150.0;
const VALUE_WIDTH: f64 = 150.0;
const ROW_HEIGHT: f64 = 24.0;
const TITLE_HEIGHT: f64 = 28.0;
const AXIS_HEIGHT: f64 = 30.0;
const FONT: &str = "font-family=\"sans-serif\" font-size=\"12\"";
const DELI_COLOUR: &str = "#0072b2";
const PYTHON_COLOUR: &str = "#e69f00";
const GUIDE_COLOUR: &str = "#888888";

/// A step between axis ticks that gives about five ticks up to `max`.
fn tick_step(max: f64) -> f64 {
    let rough = (max / 5.0).max(1e-9);
    let magnitude = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * magnitude)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * magnitude)
}

fn format_tick(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The bar chart of `workload`'s rows: one bar per mode at its median
/// speedup, a whisker from its slowest to its fastest run, a dashed line at
/// 1x and one at the machine's `cores`.
pub fn speedup_bars(workload: Workload, rows: &[&Row], cores: usize) -> String {
    let plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let height = TITLE_HEIGHT + ROW_HEIGHT * rows.len() as f64 + AXIS_HEIGHT;
    let top = rows
        .iter()
        .filter_map(|row| row.speedup_max.or(row.speedup))
        .fold(cores as f64, f64::max)
        .max(1.0)
        * 1.08;
    let x = |speedup: f64| LABEL_WIDTH + plot_width * (speedup / top).clamp(0.0, 1.0);
    let plot_bottom = TITLE_HEIGHT + ROW_HEIGHT * rows.len() as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"speedup-chart\" \
         data-workload=\"{name}\" width=\"{WIDTH}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {WIDTH} {height:.0}\" {FONT}>\n\
         <rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height:.0}\" fill=\"#ffffff\"/>\n\
         <text x=\"4\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{name}: median speedup \
         by mode (whiskers: slowest to fastest run; dashed: 1x and the cores; deli blue, Python orange)</text>\n",
        name = workload.name()
    );
    let step = tick_step(top);
    let mut tick = 0.0;
    while tick <= top {
        let at = x(tick);
        let _ = writeln!(
            svg,
            "<line x1=\"{at:.1}\" y1=\"{TITLE_HEIGHT}\" x2=\"{at:.1}\" y2=\"{plot_bottom:.1}\" \
             stroke=\"#eeeeee\"/><text x=\"{at:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}x</text>",
            plot_bottom + 16.0,
            format_tick(tick)
        );
        tick += step;
    }
    for (index, row) in rows.iter().enumerate() {
        let top_y = TITLE_HEIGHT + ROW_HEIGHT * index as f64;
        let middle = top_y + ROW_HEIGHT / 2.0;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL_WIDTH - 6.0,
            middle + 4.0,
            escape(row.mode.name())
        );
        let Some(speedup) = row.speedup else {
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#b00020\">{}</text>",
                LABEL_WIDTH + 4.0,
                middle + 4.0,
                match (row.correct, row.skipped.is_some()) {
                    (true, _) => "no baseline",
                    (false, true) => "skipped",
                    (false, false) => "failed",
                }
            );
            continue;
        };
        let colour = if row.mode.is_python() {
            PYTHON_COLOUR
        } else {
            DELI_COLOUR
        };
        let flagged = !row.flags.is_empty();
        let low = row.speedup_min.unwrap_or(speedup);
        let high = row.speedup_max.unwrap_or(speedup);
        let tooltip = format!(
            "{} / {}: {speedup:.2}x median, {low:.2}x to {high:.2}x over {} run{}{}",
            workload.name(),
            row.mode.name(),
            row.runs,
            if row.runs == 1 { "" } else { "s" },
            if flagged { "; flagged" } else { "" }
        );
        let _ = writeln!(
            svg,
            "<rect class=\"bar\" x=\"{LABEL_WIDTH}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
             fill=\"{colour}\" fill-opacity=\"{}\"><title>{}</title></rect>",
            top_y + 4.0,
            (x(speedup) - LABEL_WIDTH).max(1.0),
            ROW_HEIGHT - 8.0,
            if flagged { "0.4" } else { "0.85" },
            escape(&tooltip)
        );
        let (left, right) = (x(low), x(high));
        let _ = writeln!(
            svg,
            "<g class=\"whisker\" stroke=\"#222222\" stroke-width=\"1.2\">\
             <line x1=\"{left:.1}\" y1=\"{middle:.1}\" x2=\"{right:.1}\" y2=\"{middle:.1}\"/>\
             <line x1=\"{left:.1}\" y1=\"{:.1}\" x2=\"{left:.1}\" y2=\"{:.1}\"/>\
             <line x1=\"{right:.1}\" y1=\"{:.1}\" x2=\"{right:.1}\" y2=\"{:.1}\"/>\
             <title>{}</title></g>",
            middle - 5.0,
            middle + 5.0,
            middle - 5.0,
            middle + 5.0,
            escape(&tooltip)
        );
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\">{speedup:.2}x{}</text>",
            x(top) + 6.0,
            middle + 4.0,
            if flagged { " (flagged)" } else { "" }
        );
    }
    // The 1x line goes unlabelled (the axis says it); the cores line is
    // labelled under the axis.
    for at in [1.0, cores as f64] {
        let position = x(at);
        let _ = writeln!(
            svg,
            "<line class=\"guide\" x1=\"{position:.1}\" y1=\"{TITLE_HEIGHT}\" x2=\"{position:.1}\" \
             y2=\"{plot_bottom:.1}\" stroke=\"{GUIDE_COLOUR}\" stroke-dasharray=\"4 3\"/>"
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{GUIDE_COLOUR}\" text-anchor=\"middle\">{cores} core{}</text>",
        x(cores as f64),
        plot_bottom + 28.0,
        if cores == 1 { "" } else { "s" }
    );
    svg.push_str("</svg>\n");
    svg
}

/// One line of the sweep chart: `(workers, median, slowest, fastest)`.
#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub python: bool,
    pub points: Vec<(usize, f64, f64, f64)>,
}

const SWEEP_HEIGHT: f64 = 420.0;
const SWEEP_LEFT: f64 = 60.0;
const SWEEP_RIGHT: f64 = 190.0;
const SWEEP_TOP: f64 = 34.0;
const SWEEP_BOTTOM: f64 = 50.0;
const LINE_COLOURS: [&str; 6] = [
    "#0072b2", "#009e73", "#cc79a7", "#e69f00", "#d55e00", "#56b4e9",
];

/// Speedup against workers, 1 to `max_workers`, for each of `lines`, with
/// the ideal line (n workers, n times faster) and the machine's `cores`.
pub fn sweep_lines(lines: &[Line], max_workers: usize, cores: usize) -> String {
    let max_workers = max_workers.max(1);
    let plot_width = WIDTH - SWEEP_LEFT - SWEEP_RIGHT;
    let plot_height = SWEEP_HEIGHT - SWEEP_TOP - SWEEP_BOTTOM;
    let top = lines
        .iter()
        .flat_map(|line| line.points.iter().map(|point| point.3))
        .fold(max_workers as f64, f64::max)
        * 1.08;
    // Workers 1..=N spread over the width, half a step of margin each side.
    let x = |workers: f64| SWEEP_LEFT + plot_width * (workers - 0.5) / max_workers as f64;
    let y = |speedup: f64| SWEEP_TOP + plot_height * (1.0 - (speedup / top).clamp(0.0, 1.0));
    let bottom = SWEEP_TOP + plot_height;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sweep-chart\" width=\"{WIDTH}\" \
         height=\"{SWEEP_HEIGHT}\" viewBox=\"0 0 {WIDTH} {SWEEP_HEIGHT}\" {FONT}>\n\
         <rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{SWEEP_HEIGHT}\" fill=\"#ffffff\"/>\n\
         <text x=\"4\" y=\"18\" font-size=\"14\" font-weight=\"bold\">cpu: median speedup against \
         workers (whiskers: slowest to fastest run; dashed: ideal)</text>"
    );
    let step = tick_step(top);
    let mut tick = 0.0;
    while tick <= top {
        let at = y(tick);
        let _ = writeln!(
            svg,
            "<line x1=\"{SWEEP_LEFT}\" y1=\"{at:.1}\" x2=\"{:.1}\" y2=\"{at:.1}\" stroke=\"#eeeeee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}x</text>",
            SWEEP_LEFT + plot_width,
            SWEEP_LEFT - 6.0,
            at + 4.0,
            format_tick(tick)
        );
        tick += step;
    }
    for workers in 1..=max_workers {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{workers}</text>",
            x(workers as f64),
            bottom + 16.0
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">workers</text>",
        SWEEP_LEFT + plot_width / 2.0,
        bottom + 36.0
    );
    let ideal: Vec<String> = (1..=max_workers)
        .map(|workers| format!("{:.1},{:.1}", x(workers as f64), y(workers as f64)))
        .collect();
    let _ = writeln!(
        svg,
        "<polyline class=\"ideal\" points=\"{}\" fill=\"none\" stroke=\"{GUIDE_COLOUR}\" \
         stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>ideal: n workers, n times faster</title></polyline>",
        ideal.join(" ")
    );
    if cores < max_workers {
        let at = x(cores as f64 + 0.5);
        let _ = writeln!(
            svg,
            "<line class=\"guide\" x1=\"{at:.1}\" y1=\"{SWEEP_TOP}\" x2=\"{at:.1}\" y2=\"{bottom:.1}\" \
             stroke=\"{GUIDE_COLOUR}\" stroke-dasharray=\"2 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{GUIDE_COLOUR}\">{cores} cores</text>",
            at + 4.0,
            SWEEP_TOP + 12.0
        );
    }
    for (index, line) in lines.iter().enumerate() {
        let colour = LINE_COLOURS[index % LINE_COLOURS.len()];
        let points: Vec<String> = line
            .points
            .iter()
            .map(|point| format!("{:.1},{:.1}", x(point.0 as f64), y(point.1)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline class=\"series\" data-mode=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" \
             stroke-width=\"2\"{}/>",
            escape(&line.name),
            points.join(" "),
            if line.python {
                " stroke-dasharray=\"8 2\""
            } else {
                ""
            }
        );
        for &(workers, median, low, high) in &line.points {
            let (cx, low_y, high_y) = (x(workers as f64), y(low), y(high));
            let _ = writeln!(
                svg,
                "<g class=\"whisker\" stroke=\"{colour}\"><line x1=\"{cx:.1}\" y1=\"{low_y:.1}\" \
                 x2=\"{cx:.1}\" y2=\"{high_y:.1}\"/></g>\
                 <circle class=\"point\" cx=\"{cx:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\">\
                 <title>{}: {workers} worker{}, {median:.2}x ({low:.2}x to {high:.2}x)</title></circle>",
                y(median),
                escape(&line.name),
                if workers == 1 { "" } else { "s" }
            );
        }
        let legend_y = SWEEP_TOP + 18.0 * index as f64 + 6.0;
        let legend_x = SWEEP_LEFT + plot_width + 16.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{legend_x:.1}\" y1=\"{legend_y:.1}\" x2=\"{:.1}\" y2=\"{legend_y:.1}\" \
             stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            legend_x + 22.0,
            legend_x + 28.0,
            legend_y + 4.0,
            escape(&line.name)
        );
    }
    let legend_y = SWEEP_TOP + 18.0 * lines.len() as f64 + 6.0;
    let legend_x = SWEEP_LEFT + plot_width + 16.0;
    let _ = writeln!(
        svg,
        "<line x1=\"{legend_x:.1}\" y1=\"{legend_y:.1}\" x2=\"{:.1}\" y2=\"{legend_y:.1}\" \
         stroke=\"{GUIDE_COLOUR}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\">ideal</text>",
        legend_x + 22.0,
        legend_x + 28.0,
        legend_y + 4.0
    );
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::super::modes::Mode;
    use super::super::noise::{judge, tests::row};
    use super::*;

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).expect("well-formed SVG")
    }

    fn count(document: &roxmltree::Document<'_>, class: &str) -> usize {
        document
            .descendants()
            .filter(|node| node.attribute("class") == Some(class))
            .count()
    }

    #[test]
    fn one_bar_and_whisker_per_measured_mode() {
        let mut rows = vec![
            row(Workload::Cpu, Mode::Sequential, &[480.0, 470.0, 500.0], 1),
            row(Workload::Cpu, Mode::ThreadPool, &[250.0, 240.0, 300.0], 2),
            row(Workload::Cpu, Mode::PythonSequential, &[500.0], 1),
        ];
        rows.push(Row::failed(Workload::Cpu, Mode::Threads, 16, "boom".into()));
        judge(&mut rows, 2, 2);
        let refs: Vec<&Row> = rows.iter().collect();
        let svg = speedup_bars(Workload::Cpu, &refs, 2);
        let document = parse(&svg);
        assert_eq!(count(&document, "bar"), 3);
        assert_eq!(count(&document, "whisker"), 3);
        assert!(svg.contains(">failed</text>"));
        assert!(svg.contains("cpu / thread-pool: 1.92x median, 1.60x to 2.00x over 3 runs"));
        // Bars scale with the speedup: the pool's is about twice the baseline's.
        let widths: Vec<f64> = document
            .descendants()
            .filter(|node| node.attribute("class") == Some("bar"))
            .map(|node| node.attribute("width").unwrap().parse().unwrap())
            .collect();
        assert!((widths[1] / widths[0] - 1.92).abs() < 0.01, "{widths:?}");
    }

    #[test]
    fn the_sweep_has_the_ideal_line_and_a_point_per_worker_count() {
        let lines = vec![
            Line {
                name: "threads".into(),
                python: false,
                points: vec![(1, 1.0, 0.9, 1.1), (2, 1.9, 1.8, 2.0), (3, 1.9, 1.7, 2.0)],
            },
            Line {
                name: "python-processes".into(),
                python: true,
                points: vec![(1, 0.9, 0.9, 0.9), (2, 1.7, 1.6, 1.8), (3, 1.8, 1.7, 1.9)],
            },
        ];
        let svg = sweep_lines(&lines, 3, 2);
        let document = parse(&svg);
        assert_eq!(count(&document, "ideal"), 1);
        assert_eq!(count(&document, "series"), 2);
        assert_eq!(count(&document, "point"), 6);
        assert!(svg.contains(">2 cores</text>"));
    }
}

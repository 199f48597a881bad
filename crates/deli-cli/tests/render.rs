//! `deli trace render` on a hand-written Chrome trace in the format
//! `deli::trace` writes, and on files that are not traces.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trace.json")
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("deli-render-test-{}-{name}", std::process::id()))
}

fn render(trace: &std::path::Path, svg: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deli"))
        .arg("trace")
        .arg("render")
        .arg(trace)
        .arg("--svg")
        .arg(svg)
        .output()
        .expect("deli runs")
}

#[test]
fn a_trace_becomes_lanes_of_bars_and_ticks() {
    let svg = scratch("ok.svg");
    let output = render(&fixture(), &svg);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains("4 lanes, 7 bars, 7 state changes"),
        "{summary}"
    );

    let text = std::fs::read_to_string(&svg).unwrap();
    let document = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let texts: Vec<&str> = document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .collect();
    for lane in ["worker 0", "worker 1", "pool thread 0", "process 4250"] {
        assert!(texts.contains(&lane), "no lane {lane} in {texts:?}");
    }
    // Bars are the rects with a tooltip: the 4 Running slices, and task
    // 12's stretches of Ready (twice) and Waiting between its transitions.
    let bar_fills: Vec<&str> = document
        .descendants()
        .filter(|node| {
            node.has_tag_name("rect") && node.children().any(|c| c.has_tag_name("title"))
        })
        .filter_map(|node| node.attribute("fill"))
        .collect();
    let count = |colour: &str| bar_fills.iter().filter(|fill| **fill == colour).count();
    assert_eq!(bar_fills.len(), 7);
    assert_eq!(count("#009e73"), 4, "Running");
    assert_eq!(count("#56b4e9"), 2, "Ready");
    assert_eq!(count("#e69f00"), 1, "Waiting");
    let ticks = document
        .descendants()
        .filter(|node| {
            node.has_tag_name("line") && node.children().any(|c| c.has_tag_name("title"))
        })
        .count();
    assert_eq!(ticks, 7);
    let _ = std::fs::remove_file(&svg);
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let svg = scratch("missing.svg");
    let output = render(&scratch("no-such-trace.json"), &svg);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("deli trace render: cannot read "),
        "{stderr}"
    );
    assert!(stderr.contains("No such file"), "{stderr}");
    assert!(!svg.exists());
}

#[test]
fn a_file_that_is_not_a_trace_is_a_clear_error() {
    let svg = scratch("bad.svg");
    for (name, text, expected) in [
        ("truncated.json", "{\"traceEvents\": [", "not JSON"),
        ("other.json", "{\"rows\": []}", "not a Chrome trace"),
        (
            "bad-event.json",
            "{\"traceEvents\": [{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":1}]}",
            "trace event 0: \"X\" without a \"dur\"",
        ),
    ] {
        let trace = scratch(name);
        std::fs::write(&trace, text).unwrap();
        let output = render(&trace, &svg);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        let _ = std::fs::remove_file(&trace);
    }
    assert!(!svg.exists());
}

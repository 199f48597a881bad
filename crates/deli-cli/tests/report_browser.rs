//! The lab's HTML reports in a real browser: headless Chromium loads the
//! quick lab's `index.html` and the sweep's `sweep.html` with `#check`, so
//! the page's own layout check writes what the browser laid out into the
//! DOM (`--dump-dom` prints it): every speedup chart, bar and whisker, the
//! sweep's points and ideal line, and no element wider than the window.
//! A screenshot is taken too, and must be a real PNG.
//!
//! Where no Chromium is installed (`DELI_CHROMIUM`, else
//! `/usr/bin/chromium`, else `chromium` on `PATH`), the test says why and
//! passes; `DELI_CHROMIUM=/nowhere` shows the skip on a machine that has one.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{deli, run_bounded, scratch};
use serde_json::Value;

const LAB_BOUND: Duration = Duration::from_secs(90);
/// Chromium starts slowly on a busy machine; this is its bound per page.
const BROWSER_BOUND: Duration = Duration::from_secs(90);
/// Narrower than the report's 1000 px body, so the charts must shrink.
const WINDOW: (u32, u32) = (800, 900);

/// The browser to use, or why there is none.
fn chromium() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("DELI_CHROMIUM") {
        let path = PathBuf::from(path);
        return match path.is_file() {
            true => Ok(path),
            false => Err(format!("DELI_CHROMIUM={} is not a file", path.display())),
        };
    }
    let installed = PathBuf::from("/usr/bin/chromium");
    if installed.is_file() {
        return Ok(installed);
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("chromium"))
                .find(|candidate| candidate.is_file())
        })
        .ok_or_else(|| {
            "no Chromium here (install Debian's `chromium`, or set DELI_CHROMIUM)".to_owned()
        })
}

/// Chromium with the flags this sandbox needs and a profile of its own.
fn browser(chromium: &Path, profile: &Path, extra: &[String], url: &str) -> std::process::Output {
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .args(extra)
        .arg(url);
    let (output, _) = run_bounded(command, BROWSER_BOUND);
    assert!(
        output.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// What the page's layout check wrote, as the browser laid it out.
fn layout(chromium: &Path, profile: &Path, page: &Path) -> Value {
    let url = format!("file://{}#check", page.display());
    let output = browser(chromium, profile, &["--dump-dom".to_owned()], &url);
    let dom = String::from_utf8_lossy(&output.stdout);
    let start = dom
        .find("<pre id=\"layout-check\">")
        .unwrap_or_else(|| panic!("no layout check in the DOM of {url}:\n{dom}"));
    let text = &dom[start + "<pre id=\"layout-check\">".len()..];
    let text = &text[..text.find("</pre>").expect("the check's end")];
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn number(report: &Value, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {report}"))
}

#[test]
fn the_report_renders_its_charts_within_the_page() {
    let chromium = match chromium() {
        Ok(chromium) => chromium,
        Err(why) => {
            eprintln!("skipping the browser check: {why}");
            return;
        }
    };
    let out = scratch("browser");
    let dir = out.to_str().unwrap();
    let (lab, _) = deli(&["lab", "--quick", "--json", "--out", dir], LAB_BOUND);
    assert!(
        lab.status.success(),
        "{}",
        String::from_utf8_lossy(&lab.stderr)
    );
    let document: Value = serde_json::from_slice(&lab.stdout).expect("lab JSON");
    let rows = document["results"].as_array().unwrap();
    // A skipped row (python-deli-processes where no python imports deli)
    // has no bar, whisker or timeline.
    let shown_rows = rows.iter().filter(|row| row["skipped"].is_null()).count() as u64;
    let (sweep, _) = deli(
        &[
            "lab",
            "--sweep",
            "--quick",
            "--json",
            "--max-workers",
            "2",
            "--out",
            dir,
        ],
        LAB_BOUND,
    );
    assert!(
        sweep.status.success(),
        "{}",
        String::from_utf8_lossy(&sweep.stderr)
    );
    let sweep: Value = serde_json::from_slice(&sweep.stdout).expect("sweep JSON");
    let profile = out.join("chromium-profile");

    let report = layout(&chromium, &profile, &out.join("index.html"));
    eprintln!("index.html as laid out: {report}");
    assert_eq!(number(&report, "speedupCharts"), 3);
    assert_eq!(number(&report, "bars"), shown_rows);
    assert_eq!(number(&report, "whiskers"), shown_rows);
    assert_eq!(number(&report, "timelines"), shown_rows);
    assert_eq!(number(&report, "recommendations"), 3);
    let client = number(&report, "clientWidth");
    assert!(client > 0 && client <= u64::from(WINDOW.0), "{report}");
    assert!(
        number(&report, "scrollWidth") <= client,
        "the page scrolls sideways: {report}"
    );
    assert!(
        number(&report, "widestRight") <= client,
        "a chart or table overflows: {report}"
    );

    let series = sweep["sweep"]["series"].as_array().unwrap().len() as u64;
    let report = layout(&chromium, &profile, &out.join("sweep.html"));
    eprintln!("sweep.html as laid out: {report}");
    assert_eq!(number(&report, "sweepCharts"), 1);
    assert_eq!(number(&report, "idealLines"), 1);
    assert_eq!(number(&report, "sweepPoints"), 2 * series);
    assert!(
        number(&report, "scrollWidth") <= number(&report, "clientWidth"),
        "{report}"
    );

    let shot = out.join("index.png");
    browser(
        &chromium,
        &profile,
        &[format!("--screenshot={}", shot.display())],
        &format!("file://{}", out.join("index.html").display()),
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 10_000,
        "a blank screenshot ({} bytes)",
        png.len()
    );
    let _ = std::fs::remove_dir_all(&out);
}

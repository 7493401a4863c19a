//! The timeline at scale (issue #19): render time, page size and, when chromium is installed,
//! the time the page takes to open, for histories of about 10,000, 100,000 and 1,000,000
//! operations.
//!
//! `cargo bench --bench render` (a plain timing loop, no external harness; wall-clock medians).
//! The budgets: a million operations render in at most 15 s to a page of at most a tenth of the
//! history's JSON that opens in chromium in at most 5 s; ten thousand render in at most 1 s.
//! `QUORATE_BENCH_SIZES=10000,100000` picks the sizes (operations, approximately);
//! `QUORATE_BENCH_RUNS=N` the runs of each (default 5, and 3 for a million).
//!
//! Each history is what `quorate sim --config dynamo --seed 1 --ops S --clients 10 --keys 20`
//! writes (partitions and crashes; S steps make about 1.43 S operations). "render" is what
//! `quorate render` does after reading the file: parse the bytes, validate, check, and draw the
//! page; "page" is the drawing alone (`render_html`). "open" is chromium's own clock: from
//! navigation start to the first picture drawn (the page records `performance.now()` then, with
//! the HTML parsed and the data decoded), and the whole `chromium --headless --screenshot`
//! process that opens the page and paints it, browser start included.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use quorate::check::{self, CheckOptions};
use quorate::config::Config;
use quorate::gen::{self, WorkloadOptions};
use quorate::history::{FaultType, History};
use quorate::render::{render_html, Highlight};
use quorate::sim;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|path| path.exists())
}

fn headless(browser: &Path, page: &Path, profile: &Path, mode: &str) -> Option<String> {
    let _ = std::fs::remove_dir_all(profile);
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,800",
            mode,
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Opens the page in headless chromium: (the first picture drawn after navigation start, as the
/// page measured it, read from `--dump-dom`; the whole process that loads the page and takes a
/// screenshot of it). The process is timed with `--screenshot` because `--dump-dom` also
/// serializes the page's data back into text, which opening it never does.
fn open(browser: &Path, page: &Path, folder: &Path) -> Option<(Duration, Duration)> {
    let dom = headless(browser, page, &folder.join("profile"), "--dump-dom")?;
    let drawn: u64 = dom
        .split("data-drawn-ms=\"")
        .nth(1)?
        .split('"')
        .next()?
        .parse()
        .ok()?;
    let shot = folder.join("shot.png");
    let start = Instant::now();
    headless(
        browser,
        page,
        &folder.join("profile"),
        &format!("--screenshot={}", shot.display()),
    )?;
    let whole = start.elapsed();
    std::fs::metadata(&shot).ok()?;
    Some((Duration::from_millis(drawn), whole))
}

fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

fn main() {
    let sizes: Vec<usize> = std::env::var("QUORATE_BENCH_SIZES")
        .ok()
        .map(|text| text.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    let runs_asked: Option<usize> = std::env::var("QUORATE_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok());
    let browser = chromium();
    let folder = tempfile::tempdir().expect("a temporary folder");
    println!(
        "wall-clock medians; chromium: {}",
        browser
            .as_ref()
            .map_or("not installed (no open times)".to_string(), |path| path
                .display()
                .to_string())
    );
    if let Some(browser) = &browser {
        let blank = folder.path().join("blank.html");
        std::fs::write(&blank, "<!DOCTYPE html><body data-drawn-ms=\"0\"></body>").unwrap();
        let wholes: Vec<Duration> = (0..3)
            .filter_map(|_| open(browser, &blank, folder.path()))
            .map(|(_, whole)| whole)
            .collect();
        if !wholes.is_empty() {
            println!(
                "chromium process on a blank page (browser start and exit): {}",
                seconds(median(wholes))
            );
        }
    }
    println!(
        "{:>10} {:>5} {:>11} {:>10} {:>9} {:>7} {:>9} {:>9} {:>12} {:>14}",
        "operations",
        "runs",
        "history",
        "page",
        "bytes/op",
        "ratio",
        "render",
        "(page)",
        "open: drawn",
        "open: process"
    );
    for size in sizes {
        let steps = (size as f64 / 1.43).round() as usize;
        let options = WorkloadOptions {
            ops: steps,
            clients: 10,
            keys: 20,
            faults: vec![FaultType::Partition, FaultType::Crash],
            ..WorkloadOptions::default()
        };
        let scenario = gen::workload(Config::preset("dynamo").unwrap(), 1, &options).unwrap();
        let history = sim::run(&scenario).unwrap().history;
        let json = history.to_json();
        let operations = history.operations.len();
        drop(history);
        let runs = runs_asked.unwrap_or(if size >= 1_000_000 { 3 } else { 5 });
        let (mut renders, mut drawings) = (Vec::new(), Vec::new());
        let mut page = String::new();
        for _ in 0..runs {
            let start = Instant::now();
            let history = History::parse(json.as_bytes()).expect("the history parses");
            let highlights = {
                let catalog = history.validated().expect("the history is valid");
                let report = check::check_catalog(&catalog, &CheckOptions::default())
                    .expect("the history is judged");
                Highlight::from_report(&report)
            };
            let drawing = Instant::now();
            page = render_html(&history, &highlights, "bench");
            drawings.push(drawing.elapsed());
            renders.push(start.elapsed());
        }
        let path = folder.path().join(format!("page-{size}.html"));
        std::fs::write(&path, &page).unwrap();
        let (drawn, whole) = match &browser {
            Some(browser) => {
                let opens: Vec<(Duration, Duration)> = (0..runs)
                    .filter_map(|_| open(browser, &path, folder.path()))
                    .collect();
                if opens.is_empty() {
                    ("failed".to_string(), "failed".to_string())
                } else {
                    (
                        seconds(median(opens.iter().map(|o| o.0).collect())),
                        seconds(median(opens.iter().map(|o| o.1).collect())),
                    )
                }
            }
            None => ("-".to_string(), "-".to_string()),
        };
        println!(
            "{:>10} {:>5} {:>8.1} MB {:>7.2} MB {:>9.1} {:>6.1}% {:>9} {:>9} {:>12} {:>14}",
            operations,
            runs,
            json.len() as f64 / 1e6,
            page.len() as f64 / 1e6,
            page.len() as f64 / operations as f64,
            100.0 * page.len() as f64 / json.len() as f64,
            seconds(median(renders)),
            seconds(median(drawings)),
            drawn,
            whole
        );
    }
}

//! The timeline page in a real headless browser (Debian's chromium): it loads with no console
//! errors, its script runs, it shows one lane per client per key, it highlights the anomaly, an
//! anomaly in the list brings its operations into view, a zoo witness shows its node lanes and
//! arrows, a hostile history runs no script, a large history draws only what is in view, and a
//! screenshot of it is a real picture. The page draws on a canvas, so the tests read what it drew
//! from its script's state (`window.quorate`), written into the body's data attributes by a
//! probe script the test appends (never the page's own).
//!
//! The tests need chromium, so they are ignored by a plain `cargo test` (which reports them as
//! ignored, never as passed); `.ci/run` installs chromium and runs them with
//! `cargo test --test render_browser -- --include-ignored`. Asked to run without a browser, they
//! fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use quorate::check::{check, CheckOptions};
use quorate::history::History;
use quorate::render::{render_html, Highlight};

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

/// The browser; a test that runs without one fails, naming what to install.
fn chromium_or_fail() -> PathBuf {
    chromium().expect(
        "chromium is missing from /usr/bin: install it (Debian: apt-get install chromium) to run the browser tests",
    )
}

/// Runs headless chromium on the page with extra arguments; returns (stdout, stderr).
fn run_chromium(browser: &Path, page: &Path, profile: &Path, extra: &[&str]) -> (String, String) {
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("start chromium");
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    (text(output.stdout), text(output.stderr))
}

#[test]
#[ignore = "needs chromium; .ci/run runs it with --include-ignored"]
fn timeline_page_in_a_real_browser() {
    let browser = chromium_or_fail();
    // A known history: read #41 misses put v9, acknowledged before the read began.
    let history = History::from_json(include_str!("fixtures/check/stale_read.json")).unwrap();
    let report = check(&history, &CheckOptions::default()).unwrap();
    let mut highlights = Highlight::from_report(&report);
    assert_eq!(highlights.len(), 1);
    // An allowed anomaly, by hand, on another write: another colour, and said so on hover.
    let mut allowed = Highlight::new("siblings", "two writes", vec![quorate::history::OpId(7)]);
    allowed.allowed_under = Some("eventual".to_string());
    highlights.push(allowed);
    let folder = tempfile::tempdir().unwrap();
    let page = folder.path().join("timeline.html");
    std::fs::write(&page, render_html(&history, &highlights, "stale read")).unwrap();

    let probe = r#"<script>
const q = window.quorate;
document.body.dataset.clientLanes = q.stats().clientLanes;
document.body.dataset.keys = q.stats().keys;
document.body.dataset.read = q.opText(41);
document.body.dataset.write = q.opText(9);
document.body.dataset.other = q.opText(7);
const allowed = document.querySelector("li.allowed");
document.body.dataset.allowed = allowed ? allowed.title + " | " + allowed.textContent : "none";
</script></body>"#;
    let probed = folder.path().join("probed.html");
    std::fs::write(
        &probed,
        std::fs::read_to_string(&page)
            .unwrap()
            .replace("</body>", probe),
    )
    .unwrap();
    let (dom, log) = run_chromium(
        &browser,
        &probed,
        &folder.path().join("profile-dom"),
        &["--dump-dom"],
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the page's script did not finish: {dom}"
    );
    assert!(
        dom.contains("data-client-lanes=\"3\""),
        "one key, three clients: {dom}"
    );
    assert!(dom.contains("data-keys=\"1\""), "{dom}");
    // The read and the write it missed carry the anomaly; another write does not.
    let attribute = |name: &str| {
        dom.split(&format!("data-{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        attribute("read").starts_with("#41 by client 3 on key cart: get {v7}"),
        "{}",
        attribute("read")
    );
    assert!(
        attribute("read").contains("stale read under r + w &gt; n"),
        "{dom}"
    );
    assert!(
        attribute("write").contains("stale read under r + w &gt; n"),
        "{dom}"
    );
    assert!(!attribute("other").contains("stale read"), "{dom}");
    assert!(
        attribute("other").contains("siblings: two writes (allowed under eventual)"),
        "{dom}"
    );
    assert_eq!(
        attribute("allowed"),
        "allowed under eventual; click to show its operations | siblings (#7): two writes"
    );
    assert!(dom.contains("class=\"forbidden witness\""), "{dom}");

    let screenshot = folder.path().join("timeline.png");
    let argument = format!("--screenshot={}", screenshot.display());
    run_chromium(
        &browser,
        &page,
        &folder.path().join("profile-shot"),
        &[&argument],
    );
    let bytes = std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A blank 1280×800 PNG compresses to a few kilobytes; the timeline has text and bars.
    assert!(
        bytes.len() > 15_000,
        "screenshot is only {} bytes",
        bytes.len()
    );
}

/// The README's promise: the timeline of an edge-case history shows its anomaly in a browser.
#[test]
#[ignore = "needs chromium; .ci/run runs it with --include-ignored"]
fn edge_case_timeline_shows_its_anomaly() {
    let browser = chromium_or_fail();
    let folder = tempfile::tempdir().unwrap();
    let page = folder.path().join("edge-case.html");
    let case = "histories/edge-cases/01-sloppy-quorum-stale-read.json";
    let status = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .args(["render", case, "--out"])
        .arg(&page)
        .status()
        .expect("run quorate render");
    assert!(status.success());
    let (dom, log) = run_chromium(
        &browser,
        &page,
        &folder.path().join("profile"),
        &["--dump-dom"],
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("data-ready=\"yes\""));
    // The case is checked against its own model (quorum), which forbids its stale read.
    assert!(dom.contains("stale_read (forbidden)"), "{dom}");
    assert!(dom.contains("class=\"forbidden witness\""), "{dom}");
}

/// An external history (a Porcupine log that is not linearizable) opens with the linearizability
/// checker's result: the operation that cannot be linearized is the forbidden witness, and
/// clicking it brings it into view and shows its label (the operation and its line) and the
/// counterexample in the detail panel; the prefix's operations carry their place in the
/// linearization and the model's state after them; times are the file's events.
#[test]
#[ignore = "needs chromium; .ci/run runs it with --include-ignored"]
fn an_external_history_shows_the_operation_that_cannot_be_linearized() {
    let browser = chromium_or_fail();
    let folder = tempfile::tempdir().unwrap();
    let page = folder.path().join("external.html");
    let status = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .args(["render", "tests/corpora/porcupine-kv/c01-bad.txt", "--out"])
        .arg(&page)
        .status()
        .expect("run quorate render");
    assert!(status.success());
    let probe = r#"<script>
const q = window.quorate;
const witness = q.data.anomalies[0].o[0];
const first = q.data.anomalies[1].o[0];
document.querySelector("li[data-ops]").click();
document.body.dataset.witness = q.inView(witness) ? "visible" : "hidden";
document.body.dataset.label = q.label(witness);
document.body.dataset.first = q.label(first);
document.body.dataset.text = q.opText(witness);
</script></body>"#;
    let text = std::fs::read_to_string(&page)
        .unwrap()
        .replace("</body>", probe);
    std::fs::write(&page, text).unwrap();
    let (dom, log) = run_chromium(
        &browser,
        &page,
        &folder.path().join("profile"),
        &["--dump-dom"],
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("data-ready=\"yes\""), "{dom}");
    assert!(dom.contains("data-witness=\"visible\""), "{dom}");
    assert!(dom.contains("data-label=\"get → "), "{dom}");
    assert!(dom.contains("(line 59)"), "the witness's line: {dom}");
    assert!(
        dom.contains("data-first=\"1. "),
        "the prefix's first operation: {dom}"
    );
    assert!(
        dom.contains(" ⇒ the key holds"),
        "the state after it: {dom}"
    );
    assert!(dom.contains("invoked at event "), "{dom}");
    assert!(dom.contains("not linearizable (forbidden)"), "{dom}");
    assert!(dom.contains("Not linearizable under the kv model"), "{dom}");
}

/// Clicking an anomaly in the list brings its operations into view, highlights them and shows
/// their whole descriptions in the detail panel. The stale read sits on key `cart`, drawn after
/// forty other keys, so it starts far below the view; a script appended by the test (not the
/// page's) clicks the first anomaly and writes what it sees (the page's `window.quorate`: whether
/// a bar is drawn inside the view and the window) into the body's data attributes.
#[test]
#[ignore = "needs chromium; .ci/run runs it with --include-ignored"]
fn clicking_an_anomaly_scrolls_to_and_highlights_its_operations() {
    let browser = chromium_or_fail();
    let mut history = History::from_json(include_str!("fixtures/check/stale_read.json")).unwrap();
    for index in 0..40u64 {
        let text = format!(
            r#"{{"id": {}, "client": 0, "key": "a{index:02}", "kind": "put", "value": "w{index}", "time_ms_invoke": {}, "time_ms_complete": {}, "outcome": "ok"}}"#,
            1000 + index,
            200 + 10 * index,
            205 + 10 * index
        );
        history
            .operations
            .push(serde_json::from_str(&text).unwrap());
    }
    history.validate().unwrap();
    let report = check(&history, &CheckOptions::default()).unwrap();
    let highlights = Highlight::from_report(&report);
    assert_eq!(highlights.len(), 1, "{highlights:?}");
    let probe = r#"<script>
const q = window.quorate;
document.body.dataset.before = q.inView(41) ? "visible" : "hidden";
document.querySelector("li[data-ops]").click();
document.body.dataset.after = q.inView(41) && q.inView(9) ? "visible" : "hidden";
</script></body>"#;
    let page_text = render_html(&history, &highlights, "click").replace("</body>", probe);
    let folder = tempfile::tempdir().unwrap();
    let page = folder.path().join("click.html");
    std::fs::write(&page, page_text).unwrap();
    let (dom, log) = run_chromium(
        &browser,
        &page,
        &folder.path().join("profile"),
        &["--dump-dom"],
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("data-ready=\"yes\""), "{dom}");
    assert!(
        dom.contains("data-before=\"hidden\""),
        "the read starts in view: {dom}"
    );
    assert!(
        dom.contains("data-after=\"visible\""),
        "the click did not scroll: {dom}"
    );
    assert!(dom.contains("data-focused=\"41 9\""), "{dom}");
    // The detail panel holds the read's whole description, uncut.
    let panel = &dom[dom.find("id=\"detail\"").expect("a detail panel")..];
    assert!(
        panel.contains("#41 by client 3 on key cart: get {v7}"),
        "{panel}"
    );
}

/// The issue's promise for a zoo bug: `quorate explore --bug repair-overwrites --out` saves a
/// witness whose page, as it opens and without hovering, shows the node lanes, the messages
/// between them, and the repair that made the replica stale, named above the picture and
/// labelled on its arrow in view. With `QUORATE_UPDATE_DOCS=1` the test also saves its
/// screenshot as `docs/timeline-repair-overwrites.png` (the README's picture).
#[test]
#[ignore = "needs chromium; .ci/run runs it with --include-ignored"]
fn a_zoo_witness_shows_the_repair_that_made_the_replica_stale() {
    let browser = chromium_or_fail();
    let folder = tempfile::tempdir().unwrap();
    let case = folder.path().join("case.json");
    let output = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .args(["explore", "--bug", "repair-overwrites", "--out"])
        .arg(&case)
        .output()
        .expect("run quorate explore");
    let page = folder.path().join("case.html");
    assert!(
        page.exists(),
        "no page: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let text = std::fs::read_to_string(&page).unwrap();
    let probe = r#"<script>
const stats = window.quorate.stats();
const box = stats.chainLabels.find((l) => l.text.includes("REPLACE"));
const frame = document.getElementById("timeline").getBoundingClientRect();
document.body.dataset.repairInView = box && box.left >= frame.left && box.right <= frame.right && box.top >= frame.top && box.bottom <= frame.bottom && box.top >= 0 && box.bottom <= innerHeight ? "yes" : "no";
document.body.dataset.nodeLanes = stats.nodeLanes;
document.body.dataset.arrows = stats.arrows;
document.body.dataset.why = document.querySelector(".why") ? document.querySelector(".why").textContent : "";
</script></body>"#;
    let probed = folder.path().join("probed.html");
    std::fs::write(&probed, text.replace("</body>", probe)).unwrap();
    let (dom, log) = run_chromium(
        &browser,
        &probed,
        &folder.path().join("profile"),
        &["--dump-dom"],
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("data-ready=\"yes\""), "{dom}");
    assert!(
        dom.contains("data-node-lanes=\"3\""),
        "three replicas of one key: {dom}"
    );
    let arrows: usize = dom
        .split("data-arrows=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|number| number.parse().ok())
        .expect("the probe counted the arrows");
    assert!(arrows > 20, "{arrows} arrows");
    assert!(dom.contains("REPLACE"), "{dom}");
    let why = dom
        .split("data-why=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    assert!(
        why.contains(" lost ") && why.contains("REPLACE"),
        "why: {why}"
    );
    assert!(
        dom.contains("data-repair-in-view=\"yes\""),
        "the repair is not in view as the page opens: {dom}"
    );

    let screenshot = folder.path().join("witness.png");
    let argument = format!("--screenshot={}", screenshot.display());
    run_chromium(
        &browser,
        &page,
        &folder.path().join("profile-shot"),
        &[&argument],
    );
    let bytes = std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 15_000,
        "screenshot is only {} bytes",
        bytes.len()
    );
    if std::env::var_os("QUORATE_UPDATE_DOCS").is_some() {
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/timeline-repair-overwrites.png"),
            &bytes,
        )
        .unwrap();
    }
}

/// Every text of a hostile history (keys, values, trace summaries and sibling sets, the title and
/// an anomaly's words) reaches the page as inert data: no script of it runs, no element of it
/// appears, and the page still draws it, whole on hover.
#[test]
#[ignore = "needs chromium; .ci/run runs it with --include-ignored"]
fn a_hostile_history_runs_no_script_of_its_own() {
    let browser = chromium_or_fail();
    let evil = r#"</script><script>document.body.dataset.pwned="script"</script><img src=x onerror="document.body.dataset.pwned='img'"><!--"#;
    let history = History::from_json(
        &serde_json::json!({
            "version": 1,
            "operations": [
                {"id": 0, "client": 0, "key": evil, "kind": "put", "value": evil,
                 "time_ms_invoke": 0, "time_ms_complete": 2, "outcome": "ok"},
                {"id": 1, "client": 1, "key": evil, "kind": "get", "values": [evil],
                 "time_ms_invoke": 3, "time_ms_complete": 5, "outcome": "ok"}
            ],
            "trace": {"events": [
                {"event": "send", "message": 0, "time_ms": 1, "from": {"node": 0}, "to": {"node": 1},
                 "op": 0, "key": evil, "summary": evil},
                {"event": "deliver", "message": 0, "time_ms": 2},
                {"event": "state", "time_ms": 2, "node": 1, "key": evil, "values": [evil], "tombstones": [evil]}
            ]}
        })
        .to_string(),
    )
    .unwrap();
    let highlight = Highlight::new(evil, evil, vec![quorate::history::OpId(1)]);
    let folder = tempfile::tempdir().unwrap();
    let probe = r#"<script>
document.body.dataset.images = document.querySelectorAll("img").length;
document.body.dataset.scripts = document.querySelectorAll("script").length;
document.querySelector("li[data-ops]").click();
document.body.dataset.detail = document.getElementById("detail").textContent.includes('onerror="document.body.dataset.pwned') ? "whole" : "cut";
document.body.dataset.arrows = window.quorate.stats().arrows;
</script></body>"#;
    let page = folder.path().join("evil.html");
    std::fs::write(
        &page,
        render_html(&history, &[highlight], evil).replace("</body>", probe),
    )
    .unwrap();
    let (dom, log) = run_chromium(
        &browser,
        &page,
        &folder.path().join("profile"),
        &["--dump-dom"],
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("data-ready=\"yes\""), "{dom}");
    assert!(
        !dom.contains("data-pwned"),
        "the history ran a script: {dom}"
    );
    assert!(dom.contains("data-images=\"0\""), "{dom}");
    // The data, the page's own script and the probe.
    assert!(dom.contains("data-scripts=\"3\""), "{dom}");
    assert!(dom.contains("data-detail=\"whole\""), "{dom}");
    assert!(
        dom.contains("data-arrows=\"1\""),
        "the trace was not drawn: {dom}"
    );
}

/// A history of some twenty thousand operations on twenty keys: the page draws only what is in
/// view (a bounded number of bars, the rest folded into runs), zooms with the keyboard and
/// Ctrl+wheel, pans with Shift+wheel, fits with `0`, goes to a key or an operation, and an
/// anomaly far away in time and keys is brought into view and highlighted.
#[test]
#[ignore = "needs chromium; .ci/run runs it with --include-ignored"]
fn a_large_history_draws_what_is_in_view_and_jumps_to_an_anomaly() {
    let browser = chromium_or_fail();
    let options = quorate::gen::WorkloadOptions {
        ops: 14_000,
        clients: 10,
        keys: 20,
        faults: vec![quorate::history::FaultType::Partition],
        faults_per_kind: 2,
    };
    let config = quorate::config::Config::preset("dynamo").unwrap();
    let scenario = quorate::gen::workload(config, 3, &options).unwrap();
    let history = quorate::sim::run(&scenario).unwrap().history;
    assert!(history.operations.len() > 18_000);
    // Two operations late in the run on the last key, pointed at by hand.
    let last_key = history.operations.iter().map(|op| &op.key).max().unwrap();
    let late: Vec<_> = history
        .operations
        .iter()
        .rev()
        .filter(|op| &op.key == last_key && op.time_ms_complete.is_some())
        .take(40)
        .map(|op| op.id)
        .collect();
    let pair = vec![late[39], late[0]];
    let highlight = Highlight::new("by hand", "two late operations", pair.clone());
    let folder = tempfile::tempdir().unwrap();
    let probe = format!(
        r##"<script>
const q = window.quorate;
const s = q.stats();
document.body.dataset.drawn = s.ops + s.runs;
document.body.dataset.before = q.inView({a}) ? "visible" : "hidden";
const fitted = q.view.step;
document.dispatchEvent(new KeyboardEvent("keydown", {{ key: "+" }}));
q.draw();
document.body.dataset.zoomed = q.view.step > fitted ? "yes" : "no";
document.dispatchEvent(new KeyboardEvent("keydown", {{ key: "0" }}));
q.draw();
document.body.dataset.fitted = Math.abs(q.view.step - fitted) < 1e-9 ? "yes" : "no";
const view = document.getElementById("view");
view.dispatchEvent(new WheelEvent("wheel", {{ deltaY: -200, ctrlKey: true, clientX: 600, clientY: 500, bubbles: true, cancelable: true }}));
document.body.dataset.wheelZoom = q.view.step > fitted ? "yes" : "no";
const left = q.view.r0;
view.dispatchEvent(new WheelEvent("wheel", {{ deltaY: 300, shiftKey: true, bubbles: true, cancelable: true }}));
document.body.dataset.wheelPan = q.view.r0 > left ? "yes" : "no";
document.body.dataset.gotoOperation = q.goTo("{hash}{c}") && q.inView({c}) ? "yes" : "no";
document.body.dataset.gotoKey = q.goTo("k1") ? "yes" : "no";
document.body.dataset.gotoNothing = q.goTo("no such key") ? "yes" : "no";
document.querySelector("li[data-ops]").click();
document.body.dataset.after = q.inView({a}) && q.inView({b}) ? "visible" : "hidden";
document.body.dataset.detail = document.getElementById("detail").textContent.includes("{hash}{a} by client") ? "yes" : "no";
</script></body>"##,
        a = pair[0].0,
        b = pair[1].0,
        c = history.operations[history.operations.len() / 2].id.0,
        hash = '#'
    );
    let page = folder.path().join("large.html");
    std::fs::write(
        &page,
        render_html(&history, &[highlight], "large").replace("</body>", &probe),
    )
    .unwrap();
    let (dom, log) = run_chromium(
        &browser,
        &page,
        &folder.path().join("profile"),
        &["--dump-dom"],
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let attribute = |name: &str| {
        dom.split(&format!("data-{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(attribute("ready"), "yes");
    let drawn: usize = attribute("drawn").parse().unwrap();
    // A 1280-pixel window shows a few keys' lanes; each lane folds its tiny bars into runs.
    assert!(
        drawn < 20_000 && drawn > 0,
        "{drawn} shapes drawn for {} operations",
        history.operations.len()
    );
    assert_eq!(attribute("before"), "hidden");
    assert_eq!(attribute("zoomed"), "yes");
    assert_eq!(attribute("fitted"), "yes");
    assert_eq!(attribute("wheel-zoom"), "yes");
    assert_eq!(attribute("wheel-pan"), "yes");
    assert_eq!(attribute("goto-operation"), "yes");
    assert_eq!(attribute("goto-key"), "yes");
    assert_eq!(attribute("goto-nothing"), "no");
    assert_eq!(attribute("after"), "visible");
    let focused = format!("{} {}", pair[0].0, pair[1].0);
    assert_eq!(attribute("focused"), focused);
    assert_eq!(attribute("detail"), "yes");
}

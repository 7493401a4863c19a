//! `quorate minimize` and `quorate replay` end to end: a failing scenario becomes a small case
//! that replays; an existing output is never overwritten without `--force`; a case that no
//! longer matches makes `replay` exit 1 and name the file.

use crate::common;

use common::{quorate, stale_scenario};
use std::path::Path;

use quorate::regressions::Regression;

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn minimize_writes_a_case_that_replays_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = stale_scenario(dir.path());
    let out = dir.path().join("cases/stale.json");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let args = [
        "minimize",
        path_str(&scenario),
        "--model",
        "quorum",
        "--out",
        path_str(&out),
    ];
    let (code, _, stderr) = quorate(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("invalid [stale_read]"), "{stderr}");
    let case = Regression::load(&out).unwrap().expect("a case");
    assert!(case.history.operations.len() <= 10);
    assert_eq!(case.anomaly_kinds, ["stale_read"]);

    let (code, _, stderr) = quorate(&args);
    assert_eq!(code, 2);
    assert!(stderr.contains("--force"), "{stderr}");
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_eq!(quorate(&forced).0, 0);

    let (code, stdout, _) = quorate(&["replay", path_str(&dir.path().join("cases"))]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed, 0 skipped"), "{stdout}");
}

#[test]
fn replay_names_a_case_that_no_longer_matches() {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("histories/edge-cases/06-weak-quorum-stale-without-faults.json");
    let mut case = Regression::load(&source).unwrap().unwrap();
    case.expected_verdict = "valid".into();
    std::fs::write(dir.path().join("tampered.json"), case.to_json()).unwrap();
    std::fs::write(dir.path().join("notes.json"), "{\"version\": 1}").unwrap();
    let (code, stdout, _) = quorate(&["replay", path_str(dir.path())]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(
        stdout.contains(
            "tampered.json: stored history expected valid [stale_read], found invalid [stale_read]"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("0 passed, 1 failed, 1 skipped"), "{stdout}");
}

#[test]
fn replay_of_the_corpus_prints_one_line_per_file_and_a_total() {
    let histories = Path::new(env!("CARGO_MANIFEST_DIR")).join("histories");
    let (code, stdout, stderr) = quorate(&["replay", path_str(&histories)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("skipped  "), "{stdout}");
    assert!(
        stdout.lines().last().unwrap().contains("passed, 0 failed"),
        "{stdout}"
    );
}

#[test]
fn minimize_explains_bad_input() {
    let (code, _, stderr) = quorate(&["minimize", "/nonexistent/scenario.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read /nonexistent/scenario.json"),
        "{stderr}"
    );
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("histories/example.json");
    let (code, _, stderr) = quorate(&["minimize", path_str(&example)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("without a scenario"), "{stderr}");
}

#[test]
fn minimize_reads_the_scenario_a_simulated_history_records() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.json");
    let (code, _, stderr) = quorate(&[
        "sim",
        "--config",
        "weak",
        "--seed",
        "14",
        "--ops",
        "8",
        "--clients",
        "2",
        "--keys",
        "1",
        "--faults",
        "none",
        "--out",
        path_str(&history),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = quorate(&[
        "minimize",
        path_str(&history),
        "--model",
        "quorum",
        "--kind",
        "stale_read",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let case = Regression::from_json(&stdout)
        .unwrap()
        .expect("a case on stdout");
    assert_eq!(case.expected_verdict, "invalid");
    assert!(
        case.found_by.contains("--kind stale_read"),
        "{}",
        case.found_by
    );
    // An absolute path under the working directory is written relative to it: the case is read
    // on other machines, where the author's folders mean nothing.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_quorate"));
    command.current_dir(dir.path()).args([
        "minimize",
        path_str(&history),
        "--model",
        "quorum",
        "--kind",
        "stale_read",
    ]);
    assert!(history.is_absolute());
    let (code, stdout, stderr) = common::run(command);
    assert_eq!(code, 0, "{stderr}");
    let case = Regression::from_json(&stdout).unwrap().unwrap();
    assert!(
        case.found_by
            .starts_with("quorate minimize history.json --kind stale_read"),
        "{}",
        case.found_by
    );
}

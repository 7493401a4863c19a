//! `quorate check` end to end on the fixture files in `tests/fixtures/check`: what it prints and
//! the exit code (0 valid, 1 forbidden anomaly, 2 bad input, 3 unknown).

use crate::common;

use std::process::Command;

use common::quorate;

/// Runs `quorate check` on a fixture with extra arguments; returns (exit code, stdout, stderr).
fn quorate_check(fixture: &str, extra: &[&str]) -> (i32, String, String) {
    let path = format!(
        "{}/tests/fixtures/check/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    let output = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .arg("check")
        .arg(&path)
        .args(extra)
        .output()
        .expect("the quorate binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn check(fixture: &str, extra: &[&str], exit: i32, printed: &str) {
    let (code, stdout, stderr) = quorate_check(fixture, extra);
    assert_eq!(
        code, exit,
        "{fixture} {extra:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains(printed) || stderr.contains(printed),
        "{fixture} {extra:?}: expected {printed:?} in\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn exit_codes_and_messages() {
    check("stale_read.json", &[], 1, "read #41 by client 3 at t=120 ms returned {v7} but put v9 (#9) had been acknowledged at t=95 ms and is not in its view: stale read under r + w > n (2 + 2 > 3).");
    check(
        "stale_read.json",
        &["--model", "eventual"],
        0,
        "VALID against model eventual (as requested)",
    );
    check(
        "stale_read.json",
        &["--model", "linearizable"],
        2,
        "unknown model \"linearizable\"",
    );
    check(
        "stale_read.json",
        &["--json"],
        1,
        "\"kind\": \"stale_read\"",
    );
    check(
        "read_your_context.json",
        &["--model", "atomic"],
        0,
        "strongest model satisfied: atomic",
    );
    check(
        "context_not_read.json",
        &[],
        2,
        "put #1 (value \"v2\", client 1) has \"v1\" in its context",
    );
    check("lww_atomic.json", &[], 0, "VALID against model atomic");
    check(
        "lww_atomic.json",
        &["--format", "json", "--model", "monotonic"],
        0,
        "VALID",
    );
    check(
        "read_your_context.json",
        &["--max-memory", "0"],
        3,
        "keys left unchecked: key cart",
    );
    check(
        "register.edn",
        &[],
        0,
        "linearizable under the register model",
    );
    check("missing.json", &[], 2, "cannot read");
}

/// `--timeout` and `--max-memory` (MiB) reach both checkers. A budget spent from the start (zero)
/// answers unknown before any search, so these are deterministic: nothing here is timed.
#[test]
fn the_budget_reaches_both_paths() {
    // quorate's own LWW history: the register search of each key honours --timeout (it had a
    // fixed 10 s before). The history is atomic, so an undecided LIN makes the verdict unknown.
    check(
        "lww_atomic.json",
        &["--timeout", "0"],
        3,
        "LIN: not evaluated: not decided: key x: the time budget of 0.000 s was spent",
    );
    check(
        "lww_atomic.json",
        &["--timeout", "0", "--json"],
        3,
        "\"verdict\": \"unknown\"",
    );
    check("lww_atomic.json", &["--timeout", "1000"], 0, "VALID");
    check(
        "lww_atomic.json",
        &["--timeout=-1"],
        2,
        "--timeout -1: expected a number of seconds",
    );
    // An external history: both budgets, the memory one in MiB.
    check(
        "write_then_read.edn",
        &[],
        0,
        "linearizable under the register model (2 operations in 1 partition(s)",
    );
    check(
        "write_then_read.edn",
        &["--timeout", "0"],
        3,
        "gave up: the time budget of 0.000 s was spent; unfinished: the history",
    );
    check(
        "write_then_read.edn",
        &["--max-memory", "0"],
        3,
        "gave up: the memory budget of 0.0 MiB was spent",
    );
    check(
        "write_then_read.edn",
        &["--max-memory", "1", "--timeout", "1000"],
        0,
        "linearizable under the register model",
    );
}

#[test]
fn json_output_is_one_document() {
    let (code, stdout, _) = quorate_check("read_your_context.json", &["--json"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("--json prints JSON");
    assert_eq!(report["verdict"], "valid");
    assert_eq!(report["model"], "eventual");
    assert_eq!(report["anomalies"][0]["kind"], "failed_write_visible");
}

#[test]
fn a_regression_case_is_checked_on_its_history() {
    let case = |name: &str| format!("{}/histories/{name}", env!("CARGO_MANIFEST_DIR"));
    let lost = case("fuzz-vnode-clock-lost-write.json");
    let (code, stdout, stderr) = quorate(&["check", &lost]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("lost_write"), "{stdout}");
    let reaped = case("reaping/tombstone-reaped-after-delay.json");
    let (code, stdout, stderr) = quorate(&["check", &reaped]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The report says where the model came from: the case, unless --model overrides it.
    let atomic = case("edge-cases/04-strict-quorum-new-then-old.json");
    let (_, stdout, _) = quorate(&["check", &atomic]);
    assert!(
        stdout.starts_with("INVALID against model atomic (recorded in the regression case)"),
        "{stdout}"
    );
    let (_, stdout, _) = quorate(&["check", &atomic, "--json"]);
    assert!(stdout.contains(r#""model_source": "case""#), "{stdout}");
    let (code, stdout, _) = quorate(&["check", &atomic, "--model", "eventual"]);
    assert!(
        stdout.starts_with("VALID against model eventual (as requested)"),
        "{stdout}"
    );
    assert_eq!(code, 0);
    // A document that opens with another "format" is neither a case nor a history.
    let other = std::env::temp_dir().join(format!("quorate-check-cli-{}.json", std::process::id()));
    std::fs::write(&other, r#"{"format": "something-else", "operations": []}"#).unwrap();
    let (code, _, stderr) = quorate(&["check", other.to_str().unwrap()]);
    let _ = std::fs::remove_file(&other);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("neither a history nor a regression case"),
        "{stderr}"
    );
}

/// A history that is not in a regular file (a pipe: `quorate check /dev/stdin`, or a shell's
/// `<(…)`) cannot be opened twice, so it is read whole rather than streamed; it judges as the
/// same history in a file does, external histories and regression cases too.
#[cfg(unix)]
#[test]
fn a_history_from_a_pipe_judges_as_from_a_file() {
    use std::io::Write as _;
    use std::process::Stdio;
    let case = format!(
        "{}/histories/reaping/lww-resurrected-version-keeps-the-floor.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixtures = format!("{}/tests/fixtures/check", env!("CARGO_MANIFEST_DIR"));
    for path in [
        format!("{fixtures}/stale_read.json"),
        format!("{fixtures}/read_your_context.json"),
        format!("{fixtures}/register.edn"),
        case,
    ] {
        let from_file = Command::new(env!("CARGO_BIN_EXE_quorate"))
            .args(["check", &path])
            .output()
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_quorate"))
            .args(["check", "/dev/stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let from_pipe = child.wait_with_output().unwrap();
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        assert_eq!(
            from_pipe.status.code(),
            from_file.status.code(),
            "{path}: {}",
            text(&from_pipe.stderr)
        );
        // Reports name the file they judged.
        let from_file = text(&from_file.stdout).replace(path.as_str(), "/dev/stdin");
        assert_eq!(text(&from_pipe.stdout), from_file, "{path}");
    }
}

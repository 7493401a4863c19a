//! `quorate fuzz-artifact`: a committed crash artifact of the `scenario` target (found with the
//! vnode-clock bug on) becomes a minimized regression case that replays.

use crate::common;

use std::process::Command;

const ARTIFACT: &str = "tests/fixtures/fuzz/scenario-vnode-clock-crash";

fn quorate(args: &[&str], bugs: Option<&str>) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quorate"));
    command.args(args).env_remove("QUORATE_FUZZ_BUGS");
    if let Some(bugs) = bugs {
        command.env("QUORATE_FUZZ_BUGS", bugs);
    }
    common::run(command)
}

#[test]
fn a_crash_becomes_a_minimized_case_that_replays() {
    let folder = tempfile::tempdir().unwrap();
    let case = folder.path().join("case.json");
    let case = case.to_str().unwrap();
    let (code, _, stderr) = quorate(
        &["fuzz-artifact", ARTIFACT, "--out", case],
        Some("vnode-clock"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("invalid [lost_write]"), "{stderr}");
    let (code, stdout, _) = quorate(&["replay", case], None);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    // The case exists now: it is not overwritten without --force.
    let (code, _, stderr) = quorate(
        &["fuzz-artifact", ARTIFACT, "--out", case],
        Some("vnode-clock"),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("pass --force"), "{stderr}");
}

#[test]
fn without_the_bug_the_artifact_shows_nothing() {
    let (code, _, stderr) = quorate(&["fuzz-artifact", ARTIFACT], None);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("shows no forbidden anomaly now"),
        "{stderr}"
    );
    let (code, _, stderr) = quorate(&["fuzz-artifact", ARTIFACT], Some("no-such-bug"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("QUORATE_FUZZ_BUGS: unknown bug \"no-such-bug\""),
        "{stderr}"
    );
}

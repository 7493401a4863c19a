//! Issue 18, "no lost output, no panics": a command whose standard output cannot be written
//! exits 2 and says so (a closed pipe still ends quietly, with the command's own exit code);
//! `explore` neither panics on an absurd `--jobs` nor runs a campaign whose results folder cannot
//! be written.

use crate::common;

use common::{quorate, run};
use std::fs::OpenOptions;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn quorate_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quorate"));
    command.args(args);
    command
}

/// Runs `quorate ARGS` with standard output on `/dev/full`, where every write fails.
fn to_full_device(args: &[&str]) -> (i32, String) {
    let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
    let mut command = quorate_command(args);
    command.stdout(Stdio::from(full));
    let (code, _, stderr) = run(command);
    (code, stderr)
}

/// Exit 2, a message on standard error naming standard output, and no panic.
fn assert_refused_output(args: &[&str]) {
    let (code, stderr) = to_full_device(args);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert_eq!(code, 2, "{args:?}: {stderr}");
    assert!(
        stderr.contains("cannot write the output to standard output"),
        "{args:?}: {stderr}"
    );
}

#[test]
fn check_to_a_full_device_exits_2() {
    assert_refused_output(&["check", "histories/example.json"]);
    assert_refused_output(&["check", "histories/example.json", "--json"]);
}

#[test]
fn validate_to_a_full_device_exits_2() {
    assert_refused_output(&["validate", "histories/example.json"]);
}

#[test]
fn sim_to_a_full_device_exits_2() {
    assert_refused_output(&["sim", "--config", "dynamo", "--seed", "1"]);
}

#[test]
fn staleness_to_a_full_device_exits_2() {
    assert_refused_output(&["staleness"]);
}

#[test]
fn replay_to_a_full_device_exits_2() {
    assert_refused_output(&["replay", "histories/edge-cases"]);
}

#[test]
fn minimize_to_a_full_device_exits_2_instead_of_losing_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::stale_scenario(dir.path());
    assert_refused_output(&["minimize", path_str(&path), "--model", "quorum"]);
}

#[test]
fn explore_to_a_full_device_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("x");
    assert_refused_output(&[
        "explore",
        "--cases",
        "2",
        "--config",
        "dynamo",
        "--save",
        path_str(&save),
    ]);
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_verdict() {
    let mut command = quorate_command(&["check", "histories/example.json"]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    // The example history is valid: the exit code is the verdict's, as before.
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn explore_refuses_absurd_thread_counts_without_panicking() {
    for jobs in ["100000", "0"] {
        let (code, stdout, stderr) = quorate(&["explore", "--jobs", jobs, "--cases", "1"]);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("1 to 1024"), "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
    }
}

/// Whether this process writes into folders regardless of their permissions (root).
fn privileged(dir: &Path) -> bool {
    let probe = dir.join("owner-probe");
    std::fs::write(&probe, b"").unwrap();
    let uid = std::fs::metadata(&probe).unwrap().uid();
    std::fs::remove_file(&probe).unwrap();
    uid == 0
}

#[test]
fn explore_refuses_a_read_only_results_folder_before_the_campaign() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let read_only = dir.path().join("read-only");
    std::fs::create_dir(&read_only).unwrap();
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).unwrap();
    let args = [
        "explore",
        "--cases",
        "2",
        "--config",
        "dynamo",
        "--save",
        path_str(&read_only),
    ];
    // Root writes into a 0o555 folder anyway; run the binary as `nobody` so the permissions hold.
    // `nobody` may not reach the build folder (a clone under a private folder), so it runs a
    // copy kept in this world-readable temporary folder.
    let command = if privileged(dir.path()) {
        let copy = dir.path().join("quorate");
        // Copied by `cp`, not by this process: a file this process held open for writing could
        // leak into a child that another test forks meanwhile, and running the copy would then
        // fail with "text file busy" (ETXTBSY) until that child execs.
        let copied = Command::new("cp")
            .arg(env!("CARGO_BIN_EXE_quorate"))
            .arg(&copy)
            .status()
            .expect("cp runs");
        assert!(copied.success());
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut command = Command::new(&copy);
        command.args(args).uid(65534).gid(65534);
        command
    } else {
        quorate_command(&args)
    };
    let (code, stdout, stderr) = run(command);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(path_str(&read_only)), "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    // Refused before the campaign: no banner, no table, no summary.
    assert!(!stderr.contains("cases on"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(std::fs::read_dir(&read_only).unwrap().count(), 0);
}

#[test]
fn explore_refuses_a_results_folder_under_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let save = file.join("sub");
    let (code, stdout, stderr) = quorate(&[
        "explore",
        "--cases",
        "2",
        "--config",
        "dynamo",
        "--save",
        path_str(&save),
    ]);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(path_str(&save)), "{stderr}");
    assert!(!stderr.contains("cases on"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

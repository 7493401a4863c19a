//! Shared by the command-line tests: run the `quorate` binary and collect what it said.

#![allow(dead_code)]

use std::process::Command;

/// Runs `quorate ARGS` and returns its exit code, standard output and standard error.
pub(crate) fn quorate(args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quorate"));
    command.args(args);
    run(command)
}

/// Runs a prepared command (environment set by the caller) the same way.
pub(crate) fn run(mut command: Command) -> (i32, String, String) {
    let output = command.output().expect("the binary runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("utf-8 output");
    (
        output.status.code().expect("an exit code, not a signal"),
        text(output.stdout),
        text(output.stderr),
    )
}

/// Writes a weak-quorum scenario (seed 14 of the edge-case search) that reads a stale value into
/// `dir`, for the commands that minimize it; returns its path.
pub(crate) fn stale_scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let options = quorate::gen::WorkloadOptions {
        ops: 8,
        clients: 2,
        keys: 1,
        faults: Vec::new(),
        faults_per_kind: 1,
    };
    let config = quorate::config::Config::preset("weak").unwrap();
    let scenario = quorate::gen::workload(config, 14, &options).unwrap();
    let path = dir.join("scenario.json");
    std::fs::write(&path, serde_json::to_string_pretty(&scenario).unwrap()).unwrap();
    path
}

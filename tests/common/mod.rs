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

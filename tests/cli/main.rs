//! The command line end to end: every subcommand run as a user runs it, its output, its exit codes and its errors.
//!
//! One test binary for these files (each a module): linking one binary instead of one per file
//! is most of what a test build costs on a small machine.

#[path = "../common/mod.rs"]
mod common;

mod check_cli;
mod cli_contract;
mod cli_staleness;
mod cli_validate;
mod fuzz_artifact_cli;
mod hostile;
mod hostile_output;
mod minimize_cli;
mod regressions;
mod sim_cli;
mod zoo_cli;

//! The `quorate` command line: argument parsing and the thin layer of effects (files, printing,
//! exit codes) around the library. Subcommands live one per file; none holds logic that a
//! library user would need, which belongs in the library modules.
//!
//! Exit codes (DESIGN.md §8): 0 valid, 1 a forbidden anomaly, 2 bad usage or input, 3 unknown.

/// `println!` that does not panic when standard output is closed early (`quorate sim | head`):
/// the reader has gone, so there is nobody left to tell.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` with the same care as [`say!`].
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod check;
mod explore;
mod fuzz_artifact;
mod minimize;
mod regression_output;
mod render;
mod replay;
mod sim;
mod staleness;
mod validate;
mod zoo_hunt;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::verdict::Verdict;

/// What a command reports to the shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The input is valid, or the history satisfies the model.
    Valid = 0,
    /// A forbidden anomaly was found.
    Anomaly = 1,
    /// Bad usage or bad input.
    BadInput = 2,
    /// A budget was spent before a verdict.
    Unknown = 3,
}

impl From<Verdict> for Exit {
    /// A checker's verdict, whichever checker gave it: valid 0, invalid 1, unknown 3.
    fn from(verdict: Verdict) -> Exit {
        match verdict {
            Verdict::Valid => Exit::Valid,
            Verdict::Invalid => Exit::Anomaly,
            Verdict::Unknown => Exit::Unknown,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// Finds consistency bugs in leaderless (Dynamo-style) replicated key-value stores.
#[derive(Debug, Parser)]
#[command(name = "quorate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explore: many generated scenarios per configuration, a table of the anomalies found, and
    /// the smallest witness of each (exit 0, 1 a configuration broke its promise, 2 bad input);
    /// with --bug, hunt bug-zoo bugs (exit 1 when found, 0 when not).
    Explore(explore::Args),
    /// Load a history file and check that it is well formed (exit 0 valid, 2 not).
    Validate(validate::Args),
    /// Judge a history against a consistency model (exit 0 valid, 1 anomaly, 2 bad input, 3 unknown).
    Check(check::Args),
    /// Simulate one scenario against the reference store and write its history (exit 0, or 2 on bad input).
    Sim(sim::Args),
    /// Print the PBS staleness table: P(read t ms after an acknowledged write sees it), per r and w.
    Staleness(staleness::Args),
    /// Draw a history as a self-contained HTML timeline (one lane per client, per key).
    Render(render::Args),
    /// Delta-debug a failing scenario and its history into a regression case (exit 0, or 2).
    Minimize(minimize::Args),
    /// Replay every regression case under a folder (exit 0 all pass, 1 a mismatch, 2 bad input).
    Replay(replay::Args),
    /// Turn a crash artifact of the `scenario` fuzz target into a minimized regression case.
    FuzzArtifact(fuzz_artifact::Args),
}

/// Runs the command line with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with exit 0, usage errors to stderr.
            let _ = error.print();
            return if error.use_stderr() {
                Exit::BadInput.into()
            } else {
                Exit::Valid.into()
            };
        }
    };
    let exit = match cli.command {
        Command::Explore(args) => explore::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Staleness(args) => staleness::run(&args),
        Command::Render(args) => render::run(&args),
        Command::Minimize(args) => minimize::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::FuzzArtifact(args) => fuzz_artifact::run(&args),
    };
    exit.into()
}

//! The `quorate` command line: argument parsing and the thin layer of effects (files, printing,
//! exit codes) around the library. Subcommands live one per file; none holds logic that a
//! library user would need, which belongs in the library modules.
//!
//! Exit codes (docs/DESIGN.md §8): 0 valid, 1 a forbidden anomaly, 2 bad usage or input, 3 unknown.

/// `println!` that neither panics nor loses a failed write: the first error writing standard
/// output is kept by [`print_stdout`] and turned into exit 2 when the command ends.
macro_rules! say {
    () => {
        $crate::cli::print_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::print_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` with the same care as [`say!`].
macro_rules! say_raw {
    ($($arg:tt)*) => {
        $crate::cli::print_stdout(format_args!($($arg)*))
    };
}

mod check;
mod exhaust;
mod explore;
mod fuzz_artifact;
mod maelstrom;
mod minimize;
mod node;
mod regression_output;
mod render;
mod replay;
mod sim;
mod staleness;
mod validate;
mod zoo_hunt;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;

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

/// The first error writing standard output, kept until the command ends: every command prints
/// through [`print_stdout`] (the `say!` macros) or reports to [`note_stdout`], and
/// [`stdout_failure`] turns it into the exit code once, so no command handles it on its own.
static STDOUT_ERROR: Mutex<Option<std::io::Error>> = Mutex::new(None);

/// Keeps `result`'s error if it is the first one writing standard output.
pub(crate) fn note_stdout(result: std::io::Result<()>) {
    if let Err(error) = result {
        let mut first = STDOUT_ERROR
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        first.get_or_insert(error);
    }
}

/// Writes to standard output without panicking (as `print!` does on a full device). After a
/// failure nothing more is written: the output is already incomplete, and the command will exit 2.
pub(crate) fn print_stdout(text: std::fmt::Arguments<'_>) {
    let failed = STDOUT_ERROR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .is_some();
    if !failed {
        note_stdout(std::io::stdout().lock().write_fmt(text));
    }
}

/// Writes to standard output what `write` writes, under the rules of [`print_stdout`]: for
/// writers that stream bytes (serde_json), so that a large output is never built in memory first.
pub(crate) fn write_stdout(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) {
    let failed = STDOUT_ERROR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .is_some();
    if !failed {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = write(&mut out);
        note_stdout(written.and_then(|()| out.flush()));
    }
}

/// Flushes standard output and returns the first error writing it, except a closed pipe
/// (`quorate check … | head`): the reader has gone, so there is nobody left to tell, and the exit
/// code stays the command's.
fn stdout_failure() -> Option<std::io::Error> {
    note_stdout(std::io::stdout().lock().flush());
    let first = STDOUT_ERROR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    first.filter(|error| error.kind() != std::io::ErrorKind::BrokenPipe)
}

/// The one overwrite rule of every command that writes a file at a path the user names (`sim
/// --out`, `render --out`, `minimize --out`, `fuzz-artifact --out`, `explore --bug … --out`,
/// `exhaust --out`): an
/// existing file is replaced only with `--force`, and the command checks this before it does any
/// work. (`explore --save` names a folder, and refuses one that is not empty, by the same flag.)
pub(crate) fn refuse_overwrite(flag: &str, path: &Path, force: bool) -> Result<(), String> {
    if path.exists() && !force {
        Err(format!(
            "{flag} {}: the file exists; pass --force to replace it",
            path.display()
        ))
    } else {
        Ok(())
    }
}

/// Finds consistency bugs in leaderless (Dynamo-style) replicated key-value stores.
#[derive(Debug, Parser)]
#[command(
    name = "quorate",
    version,
    about,
    long_about = None,
    after_help = "Exit codes, the same in every command: 0 valid (or done), 1 a forbidden anomaly, 2 bad usage or input, 3 unknown (a budget ran out); each command's --help says which it uses. Errors found after the arguments are read start with \"quorate COMMAND:\"; argument errors start with \"error:\" and show the usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explore: many generated scenarios per configuration, a table of the anomalies found, and
    /// the smallest witness of each (exit 0, 1 a configuration broke its promise, 2 bad input);
    /// with --bug, hunt bug-zoo bugs (exit 1 when found, 0 when not).
    #[command(
        after_help = "Exit codes: 0 every configuration kept its promise (with --bug: no bug found), 1 a configuration broke its promise (with --bug: a bug was found), 2 bad usage or input."
    )]
    Explore(explore::Args),
    /// Exhaustive exploration: every schedule of a small scenario (exit 0 verified within the
    /// bounds, 1 an anomaly with its schedule, 2 bad input, 3 the budget ran out).
    #[command(
        after_help = "Exit codes: 0 verified (bounded): no schedule within the bounds breaks the model, 1 a schedule does (it is printed, and written with --out), 2 bad usage or input (impossible bounds), 3 unknown (the state or time budget ran out, or a schedule hit the depth bound)."
    )]
    Exhaust(exhaust::Args),
    /// Load a history file and check that it is well formed (exit 0 valid, 2 not).
    #[command(
        after_help = "Exit codes: 0 well formed, 2 bad usage or input (not well formed: the message names the place and the reason)."
    )]
    Validate(validate::Args),
    /// Judge a history against a consistency model (exit 0 valid, 1 anomaly, 2 bad input, 3 unknown).
    #[command(
        after_help = "Exit codes: 0 valid, 1 a forbidden anomaly (or not linearizable), 2 bad usage or input, 3 unknown (the time or memory budget ran out)."
    )]
    Check(check::Args),
    /// Simulate one scenario against the reference store and write its history (exit 0, or 2 on bad input).
    #[command(
        after_help = "Exit codes: 0 simulated (sim does not judge the history: pipe it to quorate check), 2 bad usage or input."
    )]
    Sim(sim::Args),
    /// Print the PBS staleness table: P(read t ms after an acknowledged write sees it), per r and w.
    #[command(after_help = "Exit codes: 0 the table was printed, 2 bad usage or input.")]
    Staleness(staleness::Args),
    /// Draw a history as a self-contained HTML timeline (one lane per client, per key).
    #[command(after_help = "Exit codes: 0 the page was written, 2 bad usage or input.")]
    Render(render::Args),
    /// Run a node binary as real processes under quorate's network, faults and clients
    /// (Maelstrom's protocol), and judge the history.
    #[command(
        after_help = "Exit codes: 0 linearizable (mvr-kv: valid against --model), 1 not linearizable or a forbidden anomaly (the anomaly is named), 2 bad usage or input (a missing --bin, an --out that holds a run without --force, a node that broke the protocol), 3 unknown (the search's budget ran out, or the run was interrupted)."
    )]
    Maelstrom(maelstrom::Args),
    /// Run one node of the reference store as a process speaking Maelstrom's protocol and the
    /// mvr-kv workload on stdin and stdout (for quorate maelstrom -w mvr-kv).
    #[command(
        after_help = "Exit codes: 0 stdin closed (the node's life is over), 2 bad usage or input (a configuration that cannot work, such as r > n, a cluster from init it cannot run on, or a state file that does not restore)."
    )]
    Node(node::Args),
    /// Delta-debug a failing scenario and its history into a regression case (exit 0, or 2).
    #[command(
        after_help = "Exit codes: 0 the regression case was written, 2 bad usage or input (including a history whose failure does not reproduce)."
    )]
    Minimize(minimize::Args),
    /// Replay every regression case under a folder (exit 0 all pass, 1 a mismatch, 2 bad input).
    #[command(
        after_help = "Exit codes: 0 every case gave its recorded verdict, 1 a case did not, 2 bad usage or an unreadable case."
    )]
    Replay(replay::Args),
    /// Turn a crash artifact of the `scenario` fuzz target into a minimized regression case.
    #[command(after_help = "Exit codes: 0 the regression case was written, 2 bad usage or input.")]
    FuzzArtifact(fuzz_artifact::Args),
}

/// Runs the command line with the process's arguments.
pub fn main() -> ExitCode {
    let argv = maelstrom::hoist_run_flags(std::env::args_os().collect());
    let cli = match argv.and_then(Cli::try_parse_from) {
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
    let name = cli.command.name();
    let exit = match cli.command {
        Command::Explore(args) => explore::run(&args),
        Command::Exhaust(args) => exhaust::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Staleness(args) => staleness::run(&args),
        Command::Render(args) => render::run(&args),
        Command::Maelstrom(args) => maelstrom::run(&args),
        Command::Node(args) => node::run(&args),
        Command::Minimize(args) => minimize::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::FuzzArtifact(args) => fuzz_artifact::run(&args),
    };
    if let Some(error) = stdout_failure() {
        eprintln!("quorate {name}: cannot write the output to standard output: {error}");
        return Exit::BadInput.into();
    }
    exit.into()
}

impl Command {
    /// The subcommand's name on the command line, for messages.
    fn name(&self) -> &'static str {
        match self {
            Command::Explore(_) => "explore",
            Command::Exhaust(_) => "exhaust",
            Command::Validate(_) => "validate",
            Command::Check(_) => "check",
            Command::Sim(_) => "sim",
            Command::Staleness(_) => "staleness",
            Command::Render(_) => "render",
            Command::Maelstrom(_) => "maelstrom",
            Command::Node(_) => "node",
            Command::Minimize(_) => "minimize",
            Command::Replay(_) => "replay",
            Command::FuzzArtifact(_) => "fuzz-artifact",
        }
    }
}

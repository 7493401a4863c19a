//! `quorate check FILE`: judge a history against a consistency model.
//!
//! Two checkers stand behind this one command, chosen by the input's format: quorate's own JSON
//! histories go to the leaderless checker (`crate::check`, DESIGN.md §4); Jepsen, Knossos and
//! Porcupine histories go through the importers to the general linearizability checker.

use std::path::PathBuf;

use super::Exit;

/// Input formats `check` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Format {
    /// Decide from the file's first bytes.
    Auto,
    /// quorate's own history format (histories/README.md).
    Json,
    /// Knossos / Jepsen EDN histories.
    Edn,
    /// Jepsen log lines (`INFO  jepsen.util - 3 :invoke :read nil`).
    JepsenLog,
    /// Porcupine's key-value logs.
    PorcupineKv,
}

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The history file.
    pub(super) file: PathBuf,
    /// The format of the file.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub(super) format: Format,
    /// The consistency model to check against. For quorate histories: eventual, quorum,
    /// monotonic or atomic (default: the one the history's configuration promises). For
    /// external histories: register, cas-register, mutex, multi-register, etcd, kv or mvr.
    #[arg(long)]
    pub(super) model: Option<String>,
    /// The model's initial state, as an EDN value (external histories only).
    #[arg(long)]
    pub(super) initial: Option<String>,
    /// Print the full result as JSON instead of text.
    #[arg(long)]
    pub(super) json: bool,
    /// Give up with "unknown" (exit 3) after this many seconds of search.
    #[arg(long, value_name = "SECONDS")]
    pub(super) timeout: Option<f64>,
    /// Give up with "unknown" (exit 3) when the search's memory passes this many megabytes.
    #[arg(long, value_name = "MB")]
    pub(super) max_memory: Option<u64>,
}

pub(super) fn run(args: &Args) -> Exit {
    if !is_quorate_json(args) {
        return super::check_external::run(args);
    }
    let _ = (
        &args.file,
        args.format,
        &args.model,
        &args.initial,
        args.json,
        args.timeout,
        args.max_memory,
    );
    eprintln!("quorate check: not built yet (issues 3 and 8)");
    Exit::BadInput
}

/// Whether the leaderless checker (quorate JSON) rather than the external one takes this file:
/// `--format json`, or `auto` and a `{` document that has `"operations"`.
fn is_quorate_json(args: &Args) -> bool {
    match args.format {
        Format::Json => true,
        Format::Auto => std::fs::read(&args.file).is_ok_and(|bytes| {
            crate::history::import::detect(&bytes) == crate::history::import::Detected::QuorateJson
        }),
        Format::Edn | Format::JepsenLog | Format::PorcupineKv => false,
    }
}

//! `quorate check FILE`: judge a history against a consistency model.
//!
//! Two checkers stand behind this one command, chosen by the input's format: quorate's own JSON
//! histories go to the leaderless checker (`crate::check`, DESIGN.md §4); Jepsen, Knossos and
//! Porcupine histories go through the importers to the general linearizability checker.
//!
//! This file reads the file once, decides its format and hands the bytes to one of the two paths,
//! which print and map the verdict to an exit code (0 valid, 1 a forbidden anomaly, 2 bad usage or
//! input, 3 unknown):
//! - [`leaderless`]: quorate's own histories and regression cases, to `crate::check`;
//! - [`external`]: the histories of other tools, through `crate::lin::import` to `crate::lin`.
//!
//! The two paths share only what this file defines (the arguments); neither uses the other.

mod external;
mod leaderless;

use std::path::PathBuf;

use crate::lin::import::{self, Detected, Format as ImportFormat};

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
    let bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("{}: cannot read: {error}", args.file.display());
            return Exit::BadInput;
        }
    };
    let external_format = match args.format {
        Format::Json => None,
        Format::Edn => Some(ImportFormat::Edn),
        Format::JepsenLog => Some(ImportFormat::JepsenLog),
        Format::PorcupineKv => Some(ImportFormat::PorcupineKv),
        Format::Auto => match import::detect(&bytes) {
            Detected::QuorateJson => None,
            Detected::External(format) => Some(format),
        },
    };
    match external_format {
        None => leaderless::run(args, bytes),
        Some(format) => external::run(args, &bytes, format),
    }
}

//! `quorate check FILE`: judge a history against a consistency model.
//!
//! Two checkers stand behind this one command, chosen by the input's format: quorate's own JSON
//! histories go to the leaderless checker (`crate::check`, docs/DESIGN.md §4); Jepsen, Knossos and
//! Porcupine histories go through the importers to the general linearizability checker.
//!
//! This file reads the file's opening, decides its format and hands the file over to one of the
//! two paths, which print and map the verdict to an exit code (0 valid, 1 a forbidden anomaly, 2
//! bad usage or input, 3 unknown). A quorate history in a regular file is read as a stream, so
//! that the file is never held whole; a regression case, an external history and anything read
//! from a pipe are read whole first:
//! - [`leaderless`]: quorate's own histories and regression cases, to `crate::check`;
//! - [`external`]: the histories of other tools, through `crate::lin::import` to `crate::lin`.
//!
//! The two paths share only what this file defines (the arguments); neither uses the other.

mod external;
mod leaderless;

pub(super) use external::default_model;

use std::path::PathBuf;
use std::time::Duration;

use crate::lin::import::{self, Detected, Format as ImportFormat};
use crate::verdict::{Budget, MIB};

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
    /// Give up with "unknown" (exit 3) after this many seconds of search. External histories:
    /// the whole search (default: no limit). quorate histories: the register search of each LWW
    /// key (default: 10).
    #[arg(long, value_name = "SECONDS")]
    pub(super) timeout: Option<f64>,
    /// Give up with "unknown" (exit 3) when the search's memory passes this many MiB (2^20
    /// bytes). External histories: the whole search (default: 1024). quorate histories: the
    /// bitsets and the register search of each key (default: 1024).
    #[arg(long, value_name = "MiB")]
    pub(super) max_memory: Option<u64>,
    /// Accept a history with no operations (valid, exit 0). Without it, an empty history is bad
    /// input (exit 2): an empty or lost file must not pass.
    #[arg(long)]
    pub(super) allow_empty: bool,
}

pub(super) fn run(args: &Args) -> Exit {
    let cannot_read = |error: std::io::Error| {
        eprintln!(
            "quorate check: {}: cannot read: {error}",
            args.file.display()
        );
        Exit::BadInput
    };
    // The opening decides the format; a quorate history in a regular file (the largest files)
    // is then read as a stream and never held whole. Anything else, a pipe included (it cannot
    // be opened twice), is read whole.
    let regular = std::fs::metadata(&args.file).is_ok_and(|metadata| metadata.is_file());
    if regular {
        let mut opening = match read_opening(&args.file) {
            Ok(opening) => opening,
            Err(error) => return cannot_read(error),
        };
        strip_utf8_bom(&mut opening);
        if args.format.external(&opening).is_none() && !opens_with_format(&opening) {
            return leaderless::run(args, leaderless::Input::File);
        }
    }
    let mut bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(error) => return cannot_read(error),
    };
    strip_utf8_bom(&mut bytes);
    match args.format.external(&bytes) {
        None => leaderless::run(args, leaderless::Input::Bytes(bytes)),
        Some(format) => external::run(args, bytes, format),
    }
}

/// How much of a file's opening decides its format: what [`import::detect`] reads.
const OPENING_BYTES: u64 = 64 * 1024;

/// The first [`OPENING_BYTES`] of a file, or all of it if it is shorter.
fn read_opening(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut opening = Vec::new();
    std::fs::File::open(path)?
        .take(OPENING_BYTES)
        .read_to_end(&mut opening)?;
    Ok(opening)
}

impl Format {
    /// The external format `bytes` are read in (named, or detected from their start), or `None`
    /// for quorate's own JSON. `validate` decides the same way.
    pub(super) fn external(self, bytes: &[u8]) -> Option<ImportFormat> {
        match self {
            Format::Json => None,
            Format::Edn => Some(ImportFormat::Edn),
            Format::JepsenLog => Some(ImportFormat::JepsenLog),
            Format::PorcupineKv => Some(ImportFormat::PorcupineKv),
            Format::Auto => match import::detect(bytes) {
                Detected::QuorateJson => None,
                Detected::External(format) => Some(format),
            },
        }
    }
}

/// The UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Drops a UTF-8 byte-order mark at the start: some editors write one, and it says nothing about
/// the format.
pub(super) fn strip_utf8_bom(bytes: &mut Vec<u8>) {
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
}

/// Refuses a history with no operations unless `--allow-empty`: a lost or truncated history
/// (an empty file, an empty list) would otherwise pass as valid.
fn refuse_empty(args: &Args, operations: usize) -> Result<(), String> {
    if operations == 0 && !args.allow_empty {
        return Err(
            "no operations in the history: an empty history proves nothing (pass --allow-empty to accept it)"
                .to_string(),
        );
    }
    Ok(())
}

/// The budget `--timeout` and `--max-memory` ask for, each in place of `default`'s when given:
/// the one conversion of both paths (`--max-memory` is in MiB).
fn budget(args: &Args, default: Budget) -> Result<Budget, String> {
    let time = match args.timeout {
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            Some(Duration::from_secs_f64(seconds.min(1e9)))
        }
        Some(seconds) => {
            return Err(format!(
                "--timeout {seconds}: expected a number of seconds ≥ 0"
            ))
        }
        None => default.time,
    };
    let memory = match args.max_memory {
        Some(mebibytes) => Some(mebibytes.saturating_mul(MIB)),
        None => default.memory,
    };
    Ok(Budget { time, memory })
}

/// Whether a JSON document's first key is `"format"`, as a regression case's is (a history's
/// never is). Only the start is read, so a large history is not parsed twice.
pub(super) fn opens_with_format(bytes: &[u8]) -> bool {
    let start = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    start
        .trim_start()
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with("\"format\""))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::{budget, Args};
    use crate::verdict::{Budget, MIB};

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        args: Args,
    }

    fn args(extra: &[&str]) -> Args {
        let words = ["check", "history.json"].iter().chain(extra);
        Command::try_parse_from(words)
            .expect("arguments parse")
            .args
    }

    const DEFAULT: Budget = Budget {
        time: Some(Duration::from_secs(10)),
        memory: Some(7),
    };

    #[test]
    fn max_memory_is_in_mebibytes_and_timeout_in_seconds() {
        let given = budget(&args(&["--max-memory", "3", "--timeout", "0.5"]), DEFAULT).unwrap();
        assert_eq!(given.memory, Some(3 * MIB));
        assert_eq!(given.memory, Some(3 << 20));
        assert_eq!(given.time, Some(Duration::from_millis(500)));
        let huge = budget(&args(&["--max-memory", &u64::MAX.to_string()]), DEFAULT).unwrap();
        assert_eq!(huge.memory, Some(u64::MAX));
    }

    #[test]
    fn what_is_not_given_keeps_the_default() {
        assert_eq!(budget(&args(&[]), DEFAULT), Ok(DEFAULT));
        let zero = budget(&args(&["--timeout", "0"]), DEFAULT).unwrap();
        assert_eq!(zero.time, Some(Duration::ZERO));
        assert_eq!(zero.memory, DEFAULT.memory);
    }

    #[test]
    fn a_negative_or_infinite_timeout_is_refused() {
        for bad in ["-1", "inf", "NaN"] {
            let error = budget(&args(&[&format!("--timeout={bad}")]), DEFAULT).unwrap_err();
            assert!(error.contains("expected a number of seconds"), "{error}");
        }
    }
}

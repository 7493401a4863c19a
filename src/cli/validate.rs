//! `quorate validate FILE`: load a history and report whether it is well formed.

use std::path::PathBuf;

use crate::check;
use crate::history::History;

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The history file (JSON, see histories/README.md).
    file: PathBuf,
}

pub(super) fn run(args: &Args) -> Exit {
    // The well-formed contexts of docs/DESIGN.md §4 are a precondition of every check, so
    // validation rejects what `check` would reject as input (the test lives with the checker,
    // which owns causality).
    let loaded = History::load(&args.file)
        .map_err(|error| error.to_string())
        .and_then(|history| {
            check::check_precondition(&history).map_err(|error| error.to_string())?;
            Ok(history)
        });
    match loaded {
        Ok(history) => {
            let replicas = history.replicas.as_ref().map_or(0, Vec::len);
            say!(
                "{}: valid history, {} operations, {} faults, {} replica snapshots",
                args.file.display(),
                history.operations.len(),
                history.faults.len(),
                replicas
            );
            Exit::Valid
        }
        Err(error) => {
            eprintln!("quorate validate: {}: {error}", args.file.display());
            Exit::BadInput
        }
    }
}

//! `quorate validate FILE`: load a history and report whether it is well formed.

use std::path::PathBuf;

use crate::history::History;

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The history file (JSON, see histories/README.md).
    file: PathBuf,
}

pub(super) fn run(args: &Args) -> Exit {
    match History::load(&args.file) {
        Ok(history) => {
            let replicas = history.replicas.as_ref().map_or(0, Vec::len);
            println!(
                "{}: valid history, {} operations, {} faults, {} replica snapshots",
                args.file.display(),
                history.operations.len(),
                history.faults.len(),
                replicas
            );
            Exit::Valid
        }
        Err(error) => {
            eprintln!("{}: {error}", args.file.display());
            Exit::BadInput
        }
    }
}

//! `quorate replay`: check every regression case under a folder, one line per file and a total.

use std::path::PathBuf;

use crate::regressions::{regression_files, replay_file, FileOutcome};

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The folder of cases, searched recursively (or one case file); files that are not cases
    /// are skipped.
    #[arg(default_value = "histories")]
    dir: PathBuf,
}

pub(super) fn run(args: &Args) -> Exit {
    let files = match regression_files(&args.dir) {
        Ok(files) => files,
        Err(error) => {
            eprintln!("quorate replay: {error}");
            return Exit::BadInput;
        }
    };
    let (mut passed, mut failed, mut skipped, mut broken) = (0, 0, 0, 0);
    for path in &files {
        match replay_file(path) {
            FileOutcome::Passed => {
                passed += 1;
                say!("ok       {}", path.display());
            }
            FileOutcome::Skipped => {
                skipped += 1;
                say!("skipped  {} (not a regression case)", path.display());
            }
            FileOutcome::Mismatch(mismatch) => {
                failed += 1;
                say!(
                    "FAILED   {}: {} expected {}, found {}",
                    path.display(),
                    mismatch.what,
                    mismatch.expected,
                    mismatch.found
                );
            }
            FileOutcome::Broken(error) => {
                broken += 1;
                say!("BROKEN   {error}");
            }
        }
    }
    if broken > 0 {
        say!("{passed} passed, {failed} failed, {skipped} skipped, {broken} unreadable");
    } else {
        say!("{passed} passed, {failed} failed, {skipped} skipped");
    }
    // A file that is not a readable case is bad input, not a failed replay.
    if broken > 0 {
        Exit::BadInput
    } else if failed > 0 {
        Exit::Anomaly
    } else {
        Exit::Valid
    }
}

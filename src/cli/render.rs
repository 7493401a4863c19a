//! `quorate render FILE --out FILE.html`: the timeline picture of a history.

use std::path::PathBuf;

use crate::check::{self, CheckOptions};
use crate::history::History;
use crate::render::{render_html, Highlight};

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The history file.
    file: PathBuf,
    /// Where to write the page.
    #[arg(long)]
    out: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    force: bool,
}

pub(super) fn run(args: &Args) -> Exit {
    let history = match History::load(&args.file) {
        Ok(history) => history,
        Err(error) => {
            eprintln!("{}: {error}", args.file.display());
            return Exit::BadInput;
        }
    };
    if args.out.exists() && !args.force {
        eprintln!(
            "{} exists already; pass --force to replace it",
            args.out.display()
        );
        return Exit::BadInput;
    }
    let title = args.file.file_name().map_or_else(
        || "history".to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let highlights = match check::check(&history, &CheckOptions::default()) {
        Ok(report) => Highlight::from_report(&report),
        Err(error) => {
            eprintln!(
                "{}: cannot be checked, drawn without anomalies: {error}",
                args.file.display()
            );
            Vec::new()
        }
    };
    let page = render_html(&history, &highlights, &title);
    if let Err(error) = std::fs::write(&args.out, page) {
        eprintln!("cannot write {}: {error}", args.out.display());
        return Exit::BadInput;
    }
    say!(
        "{}: {} operations and {} anomalies drawn to {}",
        args.file.display(),
        history.operations.len(),
        highlights.len(),
        args.out.display()
    );
    Exit::Valid
}

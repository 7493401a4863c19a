//! `quorate validate FILE`: load a history and report whether it is well formed. quorate's own
//! histories get every rule of the format (histories/README.md) and the checker's precondition;
//! a Knossos/Jepsen EDN, Jepsen log or Porcupine history (detected as `check` detects it, or named
//! with `--format`) is well formed when its importer reads it; a regression case is well formed
//! when it reads as one and its history is.

use std::path::PathBuf;

use crate::check;
use crate::history::History;
use crate::lin::import::{self, Format as ImportFormat};
use crate::regressions::Regression;

use super::check::{opens_with_format, strip_utf8_bom, Format};
use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The history file: quorate's JSON (histories/README.md), or a Knossos/Jepsen EDN, Jepsen
    /// log or Porcupine key-value history.
    file: PathBuf,
    /// The format of the file.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    format: Format,
}

/// How a person names an external format.
fn format_name(format: ImportFormat) -> &'static str {
    match format {
        ImportFormat::Edn => "Knossos/Jepsen EDN",
        ImportFormat::JepsenLog => "Jepsen log",
        ImportFormat::PorcupineKv => "Porcupine key-value",
    }
}

/// The one line that says what the file holds, or the reason it is not well formed.
fn validate(args: &Args) -> Result<String, String> {
    let mut bytes =
        std::fs::read(&args.file).map_err(|error| format!("cannot read the file: {error}"))?;
    strip_utf8_bom(&mut bytes);
    if let Some(format) = args.format.external(&bytes) {
        let history = import::import_owned(bytes, format).map_err(|error| {
            format!("not a well-formed {} history: {error}", format_name(format))
        })?;
        return Ok(format!(
            "valid {} history, {} operations (quorate check judges its linearizability)",
            format_name(format),
            history.operations.len()
        ));
    }
    // The well-formed contexts of docs/DESIGN.md §4 are a precondition of every check, so
    // validation rejects what `check` would reject as input (the test lives with the checker,
    // which owns causality).
    // A regression case (as `check`, `render` and `replay` read one): its history is validated.
    let case = if opens_with_format(&bytes) {
        let text = std::str::from_utf8(&bytes).map_err(|error| format!("not UTF-8: {error}"))?;
        Regression::from_json(text).map_err(|error| error.to_string())?
    } else {
        None
    };
    let what = if case.is_some() {
        "valid regression case; its history has"
    } else {
        "valid history,"
    };
    let history = match case {
        Some(case) => case.history,
        None => History::from_slice(&bytes).map_err(|error| error.to_string())?,
    };
    history.validate().map_err(|error| error.to_string())?;
    check::check_precondition(&history).map_err(|error| error.to_string())?;
    Ok(format!(
        "{what} {} operations, {} faults, {} replica snapshots",
        history.operations.len(),
        history.faults.len(),
        history.replicas.as_ref().map_or(0, Vec::len)
    ))
}

pub(super) fn run(args: &Args) -> Exit {
    match validate(args) {
        Ok(line) => {
            say!("{}: {line}", args.file.display());
            Exit::Valid
        }
        Err(error) => {
            eprintln!("quorate validate: {}: {error}", args.file.display());
            Exit::BadInput
        }
    }
}

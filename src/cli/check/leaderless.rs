//! `quorate check FILE` for quorate's own JSON histories and regression cases: parse, validate,
//! run the leaderless checker (`crate::check`), print the report and say the verdict with the
//! exit code.

use std::io::Write as _;

use crate::check::{self, CheckOptions, Model, ModelSource};
use crate::cli::Exit;
use crate::history::History;
use crate::regressions::Regression;

use super::Args;

/// What `check` gives this path to read.
pub(super) enum Input {
    /// The file's bytes: a regression case, or a history that is not in a regular file.
    Bytes(Vec<u8>),
    /// The file itself, a history, to be read a chunk at a time.
    File,
}

pub(super) fn run(args: &Args, input: Input) -> Exit {
    let file = args.file.display();
    let model = match args.model.as_deref().map(str::parse::<Model>).transpose() {
        Ok(model) => model,
        Err(error) => {
            eprintln!("quorate check: {error}");
            return Exit::BadInput;
        }
    };
    // Each key's budget: its bitsets and, under LWW, its register search; a key beyond it leaves
    // the verdict unknown.
    if let Some(initial) = &args.initial {
        eprintln!(
            "quorate check: --initial {initial:?} applies to external histories (EDN, Jepsen logs, Porcupine) only; {file} is a quorate history, whose keys start empty"
        );
        return Exit::BadInput;
    }
    let budget = match super::budget(args, check::KEY_BUDGET) {
        Ok(budget) => budget,
        Err(error) => {
            eprintln!("quorate check: {error}");
            return Exit::BadInput;
        }
    };
    // A regression case (what `minimize`, `explore` and `fuzz-artifact` write) is checked on its
    // history, against its own model unless --model says otherwise.
    let (history, model, from_case) = match input {
        Input::Bytes(bytes) if super::opens_with_format(&bytes) => {
            let case = std::str::from_utf8(&bytes)
                .map_err(|error| format!("not UTF-8: {error}"))
                .and_then(|text| Regression::from_json(text).map_err(|error| error.to_string()));
            match case {
                Ok(Some(case)) => match case.model() {
                    Ok(case_model) => {
                        let from_case = model.is_none() && case_model.is_some();
                        (case.history, model.or(case_model), from_case)
                    }
                    Err(error) => {
                        eprintln!("quorate check: {file}: {error}");
                        return Exit::BadInput;
                    }
                },
                Ok(None) => {
                    eprintln!(
                    "quorate check: {file}: a \"format\" field but not \"{}\": neither a history nor a regression case",
                    crate::regressions::FORMAT
                );
                    return Exit::BadInput;
                }
                Err(error) => {
                    eprintln!("quorate check: {file}: {error}");
                    return Exit::BadInput;
                }
            }
        }
        // Parsed only: validating below also catalogues the history for the checker.
        Input::Bytes(bytes) => match History::parse(&bytes) {
            Ok(history) => (history, model, false),
            Err(error) => {
                eprintln!("quorate check: {file}: {error}");
                return Exit::BadInput;
            }
        },
        Input::File => match History::parse_file(&args.file) {
            Ok(history) => (history, model, false),
            Err(error) => {
                eprintln!("quorate check: {file}: {error}");
                return Exit::BadInput;
            }
        },
    };
    if let Err(error) = super::refuse_empty(args, history.operations.len()) {
        eprintln!("quorate check: {file}: {error}");
        return Exit::BadInput;
    }
    let catalog = match history.validated() {
        Ok(catalog) => catalog,
        Err(error) => {
            eprintln!("quorate check: {file}: {error}");
            return Exit::BadInput;
        }
    };
    let options = CheckOptions { model, budget };
    let mut report = match check::check_catalog(&catalog, &options) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("quorate check: {file}: cannot be checked: {error}");
            return Exit::BadInput;
        }
    };
    if from_case {
        report.model_source = ModelSource::Regression;
    }
    // Buffered: a long report is thousands of lines. A failed write exits 2 at the end (a closed
    // pipe, `quorate check … | head`, is not an error of the check).
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = if args.json {
        writeln!(stdout, "{}", report.to_json())
    } else {
        write!(stdout, "{report}")
    };
    crate::cli::note_stdout(written.and_then(|()| stdout.flush()));
    // The process ends next. Freeing a large history one allocation at a time (a million
    // operations) would only delay it, by some 30 ms; the system takes the memory back at once.
    std::mem::forget(catalog);
    std::mem::forget(history);
    report.verdict.into()
}

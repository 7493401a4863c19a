//! `quorate render FILE --out FILE.html`: the timeline picture of a history.

use std::path::{Path, PathBuf};

use crate::check::{self, CheckOptions, Model};
use crate::history::History;
use crate::history::{Key, OpId};
use crate::regressions::Regression;
use crate::render::{narrow, render_html, Highlight, Narrow};

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The history file, or a regression case (its history is drawn, checked against its model).
    file: PathBuf,
    /// Where to write the page.
    #[arg(long)]
    out: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    force: bool,
    /// Draw only these keys (comma separated); the anomalies are still those of the whole history.
    #[arg(long, value_delimiter = ',')]
    keys: Vec<String>,
    /// Draw only the time around this operation (its id): see --context.
    #[arg(long, value_name = "OP")]
    around: Option<u64>,
    /// With --around: how many operations invoked before and after it the window spans.
    #[arg(long, default_value_t = 10, requires = "around")]
    context: usize,
}

/// The history to draw and the model to check it against: a regression case's own (its
/// history, its model), or a plain history's (the model its configuration promises). A plain
/// history is parsed once, straight from the file's bytes (a large one is never held twice), and
/// validated by the caller, whose catalogue the checker then uses.
fn load(path: &Path) -> Result<(History, Option<Model>, String), String> {
    let mut bytes = std::fs::read(path).map_err(|error| format!("cannot read: {error}"))?;
    super::check::strip_utf8_bom(&mut bytes);
    // The external formats `check` reads are not drawn yet: say which format it is and what
    // render takes, rather than a JSON error about a file that was never JSON.
    if let crate::lin::import::Detected::External(format) = crate::lin::import::detect(&bytes) {
        return Err(format!(
            "this looks like {} history; render draws quorate histories and regression cases \
             (histories/README.md). `quorate check` judges it",
            match format {
                crate::lin::import::Format::Edn => "a Knossos/Jepsen EDN",
                crate::lin::import::Format::JepsenLog => "a Jepsen log",
                crate::lin::import::Format::PorcupineKv => "a Porcupine key-value",
            }
        ));
    }
    // A file that says it is a regression case is read as one, and its errors are its own.
    if super::check::opens_with_format(&bytes) {
        let text = std::str::from_utf8(&bytes).map_err(|error| format!("not UTF-8: {error}"))?;
        return match Regression::from_json(text).map_err(|error| error.to_string())? {
            Some(case) => {
                let model = case.model().map_err(|error| error.to_string())?;
                Ok((case.history, model, case.title))
            }
            None => Err(format!(
                "a \"format\" field but not \"{}\": neither a history nor a regression case",
                crate::regressions::FORMAT
            )),
        };
    }
    let history = match History::parse(&bytes) {
        Ok(history) => history,
        // A case whose "format" is not its first field: read as one, with its own errors.
        Err(error) => {
            let text = std::str::from_utf8(&bytes).map_err(|_| error.to_string())?;
            return match Regression::from_json(text) {
                Ok(Some(case)) => {
                    let model = case.model().map_err(|error| error.to_string())?;
                    Ok((case.history, model, case.title))
                }
                Err(case_error)
                    if text.contains(&format!("\"{}\"", crate::regressions::FORMAT)) =>
                {
                    Err(case_error.to_string())
                }
                _ => Err(error.to_string()),
            };
        }
    };
    let title = path.file_name().map_or_else(
        || "history".to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    Ok((history, None, title))
}

pub(super) fn run(args: &Args) -> Exit {
    let (history, model, title) = match load(&args.file) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("quorate render: {}: {error}", args.file.display());
            return Exit::BadInput;
        }
    };
    if let Err(error) = super::refuse_overwrite("--out", &args.out, args.force) {
        eprintln!("quorate render: {error}");
        return Exit::BadInput;
    }
    let catalog = match history.validated() {
        Ok(catalog) => catalog,
        Err(error) => {
            eprintln!("quorate render: {}: {error}", args.file.display());
            return Exit::BadInput;
        }
    };
    let checked = check::check_catalog(&catalog, &CheckOptions::model(model));
    drop(catalog);
    let highlights = match checked {
        Ok(report) => Highlight::from_report(&report),
        Err(error) => {
            eprintln!(
                "quorate render: {}: cannot be checked, drawn without anomalies: {error}",
                args.file.display()
            );
            Vec::new()
        }
    };
    let narrowing = Narrow {
        keys: args
            .keys
            .iter()
            .map(|key| Key::from(key.as_str()))
            .collect(),
        around: args.around.map(OpId),
        context: args.context,
    };
    let (history, highlights) = if narrowing.keys.is_empty() && narrowing.around.is_none() {
        (history, highlights)
    } else {
        let narrowed = match narrow(&history, &narrowing) {
            Ok(narrowed) => narrowed,
            Err(error) => {
                eprintln!("{}: {error}", args.file.display());
                return Exit::BadInput;
            }
        };
        // The anomalies that touch what is drawn.
        let kept: std::collections::BTreeSet<OpId> =
            narrowed.operations.iter().map(|op| op.id).collect();
        let highlights = highlights
            .into_iter()
            .filter(|highlight| highlight.operations.iter().any(|id| kept.contains(id)))
            .collect();
        (narrowed, highlights)
    };
    let page = render_html(&history, &highlights, &title);
    if let Err(error) = std::fs::write(&args.out, page) {
        eprintln!(
            "quorate render: cannot write {}: {error}",
            args.out.display()
        );
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

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
/// history, its model), or a plain history's (the model its configuration promises).
fn load(path: &Path) -> Result<(History, Option<Model>, String), String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read: {error}"))?;
    // The external formats `check` reads are not drawn yet: say which format it is and what
    // render takes, rather than a JSON error about a file that was never JSON.
    if let crate::lin::import::Detected::External(format) =
        crate::lin::import::detect(text.as_bytes())
    {
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
    if let Some(case) = Regression::from_json(&text).map_err(|error| error.to_string())? {
        let model = case.model().map_err(|error| error.to_string())?;
        return Ok((case.history, model, case.title));
    }
    let history = History::from_json(&text).map_err(|error| error.to_string())?;
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
    let highlights = match check::check(&history, &CheckOptions::model(model)) {
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

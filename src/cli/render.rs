//! `quorate render FILE --out FILE.html`: the timeline picture of a history.

use std::path::{Path, PathBuf};

use crate::check::{self, CheckOptions, Model};
use crate::history::History;
use crate::history::{Key, OpId};
use crate::regressions::Regression;
use std::time::Duration;

use crate::lin::{
    self,
    external::SpecName,
    import::{self, edn, Detected, Format as ImportFormat},
};
use crate::render::{external, narrow, render_html_with, Extras, Highlight, Narrow};
use crate::verdict::{Budget, MIB};

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
    /// External histories (EDN, Jepsen logs, Porcupine): the model to check them against, as
    /// `quorate check --model` names it (default: the one `check` picks for the format).
    #[arg(long)]
    model: Option<String>,
    /// External histories: the model's initial state, as an EDN value.
    #[arg(long)]
    initial: Option<String>,
    /// External histories: give up the linearizability search after this many seconds and draw
    /// the history with the verdict unknown.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
}

/// What is drawn: a history, its highlights, the page's extras and its title.
type Picture = (History, Vec<Highlight>, Extras, String);

/// The history to draw and the model to check it against: a regression case's own (its
/// history, its model), or a plain history's (the model its configuration promises). A plain
/// history is parsed once, straight from the file's bytes (a large one is never held twice), and
/// validated by the caller, whose catalogue the checker then uses.
fn load(bytes: Vec<u8>, path: &Path) -> Result<(History, Option<Model>, String), String> {
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
    Ok((history, None, file_title(path)))
}

/// The page's title for a plain file: its name.
fn file_title(path: &Path) -> String {
    path.file_name().map_or_else(
        || "history".to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// A quorate history or regression case, checked by the leaderless checker.
fn quorate_picture(args: &Args, bytes: Vec<u8>) -> Result<Picture, String> {
    if args.initial.is_some() {
        return Err(
            "--initial applies to external histories (EDN, Jepsen logs, Porcupine) only".into(),
        );
    }
    let (history, model, title) = load(bytes, &args.file)?;
    let model = match (&args.model, model) {
        (Some(name), _) => Some(
            name.parse::<Model>()
                .map_err(|error| format!("--model: {error}"))?,
        ),
        (None, model) => model,
    };
    let catalog = history.validated().map_err(|error| error.to_string())?;
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
    Ok((history, highlights, Extras::default(), title))
}

/// An external history (EDN, a Jepsen log, Porcupine), checked by the linearizability checker
/// under `--model` (or the one `quorate check` picks) within `--timeout`.
fn external_picture(args: &Args, bytes: Vec<u8>, format: ImportFormat) -> Result<Picture, String> {
    let history = import::import_owned(bytes, format).map_err(|error| error.to_string())?;
    let model = match &args.model {
        Some(name) => SpecName::parse(name).map_err(|error| format!("--model: {error}"))?,
        None => super::check::default_model(format, &history),
    };
    let initial = match &args.initial {
        Some(text) => {
            Some(edn::read_value(text).map_err(|error| format!("--initial {text:?}: {error}"))?)
        }
        None => None,
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(format!(
            "--timeout {}: must be a positive number of seconds",
            args.timeout
        ));
    }
    let budget = Budget {
        time: Some(Duration::from_secs_f64(args.timeout)),
        memory: Some(1_024 * MIB),
    };
    let result = lin::external::check(&history, model, initial.as_ref(), &budget)
        .map_err(|error| error.to_string())?;
    let prefix: Vec<u64> = result
        .counterexample
        .iter()
        .flat_map(|counterexample| counterexample.prefix.iter().map(|op| op.id))
        .collect();
    let states = lin::external::states_along(&history, model, initial.as_ref(), &prefix)
        .map_err(|error| error.to_string())?;
    say!(
        "{}: {} under the {} model",
        args.file.display(),
        lin::verdict_words(result.verdict),
        result.model
    );
    let picture = external::picture(&history, &result, &states);
    Ok((
        picture.history,
        picture.highlights,
        picture.extras,
        file_title(&args.file),
    ))
}

pub(super) fn run(args: &Args) -> Exit {
    let mut bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!(
                "quorate render: {}: cannot read: {error}",
                args.file.display()
            );
            return Exit::BadInput;
        }
    };
    super::check::strip_utf8_bom(&mut bytes);
    if let Err(error) = super::refuse_overwrite("--out", &args.out, args.force) {
        eprintln!("quorate render: {error}");
        return Exit::BadInput;
    }
    let picture = match import::detect(&bytes) {
        Detected::External(format) => external_picture(args, bytes, format),
        Detected::QuorateJson => quorate_picture(args, bytes),
    };
    let (history, highlights, extras, title) = match picture {
        Ok(picture) => picture,
        Err(error) => {
            eprintln!("quorate render: {}: {error}", args.file.display());
            return Exit::BadInput;
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
    let page = render_html_with(&history, &highlights, &title, &extras);
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

//! `quorate minimize`: delta-debug a failing scenario and its history into a regression case.

use std::path::{Path, PathBuf};

use crate::check::{check, AnomalyKind, CheckOptions, Model};
use crate::minimize::{first_forbidden, minimize, Target};
use crate::regressions::Regression;
use crate::sim::Scenario;

use super::regression_output::write_regression;
use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A scenario file, a history that records its scenario (as `quorate sim --out` writes it),
    /// or a regression case.
    file: PathBuf,
    /// The model to check (default: the one the configuration promises).
    #[arg(long)]
    model: Option<Model>,
    /// The anomaly kind to keep, e.g. stale_read (default: the first forbidden one).
    #[arg(long)]
    kind: Option<String>,
    /// Where to write the case (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite --out if it exists.
    #[arg(long)]
    force: bool,
    /// The case's one-line title.
    #[arg(long, default_value = "")]
    title: String,
    /// The case's explanation.
    #[arg(long, default_value = "")]
    postmortem: String,
    /// The search command that found the case (default: this minimize command).
    #[arg(long)]
    found_by: Option<String>,
}

/// The scenario in a scenario file, a history's `scenario` field, or a case's.
fn load_scenario(path: &Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    Scenario::from_document(&text).map_err(|error| format!("{}: {error}", path.display()))
}

fn parse_kind(name: &str) -> Result<AnomalyKind, String> {
    AnomalyKind::ALL
        .into_iter()
        .find(|kind| kind.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = AnomalyKind::ALL.iter().map(|kind| kind.name()).collect();
            format!(
                "unknown anomaly kind {name:?}; the kinds are {}",
                names.join(", ")
            )
        })
}

/// `path` as the case's `found_by` should name it: relative to the working directory when it
/// lies under it (a case is committed to a repository and read on other machines, where an
/// absolute path from the author's machine means nothing), otherwise as given.
fn relative_to_working_dir(path: &Path) -> PathBuf {
    if !path.is_absolute() {
        return path.to_path_buf();
    }
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    std::env::current_dir()
        .ok()
        .and_then(|dir| {
            canonical(path)
                .strip_prefix(canonical(&dir))
                .ok()
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf())
}

fn build(args: &Args) -> Result<Regression, String> {
    let scenario = load_scenario(&args.file)?;
    let history = crate::sim::run_history(&scenario).map_err(|error| error.to_string())?;
    let report =
        check(&history, &CheckOptions::model(args.model)).map_err(|error| error.to_string())?;
    let kind = match &args.kind {
        Some(name) => parse_kind(name)?,
        None => first_forbidden(&report).ok_or_else(|| {
            format!(
                "{}: the scenario (seed {}) shows no forbidden anomaly; name one with --kind",
                args.file.display(),
                scenario.seed
            )
        })?,
    };
    // A kind the run shows forbidden stays forbidden in the minimized case.
    let forbidden = report
        .anomalies
        .iter()
        .any(|finding| finding.forbidden && finding.anomaly.kind() == kind);
    let target = Target {
        model: args.model,
        kind,
        forbidden,
    };
    let (small, history, report) =
        minimize(&scenario, target).map_err(|error| error.to_string())?;
    let found_by = args.found_by.clone().unwrap_or_else(|| {
        format!(
            "quorate minimize {} --kind {kind} (seed {})",
            relative_to_working_dir(&args.file).display(),
            scenario.seed
        )
    });
    let title = if args.title.is_empty() {
        format!("{kind} (seed {})", scenario.seed)
    } else {
        args.title.clone()
    };
    Ok(Regression::new(
        &title,
        &args.postmortem,
        &found_by,
        args.model,
        small,
        history,
        &report,
    ))
}

pub(super) fn run(args: &Args) -> Exit {
    write_regression("minimize", args.out.as_ref(), args.force, || build(args))
}

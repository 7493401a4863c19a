//! `quorate fuzz-artifact FILE [--out FILE]`: a crash artifact of the `scenario` fuzz target →
//! its scenario, minimized, as a regression case for `histories/`.

use std::path::PathBuf;

use crate::check::{check, CheckOptions};
use crate::fuzzing::{bugs_from_environment, scenario_of};
use crate::minimize::{first_forbidden, minimize, Target};
use crate::regressions::Regression;

use super::regression_output::write_regression;
use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The artifact libFuzzer wrote (fuzz/artifacts/scenario/crash-…). Set QUORATE_FUZZ_BUGS as
    /// the fuzz run had it, so the artifact decodes to the same scenario.
    file: PathBuf,
    /// Where to write the case (default: standard output), e.g. histories/fuzz-SEED.json.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite --out if it exists.
    #[arg(long)]
    force: bool,
}

fn build(args: &Args) -> Result<Regression, String> {
    let bugs = bugs_from_environment().map_err(|error| error.to_string())?;
    let bytes = std::fs::read(&args.file)
        .map_err(|error| format!("cannot read {}: {error}", args.file.display()))?;
    let scenario = scenario_of(&bytes, &bugs).ok_or_else(|| {
        format!(
            "{}: too short to be a scenario of the `scenario` fuzz target",
            args.file.display()
        )
    })?;
    let history = crate::sim::run_history(&scenario).map_err(|error| error.to_string())?;
    let report = check(&history, &CheckOptions::default()).map_err(|error| error.to_string())?;
    let kind = first_forbidden(&report).ok_or_else(|| {
        format!(
            "{}: its scenario (seed {}) shows no forbidden anomaly now: fixed already, or not a crash of the scenario target",
            args.file.display(),
            scenario.seed
        )
    })?;
    let target = Target {
        model: None,
        kind,
        forbidden: true,
    };
    let (small, history, report) =
        minimize(&scenario, target).map_err(|error| error.to_string())?;
    let found_by = format!(
        "cargo fuzz run -s none scenario (artifact {}), then quorate fuzz-artifact",
        args.file.display()
    );
    let title = format!(
        "{kind} found by the scenario fuzz target (seed {})",
        scenario.seed
    );
    Ok(Regression::new(
        &title, "", &found_by, None, small, history, &report,
    ))
}

pub(super) fn run(args: &Args) -> Exit {
    write_regression("fuzz-artifact", args.out.as_ref(), args.force, || {
        build(args)
    })
}

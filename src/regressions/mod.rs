//! The regressions of `histories/`: one JSON file per regression holding the scenario, the
//! (minimized) history, the model checked, the expected verdict, the anomaly kinds, the command
//! that found it and a short postmortem (sled's permanent named regressions). The files are still
//! called regression cases, and their format name stays `quorate-case-1`; in the code, "case"
//! means only an explore case.
//!
//! It owns the format ([`Regression`], marked by `"format": "quorate-case-1"`) and its replay: the
//! checker must give the stored verdict and kinds on the stored history, and re-running the
//! stored scenario must show the same verdict and kinds. What it must never do: treat a JSON file
//! that is not a regression (such as `histories/example.json`) as a failure — such files are
//! skipped.
//!
//! ```
//! use quorate::regressions::Regression;
//!
//! // histories/example.json documents the history format; it is not a regression case.
//! assert!(Regression::from_json(include_str!("../../histories/example.json")).unwrap().is_none());
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::check::{check, CheckOptions, Model, Report, UnknownModel, Verdict};
use crate::history::History;
use crate::sim::Scenario;

/// The value of a case file's `format` field.
pub const FORMAT: &str = "quorate-case-1";

/// One regression case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regression {
    /// Always [`FORMAT`] (`quorate-case-1`): what marks the file as a regression.
    pub format: String,
    /// What the case shows, in one line.
    pub title: String,
    /// Why it is here and what it shows, in two or three sentences.
    pub postmortem: String,
    /// The command (with its seed) of the search that found it.
    pub found_by: String,
    /// The model checked; absent: the one the configuration promises.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `valid`, `invalid` or `unknown`.
    pub expected_verdict: String,
    /// The anomaly kinds the check reports (allowed ones included), sorted.
    pub anomaly_kinds: Vec<String>,
    /// The minimized scenario, which re-runs into `history`.
    pub scenario: Scenario,
    /// The minimized history the scenario gave when the case was saved.
    pub history: History,
    /// The explorer's choices that reproduce the history (`quorate exhaust`'s cases): when
    /// present, the scenario is re-run by replaying them ([`crate::exhaust::replay_reference`])
    /// instead of by the simulator's clock and seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<crate::exhaust::Choice>>,
}

/// Where a case stopped matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// `stored history` or `re-run scenario`.
    pub what: &'static str,
    /// The verdict and kinds stored, as `verdict [kind, …]`.
    pub expected: String,
    /// What the check gave instead, in the same words (or `error: …`).
    pub found: String,
}

/// Why a regression file or folder cannot be read as one.
#[derive(Debug, thiserror::Error)]
pub enum RegressionError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        /// The file that could not be read.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The folder could not be listed.
    #[error("{}: cannot list: {source}", path.display())]
    Unlistable {
        /// The folder that could not be listed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// One of the errors below, in this file.
    #[error("{}: {error}", path.display())]
    InFile {
        /// The regression file.
        path: PathBuf,
        /// What is wrong in it.
        error: Box<RegressionError>,
    },
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    /// A case whose `scenario` or `history` (named) is missing or null.
    #[error("a regression case without its \"{0}\" (missing or null)")]
    Missing(&'static str),
    /// A case whose fields do not fit the format; serde_json's error.
    #[error("not a valid regression case: {0}")]
    Invalid(serde_json::Error),
    /// The stored scenario cannot run.
    #[error("scenario: {0}")]
    Scenario(#[from] crate::sim::ScenarioError),
    /// The stored history is malformed.
    #[error("history: {0}")]
    History(#[from] crate::history::HistoryError),
    /// The stored `model` is not a model's name.
    #[error(transparent)]
    Model(#[from] UnknownModel),
    /// `expected_verdict` is not a verdict's name.
    #[error("expected_verdict {0:?} is not valid, invalid or unknown")]
    Verdict(String),
}

impl Regression {
    /// Parses a case; `Ok(None)` when the JSON is not a case (no `"format": "quorate-case-1"`).
    pub fn from_json(text: &str) -> Result<Option<Regression>, RegressionError> {
        let tree: serde_json::Value =
            serde_json::from_str(text).map_err(RegressionError::NotJson)?;
        if tree.get("format").and_then(|format| format.as_str()) != Some(FORMAT) {
            return Ok(None);
        }
        for field in ["scenario", "history"] {
            if tree.get(field).map_or(true, serde_json::Value::is_null) {
                return Err(RegressionError::Missing(field));
            }
        }
        let case: Regression = serde_json::from_value(tree).map_err(RegressionError::Invalid)?;
        case.scenario.validate()?;
        case.history.validate()?;
        case.model()?;
        case.verdict()?;
        Ok(Some(case))
    }

    /// Reads and parses the case at `path`; `Ok(None)` when the file is not a case.
    pub fn load(path: &Path) -> Result<Option<Regression>, RegressionError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegressionError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Regression::from_json(&text).map_err(|error| RegressionError::InFile {
            path: path.to_path_buf(),
            error: Box::new(error),
        })
    }

    /// A case from a minimized scenario and history and the report on that history.
    pub fn new(
        title: &str,
        postmortem: &str,
        found_by: &str,
        model: Option<Model>,
        scenario: Scenario,
        history: History,
        report: &Report,
    ) -> Regression {
        Regression {
            format: FORMAT.to_string(),
            title: title.to_string(),
            postmortem: postmortem.to_string(),
            found_by: found_by.to_string(),
            model: model.map(|model| model.to_string()),
            expected_verdict: report.verdict.name().to_string(),
            anomaly_kinds: kind_names(report),
            scenario,
            history,
            schedule: None,
        }
    }

    /// The case as pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a case serializes") + "\n"
    }

    /// The stored model; `Ok(None)` when absent (the configuration's promise is checked).
    pub fn model(&self) -> Result<Option<Model>, UnknownModel> {
        self.model.as_deref().map(str::parse::<Model>).transpose()
    }

    fn verdict(&self) -> Result<Verdict, RegressionError> {
        Verdict::from_name(&self.expected_verdict)
            .ok_or_else(|| RegressionError::Verdict(self.expected_verdict.clone()))
    }

    /// Checks the stored history, then re-runs the stored scenario and checks its history: both
    /// must give the stored verdict and exactly the stored anomaly kinds.
    pub fn replay(&self) -> Result<(), Mismatch> {
        let expected = self.expectation();
        let options = CheckOptions::model(self.model().ok().flatten());
        let stored = outcome(check(&self.history, &options).map_err(|e| e.to_string()));
        if stored != expected {
            return Err(Mismatch {
                what: "stored history",
                expected,
                found: stored,
            });
        }
        let rerun_history = match &self.schedule {
            Some(schedule) => crate::exhaust::replay_reference(&self.scenario, schedule)
                .map_err(|error| error.to_string()),
            None => crate::sim::run_history(&self.scenario).map_err(|error| error.to_string()),
        };
        let rerun = outcome(
            rerun_history.and_then(|history| check(&history, &options).map_err(|e| e.to_string())),
        );
        if rerun != expected {
            return Err(Mismatch {
                what: "re-run scenario",
                expected,
                found: rerun,
            });
        }
        Ok(())
    }

    fn expectation(&self) -> String {
        let mut kinds = self.anomaly_kinds.clone();
        kinds.sort();
        format!("{} [{}]", self.expected_verdict, kinds.join(", "))
    }
}

fn kind_names(report: &Report) -> Vec<String> {
    let mut kinds: Vec<String> = report.kinds().iter().map(|kind| kind.to_string()).collect();
    kinds.sort();
    kinds
}

/// A check's verdict and kinds in the words of [`Regression::expectation`].
fn outcome(report: Result<Report, String>) -> String {
    match report {
        Ok(report) => format!(
            "{} [{}]",
            report.verdict.name(),
            kind_names(&report).join(", ")
        ),
        Err(error) => format!("error: {error}"),
    }
}

/// What replaying one file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileOutcome {
    /// The stored history and the re-run gave the stored verdict and kinds.
    Passed,
    /// Not a case (e.g. the format's example).
    Skipped,
    /// The replay differed from what is stored.
    Mismatch(Mismatch),
    /// Unreadable, or a case that does not parse.
    Broken(String),
}

/// Every `.json` file under `dir` (recursively), sorted by path so that the order never depends
/// on the file system; a file given for `dir` is itself.
pub fn regression_files(dir: &Path) -> Result<Vec<PathBuf>, RegressionError> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let unlistable = |source| RegressionError::Unlistable {
            path: folder.clone(),
            source,
        };
        let entries = std::fs::read_dir(&folder).map_err(unlistable)?;
        for entry in entries {
            let path = entry.map_err(unlistable)?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Replays one file.
pub fn replay_file(path: &Path) -> FileOutcome {
    match Regression::load(path) {
        Ok(Some(case)) => match case.replay() {
            Ok(()) => FileOutcome::Passed,
            Err(mismatch) => FileOutcome::Mismatch(mismatch),
        },
        Ok(None) => FileOutcome::Skipped,
        Err(error) => FileOutcome::Broken(error.to_string()),
    }
}

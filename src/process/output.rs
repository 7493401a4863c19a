//! What a run leaves behind: `messages.log` (bounded), and at the end `history.edn`,
//! `faults.json` and `run.json` under `--out`, and the verdict of the history as written.
//!
//! The verdict is always that of the file: the history is judged from the EDN text that was
//! written, through the same importer `quorate check` uses. What it must never do: judge anything
//! other than what it wrote, or fail a run because a log line could not be written.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;

use serde_json::json;

use super::{lin_kv, mvr_kv};
use super::{Counts, Options, Outcome, ProcessError};
use crate::check::{self, CheckOptions};
use crate::config::Durability;
use crate::history::{FaultRecord, FaultType, Trace};
use crate::verdict::{Budget, MIB};

/// How many lines `messages.log` takes at most; a flood would otherwise fill the disk.
pub(super) const LOG_LINES: u64 = 1_000_000;

/// `messages.log`: one line per routed message and per fault, up to [`LOG_LINES`].
pub(super) struct MessageLog {
    out: BufWriter<File>,
    lines: u64,
}

impl MessageLog {
    pub(super) fn new(file: File) -> MessageLog {
        MessageLog {
            out: BufWriter::new(file),
            lines: 0,
        }
    }

    pub(super) fn line(&mut self, args: std::fmt::Arguments<'_>) {
        self.lines += 1;
        // A full disk or a failed write loses log lines, never the run.
        if self.lines < LOG_LINES {
            let _ = writeln!(self.out, "{args}");
        } else if self.lines == LOG_LINES {
            let _ = writeln!(self.out, "(the log stops here: {LOG_LINES} lines)");
        }
    }

    pub(super) fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

/// An error writing `path`.
pub(super) fn io(path: &Path, error: std::io::Error) -> ProcessError {
    ProcessError::Io {
        path: path.display().to_string(),
        reason: error.to_string(),
    }
}

/// Writes the history, the faults and the summary, and judges the history (unless the run
/// stopped with `error`).
pub(super) fn write_and_judge(
    options: &Options,
    edn: &str,
    faults: Vec<FaultRecord>,
    counts: Counts,
    error: Option<ProcessError>,
) -> Result<Outcome, ProcessError> {
    let history_path = options.out.join("history.edn");
    std::fs::write(&history_path, edn).map_err(|error| io(&history_path, error))?;
    let faults_path = options.out.join("faults.json");
    let faults_json = serde_json::to_string_pretty(&faults).expect("fault records serialize");
    std::fs::write(&faults_path, faults_json).map_err(|error| io(&faults_path, error))?;
    let result = match error {
        Some(_) => None,
        None => {
            let budget = Budget {
                time: Some(options.check_budget),
                memory: Some(1024 * MIB),
            };
            Some(
                lin_kv::check(edn, &budget).map_err(|reason| ProcessError::Io {
                    path: history_path.display().to_string(),
                    reason: format!("the recorded history does not load: {reason}"),
                })?,
            )
        }
    };
    let run_path = options.out.join("run.json");
    let summary = json!({
        "workload": "lin-kv",
        "bin": options.bin.display().to_string(),
        "args": options.args,
        "seed": options.seed,
        "node_count": options.node_count,
        "concurrency": options.concurrency,
        "time_limit_s": options.time_limit.as_secs_f64(),
        "rate": options.rate,
        "latency_ms": options.latency.as_millis() as u64,
        "timeout_ms": options.timeout.as_millis() as u64,
        "nemesis": options.nemesis.iter().map(|kind| kind.cli_name()).collect::<Vec<_>>(),
        "nemesis_interval_s": options.nemesis_interval.as_secs_f64(),
        "counts": counts,
        "faults": faults,
        "error": error.as_ref().map(ToString::to_string),
        "verdict": result.as_ref().map(|result| crate::lin::verdict_words(result.verdict)),
        "check_command": format!("quorate check {} --model {}", history_path.display(), lin_kv::MODEL),
    });
    let text = serde_json::to_string_pretty(&summary).expect("the summary serializes");
    std::fs::write(&run_path, text).map_err(|error| io(&run_path, error))?;
    Ok(Outcome {
        result,
        report: None,
        missing_snapshots: Vec::new(),
        error,
        faults,
        counts,
        history_path,
    })
}

/// `mvr-kv`: writes the history (quorate's JSON, with the store's configuration, the faults and
/// the trace if one was recorded, with how many events it left out), the faults and the summary,
/// and judges the history as written with the leaderless checker (unless the run stopped with
/// `error`). A kill is recorded as losing data when the store's configuration is volatile.
pub(super) fn write_and_judge_mvr(
    options: &Options,
    clients: &mvr_kv::Clients,
    (mut faults, trace): (Vec<FaultRecord>, Option<(Trace, u64)>),
    counts: Counts,
    error: Option<ProcessError>,
) -> Result<Outcome, ProcessError> {
    let volatile = options.store_config.durability == Durability::Volatile;
    for fault in &mut faults {
        fault.loses_data = volatile && fault.kind == FaultType::Crash;
    }
    let mut history = clients.history();
    history.config = Some(options.store_config.clone());
    history.faults = faults.clone();
    let trace_left_out = trace.as_ref().map(|(_, left_out)| *left_out);
    history.trace = trace.map(|(trace, _)| trace);
    let history_path = options.out.join("history.json");
    let text = history.to_json();
    std::fs::write(&history_path, &text).map_err(|error| io(&history_path, error))?;
    let faults_path = options.out.join("faults.json");
    let faults_json = serde_json::to_string_pretty(&faults).expect("fault records serialize");
    std::fs::write(&faults_path, faults_json).map_err(|error| io(&faults_path, error))?;
    let loaded = |reason: String| ProcessError::Io {
        path: history_path.display().to_string(),
        reason: format!("the recorded history does not load: {reason}"),
    };
    let report = match error {
        Some(_) => None,
        None => {
            // Judged from the text written, through the loader `quorate check` uses.
            let written = crate::history::History::from_json(&text)
                .map_err(|error| loaded(error.to_string()))?;
            let options = CheckOptions::model(Some(options.model));
            Some(check::check(&written, &options).map_err(|error| loaded(error.to_string()))?)
        }
    };
    let missing = clients.missing().to_vec();
    let run_path = options.out.join("run.json");
    let mut summary = json!({
        "workload": "mvr-kv",
        "bin": options.bin.display().to_string(),
        "args": options.args,
        "seed": options.seed,
        "node_count": options.node_count,
        "concurrency": options.concurrency,
        "time_limit_s": options.time_limit.as_secs_f64(),
        "rate": options.rate,
        "latency_ms": options.latency.as_millis() as u64,
        "timeout_ms": options.timeout.as_millis() as u64,
        "settle_s": options.settle.as_secs_f64(),
        "nemesis": options.nemesis.iter().map(|kind| kind.cli_name()).collect::<Vec<_>>(),
        "nemesis_interval_s": options.nemesis_interval.as_secs_f64(),
        "counts": counts,
        "faults": faults,
        "missing_snapshots": missing,
        "error": error.as_ref().map(ToString::to_string),
        "model": options.model.name(),
        "verdict": report.as_ref().map(|report| report.verdict.name()),
        "check_command": format!("quorate check {} --model {}", history_path.display(), options.model),
    });
    if let Some(left_out) = trace_left_out {
        summary["trace_events_left_out"] = json!(left_out);
    }
    let text = serde_json::to_string_pretty(&summary).expect("the summary serializes");
    std::fs::write(&run_path, text).map_err(|error| io(&run_path, error))?;
    Ok(Outcome {
        result: None,
        report,
        missing_snapshots: missing,
        error,
        faults,
        counts,
        history_path,
    })
}

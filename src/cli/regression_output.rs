//! Where the commands that make a regression case (`minimize`, `fuzz-artifact`) put it: a file
//! that is never overwritten without `--force` ([`super::refuse_overwrite`]), or standard output.

use std::path::PathBuf;

use crate::regressions::Regression;

use super::Exit;

/// Runs `build` unless `out` exists and `force` is off, reports the case in one line on
/// standard error, and writes it to `out` (or standard output).
pub(super) fn write_regression(
    command: &str,
    out: Option<&PathBuf>,
    force: bool,
    build: impl FnOnce() -> Result<Regression, String>,
) -> Exit {
    if let Some(out) = out {
        if let Err(error) = super::refuse_overwrite("--out", out, force) {
            eprintln!("quorate {command}: {error}");
            return Exit::BadInput;
        }
    }
    let case = match build() {
        Ok(case) => case,
        Err(error) => {
            eprintln!("quorate {command}: {error}");
            return Exit::BadInput;
        }
    };
    eprintln!(
        "quorate {command}: {} steps, {} faults, {} clients, {} nodes; history of {} operations: {} [{}]",
        case.scenario.op_count(),
        case.scenario.faults.len(),
        case.scenario.clients.len(),
        case.scenario.config.nodes,
        case.history.operations.len(),
        case.expected_verdict,
        case.anomaly_kinds.join(", ")
    );
    match out {
        Some(out) => {
            if let Err(error) = std::fs::write(out, case.to_json()) {
                eprintln!("quorate {command}: cannot write {}: {error}", out.display());
                return Exit::BadInput;
            }
            eprintln!("quorate {command}: case written to {}", out.display());
        }
        None => say_raw!("{}", case.to_json()),
    }
    Exit::Valid
}

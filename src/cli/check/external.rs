//! `quorate check FILE` for histories of other tools (Knossos / Jepsen EDN, Jepsen logs,
//! Porcupine key-value logs): import, pick the model, run the linearizability checker, print the
//! verdict (or the full result with `--json`) and say it with the exit code.
//!
//! This file only does effects (printing) on the bytes `super` read, which it hands to the importer
//! to free once read, before the search; importing lives in `crate::lin::import`, checking in
//! `crate::lin`.

use crate::cli::{write_stdout, Exit};
use crate::lin::external::{self, SpecName};
use crate::lin::import::{self, edn, Format as ImportFormat};
use crate::lin::{self, CheckResult};
use crate::verdict::{Budget, MIB};

use super::Args;

/// The search's budget when `--timeout` and `--max-memory` are not given: no time limit, and
/// 1024 MiB of memory, the leaderless checker's default too, so that a hard history ends as `unknown` rather
/// than with the process killed.
const BUDGET_DEFAULT: Budget = Budget {
    time: None,
    memory: Some(1_024 * MIB),
};

/// Checks `bytes`, a history in `format`, as `args` ask.
pub(super) fn run(args: &Args, bytes: Vec<u8>, format: ImportFormat) -> Exit {
    match check_bytes(args, bytes, format) {
        Ok(result) => {
            print_result(args, &result);
            result.verdict.into()
        }
        Err(message) => {
            eprintln!("quorate check: {}: {message}", args.file.display());
            Exit::BadInput
        }
    }
}

fn check_bytes(args: &Args, bytes: Vec<u8>, format: ImportFormat) -> Result<CheckResult, String> {
    let history = import::import_owned(bytes, format).map_err(|error| error.to_string())?;
    super::refuse_empty(args, history.operations.len())?;
    let model = match &args.model {
        Some(name) => SpecName::parse(name).map_err(|error| error.to_string())?,
        None => default_model(format, &history),
    };
    let initial = match &args.initial {
        Some(text) => {
            Some(edn::read_value(text).map_err(|error| format!("--initial {text:?}: {error}"))?)
        }
        None => None,
    };
    let budget = super::budget(args, BUDGET_DEFAULT)?;
    external::check(&history, model, initial.as_ref(), &budget).map_err(|error| error.to_string())
}

pub(in crate::cli) fn default_model(
    format: ImportFormat,
    history: &import::ExternalHistory,
) -> SpecName {
    match format {
        ImportFormat::JepsenLog => SpecName::Etcd,
        ImportFormat::PorcupineKv => SpecName::Kv,
        ImportFormat::Edn => SpecName::guess(history),
    }
}

/// Prints the result to standard output, streamed: a counterexample may quote a huge value, which
/// is written out, never copied into the text first. A failed write exits 2 at the end, except a
/// closed pipe (`quorate check ... | head`): the exit code still carries the verdict.
fn print_result(args: &Args, result: &CheckResult) {
    if args.json {
        let mut unserializable = None;
        write_stdout(
            |out| match serde_json::to_writer_pretty(&mut *out, result) {
                Ok(()) => out.write_all(b"\n"),
                Err(error) if error.is_io() => Err(error.into()),
                Err(error) => {
                    unserializable = Some(error);
                    Ok(())
                }
            },
        );
        if let Some(error) = unserializable {
            eprintln!("quorate check: cannot write the result as JSON: {error}");
        }
        return;
    }
    say_raw!(
        "{}: {} under the {} model ({} operations in {} partition(s), {} configurations, {:.1} ms)\n",
        args.file.display(),
        lin::verdict_words(result.verdict),
        result.model,
        result.operations,
        result.partitions,
        result.configurations,
        result.elapsed_ms
    );
    if let Some(counterexample) = &result.counterexample {
        say_raw!("{counterexample}");
    }
    if let Some(reason) = &result.unknown_reason {
        say_raw!(
            "gave up: {reason}; unfinished: {}\n",
            result.partitions_unfinished.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::BUDGET_DEFAULT;
    use crate::check::KEY_BUDGET;

    #[test]
    fn external_histories_get_the_leaderless_checkers_default_memory_and_no_time_limit() {
        // The README promises one default memory budget for both paths (1024 MiB).
        assert_eq!(BUDGET_DEFAULT.memory, KEY_BUDGET.memory);
        assert_eq!(BUDGET_DEFAULT.memory, Some(1024 * crate::verdict::MIB));
        assert_eq!(BUDGET_DEFAULT.time, None);
    }
}

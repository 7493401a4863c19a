//! Every history in the shared corpora (`MANIFEST.tsv`: file, format, model, initial value,
//! expected verdict) gets its expected verdict, through the library and through
//! `quorate check`.
//!
//! The corpora are found through `QUORATE_CORPORA`, else at `../shared/corpora` beside the
//! repository. Without either the test says so in one line and passes, except under CI
//! (`CI=true`), where a missing corpus is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use quorate::lin::external::{self, SpecName};
use quorate::lin::import::{self, edn, Detected, Format};
use quorate::lin::verdict_words;
use quorate::verdict::{Budget, Verdict};

struct Entry {
    file: String,
    format: String,
    model: String,
    initial: String,
    expected: Verdict,
}

fn corpora_folder() -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = match std::env::var_os("QUORATE_CORPORA") {
        Some(folder) => vec![PathBuf::from(folder)],
        None => vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora")],
    };
    candidates
        .iter()
        .find(|folder| folder.join("MANIFEST.tsv").is_file())
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = candidates
                .iter()
                .map(|folder| folder.display().to_string())
                .collect();
            format!(
                "no corpus MANIFEST.tsv at {} (set QUORATE_CORPORA)",
                looked.join(", ")
            )
        })
}

fn parse_manifest(text: &str) -> Vec<Entry> {
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                fields.len(),
                5,
                "MANIFEST line {line:?} should have 5 fields"
            );
            Entry {
                file: fields[0].to_string(),
                format: fields[1].to_string(),
                model: fields[2].to_string(),
                initial: fields[3].to_string(),
                expected: match fields[4] {
                    "linearizable" => Verdict::Valid,
                    "not-linearizable" => Verdict::Invalid,
                    other => panic!("unknown expected verdict {other:?} in MANIFEST"),
                },
            }
        })
        .collect()
}

fn format_of(name: &str) -> Format {
    match name {
        "edn" => Format::Edn,
        "jepsen-log" => Format::JepsenLog,
        "porcupine-kv" => Format::PorcupineKv,
        other => panic!("unknown format {other:?} in MANIFEST"),
    }
}

fn entries() -> Option<(PathBuf, Vec<Entry>)> {
    match corpora_folder() {
        Ok(folder) => {
            let manifest = std::fs::read_to_string(folder.join("MANIFEST.tsv"))
                .expect("MANIFEST.tsv is readable");
            Some((folder, parse_manifest(&manifest)))
        }
        Err(message) => {
            let in_ci = std::env::var("CI").is_ok_and(|value| value == "true");
            assert!(!in_ci, "corpus test under CI: {message}");
            // Three tests share this; the line is said once.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| println!("corpus test did not run: {message}"));
            None
        }
    }
}

#[test]
fn every_corpus_file_gets_its_expected_verdict() {
    let Some((folder, entries)) = entries() else {
        return;
    };
    assert!(!entries.is_empty(), "the MANIFEST lists no file");
    let mut wrong = Vec::new();
    for entry in &entries {
        let bytes = std::fs::read(folder.join(&entry.file)).expect("a corpus file is readable");
        let format = format_of(&entry.format);
        assert_eq!(
            import::detect(&bytes),
            Detected::External(format),
            "{}: format detection",
            entry.file
        );
        let history = import::import(&bytes, format)
            .unwrap_or_else(|error| panic!("{}: {error}", entry.file));
        let model = SpecName::parse(&entry.model).expect("a known model");
        let initial = match entry.initial.as_str() {
            "unlocked" => None,
            text => Some(edn::read_value(text).expect("an EDN initial value")),
        };
        let result = external::check(&history, model, initial.as_ref(), &Budget::unlimited())
            .unwrap_or_else(|error| panic!("{}: {error}", entry.file));
        if result.verdict != entry.expected {
            wrong.push(format!(
                "{}: expected {}, got {}",
                entry.file,
                verdict_words(entry.expected),
                verdict_words(result.verdict)
            ));
        }
        if result.verdict == Verdict::Invalid {
            assert!(
                result.counterexample.is_some(),
                "{}: a violation comes with a counterexample",
                entry.file
            );
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

#[test]
fn quorate_check_exits_with_the_expected_code() {
    let Some((folder, entries)) = entries() else {
        return;
    };
    for entry in &entries {
        let output = Command::new(env!("CARGO_BIN_EXE_quorate"))
            .arg("check")
            .arg(folder.join(&entry.file))
            .args([
                "--format",
                &entry.format,
                "--model",
                &entry.model,
                "--initial",
                &entry.initial,
            ])
            .output()
            .expect("quorate runs");
        let expected_code = match entry.expected {
            Verdict::Valid => 0,
            Verdict::Invalid => 1,
            Verdict::Unknown => 3,
        };
        assert_eq!(
            output.status.code(),
            Some(expected_code),
            "{}: stdout {} stderr {}",
            entry.file,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn json_output_carries_the_verdict_and_counterexample() {
    let Some((folder, entries)) = entries() else {
        return;
    };
    let Some(entry) = entries
        .iter()
        .find(|entry| entry.expected == Verdict::Invalid)
    else {
        return;
    };
    let output = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .arg("check")
        .arg(folder.join(&entry.file))
        .args([
            "--model",
            &entry.model,
            "--initial",
            &entry.initial,
            "--json",
        ])
        .output()
        .expect("quorate runs");
    let result: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("--json prints JSON");
    assert_eq!(result["verdict"], "not-linearizable");
    assert!(result["counterexample"]["blocked"]["description"].is_string());
}

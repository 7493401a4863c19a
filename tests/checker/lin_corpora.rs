//! Every history in the external corpora (`MANIFEST.tsv`: file, format, model, initial value,
//! expected verdict) gets its expected verdict, through the library and through
//! `quorate check`.
//!
//! The corpora are committed under `tests/corpora/` (origins and licences in its `NOTICE.md`);
//! `QUORATE_CORPORA` may point at another folder with its own `MANIFEST.tsv`. A folder without
//! one is a failure, never a silent pass.

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

fn corpora_folder() -> PathBuf {
    match std::env::var_os("QUORATE_CORPORA") {
        Some(folder) => PathBuf::from(folder),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora"),
    }
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

fn entries() -> (PathBuf, Vec<Entry>) {
    let folder = corpora_folder();
    let manifest = std::fs::read_to_string(folder.join("MANIFEST.tsv")).unwrap_or_else(|error| {
        panic!(
            "{}: {error} (the corpora live in tests/corpora/, or where QUORATE_CORPORA says)",
            folder.join("MANIFEST.tsv").display()
        )
    });
    let entries = parse_manifest(&manifest);
    assert!(!entries.is_empty(), "{}: no entries", folder.display());
    (folder, entries)
}

#[test]
fn every_corpus_file_gets_its_expected_verdict() {
    let (folder, entries) = entries();
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
    let (folder, entries) = entries();
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
    let (folder, entries) = entries();
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

//! Runs each fuzz target's body over its committed seed corpus (`fuzz/corpus/<target>/`), so the
//! bodies are checked on every `cargo test`, also where cargo-fuzz is not installed.

use std::collections::BTreeSet;
use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no seeds", folder.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("a seed file");
            (path, bytes)
        })
        .collect()
}

#[test]
fn parse_corpus() {
    let seeds = corpus("parse");
    for (_, bytes) in &seeds {
        quorate::fuzzing::parse(bytes);
    }
    // The seeds are meant to reach past the syntax: at least one of them loads as each format.
    use quorate::history::History;
    use quorate::lin::import::{import, Format};
    assert!(seeds
        .iter()
        .any(|(_, bytes)| History::from_slice(bytes).is_ok()));
    for format in [Format::Edn, Format::JepsenLog, Format::PorcupineKv] {
        let loads = seeds
            .iter()
            .filter(|(_, bytes)| import(bytes, format).is_ok())
            .count();
        assert!(loads > 0, "no seed imports as {format:?}");
    }
}

#[test]
fn checker_oracle_corpus() {
    let seeds = corpus("checker_oracle");
    let compared = seeds
        .iter()
        .filter(|(_, bytes)| quorate::fuzzing::checker_oracle(bytes))
        .count();
    // A corpus whose every seed is rejected before the comparison would test nothing.
    assert!(
        compared * 2 >= seeds.len() && compared > 0,
        "only {compared} of {} seeds reached the comparison",
        seeds.len()
    );
}

#[test]
fn scenario_corpus() {
    let seeds = corpus("scenario");
    let drawn = seeds
        .iter()
        .filter(|(_, bytes)| quorate::fuzzing::scenario_of(bytes, &BTreeSet::new()).is_some())
        .count();
    assert_eq!(
        drawn,
        seeds.len(),
        "every committed seed should decode to a scenario"
    );
    for (_, bytes) in &seeds {
        quorate::fuzzing::scenario(bytes, &BTreeSet::new());
    }
}

//! Replays the regression corpus `histories/` (docs/DESIGN.md §5): for every case file the checker
//! gives the stored verdict and anomaly kinds on the stored history, and re-running the stored
//! scenario gives them again. Files that are not cases (the format's `example.json`) are skipped.
//! `quorate replay histories` does the same from the command line.

use std::path::Path;

use quorate::regressions::{regression_files, replay_file, FileOutcome};

#[test]
fn every_case_in_histories_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("histories");
    let mut failures = Vec::new();
    let mut passed = 0;
    let files = regression_files(&dir).unwrap();
    for path in &files {
        match replay_file(path) {
            FileOutcome::Passed => passed += 1,
            // The one file that is not a case: the format's example.
            FileOutcome::Skipped if path.ends_with("example.json") => {}
            FileOutcome::Skipped => failures.push(format!(
                "{}: skipped, but only histories/example.json may be (is it a case?)",
                path.display()
            )),
            FileOutcome::Mismatch(mismatch) => failures.push(format!(
                "{}: {} expected {}, found {} (replay: quorate replay {})",
                path.display(),
                mismatch.what,
                mismatch.expected,
                mismatch.found,
                path.display()
            )),
            FileOutcome::Broken(error) => failures.push(error),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every file but the example ran, and there are cases to run.
    assert_eq!(passed, files.len() - 1, "{files:?}");
    assert!(passed >= 10, "only {passed} cases in histories/");
}

#[test]
fn the_format_example_is_not_a_case() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("histories/example.json");
    assert_eq!(replay_file(&example), FileOutcome::Skipped);
}

//! Pinned outputs: what a refactoring must never change.
//!
//! - `quorate sim --config P --seed S` writes the same bytes for the six presets and seeds 1–3
//!   (pinned as an FNV-1a digest and length of each file, in `tests/pinned/sim-digests.txt`);
//! - `quorate explore --cases 2000 --seed 1 --jobs 1` prints the same table and the same witnesses
//!   (`tests/pinned/explore-table.txt`, without the results folder's paths and the timings);
//! - `quorate check` gives the same exit code on every file of `histories/`
//!   (`tests/pinned/check-exits.txt`).
//!
//! A change that is meant to change one of these outputs updates the pinned file in the same
//! commit, with the reason in the commit message: run with `QUORATE_BLESS=1` to rewrite them.

mod common;

use common::quorate;
use std::path::{Path, PathBuf};

const PRESETS: [&str; 6] = ["dynamo", "weak", "sloppy", "lww", "cassandra", "atomic"];

fn pinned(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/pinned")
        .join(name)
}

/// Compares `actual` with the pinned file, or rewrites the file when `QUORATE_BLESS=1`.
fn assert_pinned(name: &str, actual: &str) {
    let path = pinned(name);
    if std::env::var("QUORATE_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} changed at line {}:\n  pinned: {:?}\n  now:    {:?}\n(QUORATE_BLESS=1 rewrites it, if the change is meant)",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn sim_writes_the_pinned_bytes_for_every_preset_and_seeds_1_to_3() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for preset in PRESETS {
        for seed in ["1", "2", "3"] {
            let out = dir.path().join(format!("{preset}-{seed}.json"));
            let (code, _, stderr) = quorate(&[
                "sim",
                "--config",
                preset,
                "--seed",
                seed,
                "--out",
                out.to_str().unwrap(),
            ]);
            assert_eq!(code, 0, "{stderr}");
            let bytes = std::fs::read(&out).unwrap();
            lines.push_str(&format!(
                "{preset} {seed} {} {:016x}\n",
                bytes.len(),
                fnv1a(&bytes)
            ));
        }
    }
    assert_pinned("sim-digests.txt", &lines);
}

#[test]
fn explore_prints_the_pinned_table_and_witnesses() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("results");
    let (code, stdout, stderr) = quorate(&[
        "explore",
        "--cases",
        "2000",
        "--seed",
        "1",
        "--jobs",
        "1",
        "--save",
        save.to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    // The paths name the temporary folder and the last line carries wall-clock timings.
    let kept: Vec<&str> = stdout
        .lines()
        .filter(|line| !line.contains("quorate replay") && !line.contains(" cases in "))
        .collect();
    assert!(kept.len() > 20, "{stdout}");
    assert_pinned(
        "explore-table.txt",
        &format!("exit {code}\n{}\n", kept.join("\n")),
    );
}

#[test]
fn check_gives_the_pinned_exit_code_on_every_file_of_histories() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut folders = vec![root.join("histories")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    let mut lines = String::new();
    for file in files {
        let (code, _, stderr) = quorate(&["check", file.to_str().unwrap()]);
        assert!(code <= 1, "{}: exit {code}: {stderr}", file.display());
        let relative = file.strip_prefix(root).unwrap();
        lines.push_str(&format!("{} {code}\n", relative.display()));
    }
    assert_pinned("check-exits.txt", &lines);
}

//! The external importers' speed and memory (issue #20, item 2): each format's committed corpus
//! files (`tests/corpora/`), concatenated until the input is at least 50 MB, imported 5 times;
//! prints the median time, the throughput, and the most memory allocated at once during an
//! import, as a multiple of the input's size.
//!
//! `cargo bench --bench import`. The inputs are the corpus files repeated, each copy a complete
//! history of its own, so the concatenation is one long valid history (EDN: the vectors' contents
//! inside one vector; logs: the lines one after another).

use std::path::Path;
use std::time::{Duration, Instant};

use quorate::lin::import::{self, Format};

#[path = "support/proc_status.rs"]
mod proc_status;

/// A line of `/proc/self/status` in bytes (`VmRSS`: resident now; `VmHWM`: the most resident
/// since the last reset); 0 where it is not known.
fn status_bytes(field: &str) -> u64 {
    proc_status::status_kilobytes(field).map_or(0, |kilobytes| kilobytes * 1024)
}

const TARGET_BYTES: usize = 50 << 20;
const RUNS: usize = 5;

/// The corpus files of one format, each a complete history.
fn corpus(folder: &str, extension: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpora")
        .join(folder);
    let mut files = Vec::new();
    let mut folders = vec![root];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("the corpus is committed") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|found| found == extension) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect()
}

/// The files repeated, one after another, to at least [`TARGET_BYTES`]; each copy's processes
/// renumbered (the integer after every `marker` raised by 1,000 a copy), so that an operation a
/// copy leaves open does not meet the next copy's operations of the same process.
fn repeated(files: &[String], marker: &str, join: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(TARGET_BYTES + (1 << 20));
    let mut copy = 0u64;
    while out.len() < TARGET_BYTES {
        for file in files {
            out.push_str(&renumbered(&join(file), marker, copy * 1000));
            copy += 1;
        }
    }
    out
}

fn renumbered(text: &str, marker: &str, offset: u64) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let (before, after) = rest.split_at(at + marker.len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<u64>() {
            Ok(process) => out.push_str(&(process + offset).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The register histories of the Knossos corpus inside one vector (only the `cas-register`
/// ones: every file's operations are on one register, so a long history of them is one too).
fn edn_input() -> String {
    let files: Vec<String> = corpus("knossos/cas-register", "edn")
        .into_iter()
        .filter(|file| {
            // One history per file (a few hold a vector of histories).
            let single = file.trim_start().strip_prefix('[').map(str::trim_start);
            single.is_some_and(|rest| rest.starts_with('{'))
                && import::import(file.as_bytes(), Format::Edn).is_ok()
        })
        .collect();
    let inner = repeated(&files, ":process ", |file| {
        let trimmed = file.trim();
        let inside = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(trimmed);
        format!("{inside}\n")
    });
    format!("[{inner}]")
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let inputs = [
        ("Knossos EDN (cas-register)", Format::Edn, edn_input()),
        (
            "Jepsen log (etcd)",
            Format::JepsenLog,
            repeated(&corpus("jepsen-etcd", "log"), "jepsen.util - ", |file| {
                format!("{}\n", file.trim_end())
            }),
        ),
        (
            "Porcupine key-value",
            Format::PorcupineKv,
            repeated(&corpus("porcupine-kv", "txt"), ":process ", |file| {
                format!("{}\n", file.trim_end())
            }),
        ),
    ];
    println!("| format | input MB | operations | median ms (of {RUNS}) | MB/s | most resident added, MB |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, format, text) in inputs {
        let bytes = text.into_bytes();
        let megabytes = bytes.len() as f64 / 1e6;
        let mut times = Vec::with_capacity(RUNS);
        let mut peak_added = 0.0f64;
        let mut operations = 0;
        for _ in 0..RUNS {
            let input = bytes.clone();
            let before = status_bytes("VmRSS");
            proc_status::reset_peak();
            let started = Instant::now();
            // As `quorate check` does: the importer takes the bytes and frees them once read.
            let history = import::import_owned(input, format).expect("the corpus imports");
            times.push(started.elapsed());
            let added = status_bytes("VmHWM").saturating_sub(before);
            peak_added = peak_added.max(added as f64 / 1e6);
            operations = history.operations.len();
            drop(history);
        }
        let time = median(times);
        println!(
            "| {name} | {megabytes:.1} | {operations} | {:.0} | {:.0} | {peak_added:.0} |",
            time.as_secs_f64() * 1e3,
            megabytes / time.as_secs_f64()
        );
    }
}

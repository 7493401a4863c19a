//! Where the time and memory of `quorate check` go on a large history: reading and parsing the
//! file (a chunk at a time, as `quorate check` does), validating (which catalogues the history by key), checking. For the numbers in the
//! README's performance section:
//!
//! ```sh
//! cargo bench --bench check        # writes target/bench-check/history.json (1M operations)
//! cargo run --release --example check_phases -- target/bench-check/history.json
//! ```

use std::time::Instant;

use quorate::check::{check_catalog, CheckOptions};
use quorate::history::History;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_phases HISTORY.json");
        std::process::exit(2);
    };
    // Read as `quorate check` reads a history: a chunk at a time, the file never held whole.
    let started = Instant::now();
    let history = or_exit(History::parse_file(path.as_ref()), &path);
    let parse_s = started.elapsed().as_secs_f64();
    let parse_mb = resident_mb();
    let started = Instant::now();
    let catalog = or_exit(history.validated(), &path);
    let validate_s = started.elapsed().as_secs_f64();
    let validate_mb = resident_mb();
    let started = Instant::now();
    let verdict = match check_catalog(&catalog, &CheckOptions::default()) {
        Ok(report) => format!("{:?}", report.verdict),
        Err(error) => format!("cannot be checked: {error}"),
    };
    let check_s = started.elapsed().as_secs_f64();
    let check_mb = resident_mb();
    println!(
        "read and parse {parse_s:.3} s, validate {validate_s:.3} s, check {check_s:.3} s; {verdict}"
    );
    println!(
        "resident after each: read and parse {parse_mb} MB, validate {validate_mb} MB, check {check_mb} MB; peak {} MB",
        peak_mb()
    );
}

#[path = "../benches/support/proc_status.rs"]
mod proc_status;

/// The process's resident size now, in MB (`?` where `/proc` does not tell).
fn resident_mb() -> String {
    status_mb("VmRSS")
}

/// The most the process has held resident so far, in MB.
fn peak_mb() -> String {
    status_mb("VmHWM")
}

fn status_mb(field: &str) -> String {
    proc_status::status_kilobytes(field)
        .map_or_else(|| "?".to_owned(), |kb| (kb / 1000).to_string())
}

/// The value, or the error printed after the file's name and exit code 2 (bad input).
fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>, path: &str) -> T {
    result.unwrap_or_else(|error| {
        eprintln!("{path}: {error}");
        std::process::exit(2)
    })
}

//! Where the time of `quorate check` goes on a large history: reading the file, parsing the
//! JSON, validating (which catalogues the history by key), checking. For the numbers in the
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
    let started = Instant::now();
    let bytes = or_exit(std::fs::read(&path), &path);
    let read_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let history = or_exit(History::parse(&bytes), &path);
    let parse_s = started.elapsed().as_secs_f64();
    drop(bytes);
    let started = Instant::now();
    let catalog = or_exit(history.validated(), &path);
    let validate_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let verdict = match check_catalog(&catalog, &CheckOptions::default()) {
        Ok(report) => format!("{:?}", report.verdict),
        Err(error) => format!("cannot be checked: {error}"),
    };
    let check_s = started.elapsed().as_secs_f64();
    println!(
        "read {read_s:.3} s, parse {parse_s:.3} s, validate {validate_s:.3} s, check {check_s:.3} s; {verdict}"
    );
}

/// The value, or the error printed after the file's name and exit code 2 (bad input).
fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>, path: &str) -> T {
    result.unwrap_or_else(|error| {
        eprintln!("{path}: {error}");
        std::process::exit(2)
    })
}

//! Benchmark over every history of the external corpora (`MANIFEST.tsv`): per file, the median
//! time to import and to check (and their sum), and the total of the medians.
//!
//! `cargo bench --bench corpora` (release build). Corpora are found as the corpus test finds
//! them: `QUORATE_CORPORA`, else the committed `tests/corpora/`. `QUORATE_BENCH_RUNS`
//! sets the runs per file (default 21). A plain timing loop, no framework: the numbers to
//! compare are tens of microseconds to tens of milliseconds, and a median of repeated runs is
//! enough to compare them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use quorate::lin::external::{self, SpecName};
use quorate::lin::import::{self, edn, Format};
use quorate::lin::{verdict_words, CheckResult};
use quorate::verdict::Budget;

fn corpora_folder() -> Option<PathBuf> {
    let folder = match std::env::var_os("QUORATE_CORPORA") {
        Some(folder) => PathBuf::from(folder),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora"),
    };
    folder.join("MANIFEST.tsv").is_file().then_some(folder)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn run_once(
    bytes: &[u8],
    format: Format,
    model: SpecName,
    initial: Option<&edn::Edn>,
) -> (Duration, Duration, CheckResult) {
    let started = Instant::now();
    let history = import::import(bytes, format).expect("a corpus file imports");
    let imported = Instant::now();
    let result = external::check(&history, model, initial, &Budget::unlimited())
        .expect("a corpus file checks");
    (imported - started, imported.elapsed(), result)
}

fn main() {
    let Some(folder) = corpora_folder() else {
        println!("corpora bench did not run: no MANIFEST.tsv in tests/corpora or QUORATE_CORPORA");
        return;
    };
    let runs: usize = std::env::var("QUORATE_BENCH_RUNS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(21);
    let manifest =
        std::fs::read_to_string(folder.join("MANIFEST.tsv")).expect("MANIFEST.tsv is readable");
    println!("| file | verdict | ops | import ms | check ms | total ms |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut total = Duration::ZERO;
    for line in manifest
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, format, model, initial, _expected] = fields[..] else {
            panic!("MANIFEST line {line:?} should have 5 fields");
        };
        let format = match format {
            "edn" => Format::Edn,
            "jepsen-log" => Format::JepsenLog,
            "porcupine-kv" => Format::PorcupineKv,
            other => panic!("MANIFEST line {line:?}: unknown format {other:?} (edn, jepsen-log or porcupine-kv)"),
        };
        let model = SpecName::parse(model).expect("a known model");
        let initial = (initial != "unlocked")
            .then(|| edn::read_value(initial).expect("an EDN initial value"));
        let bytes = std::fs::read(folder.join(file)).expect("a corpus file is readable");
        let mut imports = Vec::with_capacity(runs);
        let mut checks = Vec::with_capacity(runs);
        let mut totals = Vec::with_capacity(runs);
        let mut last = None;
        for _ in 0..runs {
            let (import_time, check_time, result) =
                run_once(&bytes, format, model, initial.as_ref());
            imports.push(import_time);
            checks.push(check_time);
            totals.push(import_time + check_time);
            last = Some(result);
        }
        let result = last.expect("at least one run");
        let file_total = median(totals);
        total += file_total;
        println!(
            "| {file} | {} | {} | {:.3} | {:.3} | {:.3} |",
            verdict_words(result.verdict),
            result.operations,
            milliseconds(median(imports)),
            milliseconds(median(checks)),
            milliseconds(file_total)
        );
    }
    println!("| **total** | | | | | {:.3} |", milliseconds(total));
}

//! A history with one huge value is checked in about twice the input's size at most (issue 18:
//! a 1 GB string in EDN or Porcupine input took 6.3 GB).
//!
//! This file owns that bound. It counts the bytes the process has allocated (a counting global
//! allocator around the system's), not the resident size, so the bound is exact and does not
//! depend on the machine's load; it is its own test binary, so no other test allocates while it
//! measures. Each case goes the way `quorate check` goes: the file's bytes handed to the importer
//! (which frees them once read), the check under the model the CLI picks, and the output the CLI
//! prints (the counterexample in words and the result as JSON), written to nowhere.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use quorate::lin::external::{self, SpecName};
use quorate::lin::import::{self, Format};
use quorate::verdict::{Budget, Verdict};

/// Bytes allocated now, and the most allocated at once since the last [`reset_peak`].
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting.
struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::SeqCst) + bytes;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

fn shrank(bytes: usize) {
    CURRENT.fetch_sub(bytes, Ordering::SeqCst);
}

// SAFETY: every method only forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract, and returns what `System` returned; the counters beside it are plain
// atomics that never touch the memory handed out.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc(layout);
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc_zeroed(layout);
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        System.dealloc(pointer, layout);
        shrank(layout.size());
    }

    /// Counted as the change of size: a large block grows or shrinks where it is (the system
    /// remaps it), and a small one that moves is small.
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(pointer, layout, new_size);
        if !moved.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        moved
    }
}

fn reset_peak() {
    PEAK.store(CURRENT.load(Ordering::SeqCst), Ordering::SeqCst);
}

/// The size of the huge value: large enough that everything else is noise.
const HUGE_BYTES: usize = 20 << 20;
/// What a case may allocate beyond twice its input: the rest of the history, the search, the
/// result (a few kilobytes), with room to spare.
const SLACK_BYTES: usize = 1 << 20;

/// A plain string of `bytes` bytes, as an EDN literal.
fn plain(bytes: usize) -> String {
    let unit = "abcdefghij klmnopqrstu vwxyz01234 ";
    let mut text = String::with_capacity(bytes + 2);
    text.push('"');
    while text.len() < bytes + 1 {
        let room = bytes + 1 - text.len();
        text.push_str(&unit[..unit.len().min(room)]);
    }
    text.push('"');
    text
}

/// A string of about `bytes` bytes that is mostly escapes and non-ASCII, as an EDN literal.
fn escaped(bytes: usize) -> String {
    let unit = r#"{\"k\": \"caf\u00e9 é\"}\n\t"#;
    let mut text = String::with_capacity(bytes + unit.len() + 2);
    text.push('"');
    while text.len() < bytes {
        text.push_str(unit);
    }
    text.push('"');
    text
}

fn edn(kind: &str, f: &str, value: &str, process: u32) -> String {
    format!("{{:type :{kind}, :f :{f}, :value {value}, :process {process}}}\n")
}

fn kv(kind: &str, f: &str, key: &str, value: &str, process: u32) -> String {
    format!("{{:process {process}, :type :{kind}, :f :{f}, :key \"{key}\", :value {value}}}\n")
}

fn jepsen(kind: &str, f: &str, value: &str, process: u32) -> String {
    format!("INFO  jepsen.util - {process}\t:{kind}\t:{f}\t{value}\n")
}

/// A few small operations beside the huge one, so the search has something to do.
fn edn_others() -> String {
    [
        edn("invoke", "write", "1", 1),
        edn("ok", "write", "1", 1),
        edn("invoke", "read", "nil", 2),
        edn("ok", "read", "1", 2),
    ]
    .concat()
}

fn kv_others() -> String {
    [
        kv("invoke", "append", "j", "\"a\"", 1),
        kv("ok", "append", "j", "\"a\"", 1),
        kv("invoke", "get", "j", "nil", 2),
        kv("ok", "get", "j", "\"a\"", 2),
    ]
    .concat()
}

struct Case {
    name: &'static str,
    format: Format,
    /// The model `quorate check` picks for it by default.
    model: &'static str,
    input: String,
    verdict: Verdict,
}

fn cases() -> Vec<Case> {
    let huge = plain(HUGE_BYTES);
    let half = plain(HUGE_BYTES / 2);
    let escapes = escaped(HUGE_BYTES);
    vec![
        Case {
            name: "EDN: a write whose :ok repeats its huge value",
            format: Format::Edn,
            model: "register",
            input: format!(
                "[{}{}{}]",
                edn("invoke", "write", &half, 0),
                edn("ok", "write", &half, 0),
                edn_others()
            ),
            verdict: Verdict::Valid,
        },
        Case {
            name: "EDN: an :ok read of a huge value nothing wrote",
            format: Format::Edn,
            model: "register",
            input: format!(
                "[{}{}{}]",
                edn_others(),
                edn("invoke", "read", "nil", 0),
                edn("ok", "read", &huge, 0)
            ),
            verdict: Verdict::Invalid,
        },
        Case {
            name: "EDN: a write of a huge value full of escapes",
            format: Format::Edn,
            model: "register",
            input: format!(
                "[{}{}{}]",
                edn("invoke", "write", &escapes, 0),
                edn("ok", "write", "nil", 0),
                edn_others()
            ),
            verdict: Verdict::Valid,
        },
        Case {
            name: "Porcupine: a put whose :ok repeats its huge value",
            format: Format::PorcupineKv,
            model: "kv",
            input: format!(
                "{}{}{}",
                kv("invoke", "put", "k", &half, 0),
                kv("ok", "put", "k", &half, 0),
                kv_others()
            ),
            verdict: Verdict::Valid,
        },
        Case {
            name: "Porcupine: an :ok get of a huge value nothing put",
            format: Format::PorcupineKv,
            model: "kv",
            input: format!(
                "{}{}{}",
                kv_others(),
                kv("invoke", "get", "k", "nil", 0),
                kv("ok", "get", "k", &huge, 0)
            ),
            verdict: Verdict::Invalid,
        },
        Case {
            name: "Porcupine: an append of a huge value full of escapes",
            format: Format::PorcupineKv,
            model: "kv",
            input: format!(
                "{}{}{}",
                kv("invoke", "append", "k", &escapes, 0),
                kv("ok", "append", "k", "nil", 0),
                kv_others()
            ),
            verdict: Verdict::Valid,
        },
        Case {
            name: "Jepsen log: a write of a huge value",
            format: Format::JepsenLog,
            model: "etcd",
            input: [
                jepsen("invoke", "write", &huge, 0),
                jepsen("ok", "write", "nil", 0),
            ]
            .concat(),
            verdict: Verdict::Valid,
        },
    ]
}

/// Imports, checks and prints `bytes` as `quorate check` does; returns the verdict.
fn check_as_the_cli_does(bytes: Vec<u8>, format: Format, model: &str) -> Verdict {
    let history = import::import_owned(bytes, format).expect("the history imports");
    let model = SpecName::parse(model).expect("a model");
    let budget = Budget {
        time: None,
        memory: Some(1024 << 20),
    };
    let result = external::check(&history, model, None, &budget).expect("the history checks");
    if let Some(counterexample) = &result.counterexample {
        let mut words = Nowhere;
        write!(words, "{counterexample}").expect("writes to nowhere");
    }
    serde_json::to_writer_pretty(std::io::sink(), &result).expect("writes to nowhere");
    std::io::sink().flush().expect("flushes nowhere");
    result.verdict
}

/// A `fmt::Write` that keeps nothing.
struct Nowhere;

impl std::fmt::Write for Nowhere {
    fn write_str(&mut self, _text: &str) -> std::fmt::Result {
        Ok(())
    }
}

#[test]
fn a_huge_value_is_checked_in_about_twice_the_inputs_size() {
    let mut report = Vec::new();
    let mut over = Vec::new();
    for case in cases() {
        // Exactly the input's size, as a file read whole is.
        let mut bytes = case.input.into_bytes();
        bytes.shrink_to_fit();
        let input_bytes = bytes.capacity();
        let before = CURRENT.load(Ordering::SeqCst);
        reset_peak();
        let verdict = check_as_the_cli_does(bytes, case.format, case.model);
        // The input was already allocated when the peak was reset: count it in.
        let peak = PEAK.load(Ordering::SeqCst) - before + input_bytes;
        let bound = input_bytes * 22 / 10 + SLACK_BYTES;
        let line = format!(
            "{}: {:.1} MB in, peak {:.1} MB ({:.2}×), bound {:.1} MB, {verdict:?}",
            case.name,
            input_bytes as f64 / 1e6,
            peak as f64 / 1e6,
            peak as f64 / input_bytes as f64,
            bound as f64 / 1e6,
        );
        assert_eq!(verdict, case.verdict, "{line}");
        if peak > bound {
            over.push(case.name);
        }
        report.push(line);
    }
    println!("{}", report.join("\n"));
    assert!(
        over.is_empty(),
        "over the bound: {over:?}\n{}",
        report.join("\n")
    );
}

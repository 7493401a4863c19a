//! Malformed inputs of every format: `quorate check` exits 2 with a message that names the place,
//! and no byte string makes an importer (or the checker behind it) panic.

use std::io::Write;
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::Config;
use quorate::lin::external::{self, SpecName};
use quorate::lin::import::{import, Format};
use quorate::verdict::{Budget, Verdict};

const FORMATS: [Format; 3] = [Format::Edn, Format::JepsenLog, Format::PorcupineKv];

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(500);
    Config {
        cases,
        ..Config::default()
    }
}

/// Runs `quorate check` on `contents` with extra arguments; returns the exit code and stderr.
fn check_cli(contents: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut file = tempfile();
    file.1
        .write_all(contents.as_bytes())
        .expect("writes the temporary file");
    let output = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .arg("check")
        .arg(&file.0)
        .args(args)
        .output()
        .expect("quorate runs");
    let _ = std::fs::remove_file(&file.0);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn tempfile() -> (std::path::PathBuf, std::fs::File) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "quorate-import-malformed-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::File::create(&path).expect("creates a temporary file");
    (path, file)
}

#[test]
fn malformed_inputs_exit_2_naming_the_place() {
    let cases: [(&str, &[&str], &str); 9] = [
        ("[{:type :invoke, :f :read, :value nil, :process 0}", &["--format", "edn"], "line 1, column 1: the top-level vector is never closed"),
        ("[{:type :invoke, :f :read, :value ^:meta nil, :process 0}]", &["--format", "edn"], "line 1, column 35: metadata (^) is not supported"),
        ("[{:type :ok, :f :read, :value 1, :process 0}]", &["--format", "edn"], "line 1, column 2: process 0 completes read without having invoked it"),
        ("[{:type :invoke, :f :cas, :value 3, :process 0}]", &["--format", "edn", "--model", "cas-register"], "line 1: process 0 cas 3 is not an operation of the cas-register model: a cas takes [from to], found 3"),
        ("INFO  jepsen.util - 0\t:invoke\t:write\t{1\n", &["--format", "jepsen-log"], "line 1, column 38: the value \"{1\" does not parse"),
        ("INFO  jepsen.util - 0\t:bogus\t:write\t1\n", &["--format", "jepsen-log"], "line 1, column 23: unknown type \":bogus\""),
        ("{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n{:process 0, :type :ok, :f :get, :key \"1\" :value}\n", &["--format", "porcupine-kv"], "line 2, column 1: a map needs an even number of forms"),
        ("{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n", &["--format", "porcupine-kv", "--model", "nope"], "unknown model \"nope\""),
        ("[{:type :invoke, :f :write, :value 1, :process 0}]", &["--initial", "{:x"], "--initial \"{:x\""),
    ];
    for (contents, args, expected) in cases {
        let (code, stderr) = check_cli(contents, args);
        assert_eq!(code, Some(2), "{contents:?} {args:?}: stderr {stderr}");
        assert!(
            stderr.contains(expected),
            "{contents:?} {args:?}: stderr {stderr:?} should contain {expected:?}"
        );
    }
}

#[test]
fn invalid_utf8_is_an_error_naming_the_place() {
    for format in FORMATS {
        let error = import(b"[{:type :invoke}\n \xff]", format).expect_err("not UTF-8");
        assert_eq!((error.line, error.column), (2, 2), "{format:?}: {error}");
    }
}

/// Text made of EDN's building blocks, so that random inputs reach deep into the reader.
fn edn_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("["),
        Just("]"),
        Just("("),
        Just(")"),
        Just("{"),
        Just("}"),
        Just("#{"),
        Just("#_"),
        Just("#inst "),
        Just(":type "),
        Just(":invoke "),
        Just(":ok "),
        Just(":fail "),
        Just(":info "),
        Just(":f "),
        Just(":read "),
        Just(":write "),
        Just(":cas "),
        Just(":txn "),
        Just(":get "),
        Just(":append "),
        Just(":key "),
        Just(":value "),
        Just(":process "),
        Just("0 "),
        Just("1 "),
        Just("-3 "),
        Just("99999999999999999999 "),
        Just("1.5 "),
        Just("nil "),
        Just("\"x\" "),
        Just("\"\\u00e9\" "),
        Just("\\a "),
        Just(", "),
        Just("; c\n"),
        Just("\n"),
        Just("[1 2] "),
        Just("INFO  jepsen.util - "),
        Just("\t"),
        Just(":nemesis "),
        Just("^"),
        Just("#\""),
        Just("\"")
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// Imports `bytes` in every format and checks what loads against every model, asserting what
/// can be asserted of any input: an import error names a place inside the bytes (or none) and
/// keeps its message short; a result's verdict agrees with what it carries (a counterexample
/// exactly when invalid, a reason exactly when unknown).
fn import_and_check_never_panic(bytes: &[u8]) {
    let budget = Budget {
        time: Some(std::time::Duration::from_millis(50)),
        memory: Some(50_000_000),
    };
    for format in FORMATS {
        match import(bytes, format) {
            Err(error) => {
                let lines: Vec<&[u8]> = bytes.split(|&byte| byte == b'\n').collect();
                assert!(error.line <= lines.len(), "{format:?}: {error}");
                if error.line > 0 {
                    let line = lines[error.line - 1];
                    assert!(error.column <= line.len() + 1, "{format:?}: {error}");
                } else {
                    assert_eq!(error.column, 0, "{format:?}: {error}");
                }
                assert!(error.message.len() <= 1000, "{format:?}: {error}");
                assert!(!error.message.is_empty(), "{format:?}");
            }
            Ok(history) => {
                for model in SpecName::ALL {
                    if let Ok(result) = external::check(&history, model, None, &budget) {
                        assert_eq!(
                            result.verdict == Verdict::Invalid,
                            result.counterexample.is_some(),
                            "{format:?} {model:?}: {result:?}"
                        );
                        assert_eq!(
                            result.verdict == Verdict::Unknown,
                            result.unknown_reason.is_some(),
                            "{format:?} {model:?}: {result:?}"
                        );
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        import_and_check_never_panic(&bytes);
    }

    #[test]
    fn edn_like_text_never_panics(text in edn_like()) {
        import_and_check_never_panic(text.as_bytes());
    }
}

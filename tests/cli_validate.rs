//! `quorate validate`: exit 0 on a valid history, 2 with a message naming the problem otherwise.

mod common;

use common::quorate;

#[test]
fn validate_accepts_the_example() {
    let (code, stdout, _) = quorate(&["validate", "histories/example.json"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        "histories/example.json: valid history, 9 operations, 1 faults, 6 replica snapshots"
    );
}

#[test]
fn validate_rejects_a_broken_copy_naming_the_problem() {
    let folder = tempfile::tempdir().unwrap();
    let broken = folder.path().join("broken.json");
    let text = std::fs::read_to_string("histories/example.json").unwrap();
    // Make operation 5 complete before it was invoked.
    let text = text.replace(
        "\"time_ms_invoke\": 30, \"time_ms_complete\": 33",
        "\"time_ms_invoke\": 30, \"time_ms_complete\": 3",
    );
    std::fs::write(&broken, text).unwrap();
    let (code, stdout, stderr) = quorate(&["validate", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.ends_with(
            "broken.json: operation #5 completes at 3 ms, before it was invoked at 30 ms\n"
        ),
        "{stderr}"
    );
}

#[test]
fn validate_rejects_a_context_the_client_never_read() {
    let folder = tempfile::tempdir().unwrap();
    let broken = folder.path().join("unread-context.json");
    let text = std::fs::read_to_string("histories/example.json").unwrap();
    // Drop client 1's read of v3: its delete then names a value it never read.
    let text = text.replace("\"id\": 8, \"client\": 1", "\"id\": 8, \"client\": 2");
    std::fs::write(&broken, text).unwrap();
    let (code, _, stderr) = quorate(&["validate", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("delete #4 (value \"d1\", client 1) has \"v3\" in its context, but client 1 had not read \"v3\""),
        "{stderr}"
    );
}

#[test]
fn bad_usage_and_missing_files_exit_2() {
    assert_eq!(quorate(&["validate"]).0, 2);
    assert_eq!(quorate(&["frobnicate"]).0, 2);
    let (code, _, stderr) = quorate(&["validate", "no/such/file.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no/such/file.json: cannot read the file"),
        "{stderr}"
    );
}

#[test]
fn help_and_version_exit_0() {
    let (code, stdout, _) = quorate(&["--version"]);
    assert_eq!(
        (code, stdout.trim()),
        (0, concat!("quorate ", env!("CARGO_PKG_VERSION")))
    );
    let (code, stdout, _) = quorate(&["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("validate"), "{stdout}");
}

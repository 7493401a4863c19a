//! `quorate render --keys` and `--around`: the page narrows to what was asked, and a key or an
//! operation the history lacks is an error that names it.

use std::process::Command;

fn render(extra: &[&str]) -> (i32, String, String) {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("page.html");
    let output = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .args(["render", "histories/example.json", "--out"])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    let page = std::fs::read_to_string(&out).unwrap_or_default();
    (
        output.status.code().unwrap(),
        page,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn keys_draw_only_those_keys() {
    let (code, page, stderr) = render(&[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(page.matches(" data-key=").count(), 2);
    let (code, page, stderr) = render(&["--keys", "cart"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(page.matches(" data-key=").count(), 1);
    assert!(page.contains("data-key=\"cart\""));
}

#[test]
fn around_draws_fewer_operations_than_the_whole() {
    let (_, whole, _) = render(&[]);
    let (code, page, stderr) = render(&["--around", "4", "--context", "0"]);
    assert_eq!(code, 0, "{stderr}");
    let bars = |page: &str| page.matches("<g class=\"op ").count();
    assert!(page.contains("data-op=\"4\""));
    assert!(
        bars(&page) < bars(&whole),
        "{} of {}",
        bars(&page),
        bars(&whole)
    );
}

#[test]
fn a_missing_key_or_operation_is_named() {
    let (code, _, stderr) = render(&["--keys", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no key \"nope\""), "{stderr}");
    let (code, _, stderr) = render(&["--around", "77"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no operation #77"), "{stderr}");
}

#[test]
fn render_names_an_external_format_instead_of_a_json_error() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    for (file, format) in [
        (
            "tests/corpora/porcupine-kv/c01-ok.txt",
            "a Porcupine key-value history",
        ),
        (
            "tests/corpora/jepsen-etcd/etcd_000.log",
            "a Jepsen log history",
        ),
    ] {
        let (code, stdout, stderr) =
            crate::common::quorate(&["render", file, "--out", page.to_str().unwrap()]);
        assert_eq!(code, 2, "{file}: {stdout}");
        assert!(stderr.starts_with("quorate render: "), "{stderr}");
        assert!(stderr.contains(format), "{file}: {stderr}");
        assert!(stderr.contains("quorate check"), "{stderr}");
        assert!(!page.exists());
    }
}

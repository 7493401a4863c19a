//! `quorate render --keys` and `--around`: the page narrows to what was asked, and a key or an
//! operation the history lacks is an error that names it.

use std::process::Command;

/// The data a timeline page embeds for its script (see `src/render/data.rs`), parsed.
pub(crate) fn page_data(page: &str) -> serde_json::Value {
    let opening = "<script type=\"application/json\" id=\"quorate-data\">";
    let start = page.find(opening).expect("the page embeds its data") + opening.len();
    let end = start + page[start..].find("</script>").expect("the data ends");
    serde_json::from_str(&page[start..end]).expect("the data is JSON")
}

/// The keys a page draws.
fn keys(page: &str) -> Vec<String> {
    page_data(page)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key.as_str().unwrap().to_string())
        .collect()
}

/// The ids of the operations a page draws (`id` is left out when they count up by one).
fn operations(page: &str) -> Vec<u64> {
    let ops = &page_data(page)["ops"];
    let (first, count) = (ops["id0"].as_u64().unwrap(), ops["count"].as_u64().unwrap());
    if ops["id"].is_null() {
        return (first..first + count).collect();
    }
    let mut id = 0;
    ops["id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|delta| {
            id += delta.as_i64().unwrap();
            id as u64
        })
        .collect()
}

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
    assert_eq!(keys(&page), ["cart", "profile"]);
    let (code, page, stderr) = render(&["--keys", "cart"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(keys(&page), ["cart"]);
}

#[test]
fn around_draws_fewer_operations_than_the_whole() {
    let (_, whole, _) = render(&[]);
    let (code, page, stderr) = render(&["--around", "4", "--context", "0"]);
    assert_eq!(code, 0, "{stderr}");
    let (drawn, all) = (operations(&page), operations(&whole));
    assert!(drawn.contains(&4), "{drawn:?}");
    assert!(drawn.len() < all.len(), "{drawn:?} of {all:?}");
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

/// A malformed history is bad input with the place and the reason, never a panic or a page.
#[test]
fn a_malformed_history_is_named_with_its_place_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    let cases = [
        (
            "truncated.json",
            r#"{"version": 1, "operations": [{"id": 0, "client": 0"#,
            "line 1",
        ),
        (
            "backwards.json",
            r#"{"version": 1, "operations": [{"id": 0, "client": 0, "key": "k", "kind": "put", "value": "a", "time_ms_invoke": 9, "time_ms_complete": 2, "outcome": "ok"}]}"#,
            "#0",
        ),
        (
            "misspelt.json",
            r#"{"version": 1, "operations": [{"id": 0, "clinet": 0, "key": "k", "kind": "put", "value": "a", "time_ms_invoke": 0, "time_ms_complete": 2, "outcome": "ok"}]}"#,
            "clinet",
        ),
    ];
    for (name, text, place) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let (code, stdout, stderr) = crate::common::quorate(&[
            "render",
            file.to_str().unwrap(),
            "--out",
            page.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{name}: {stdout}{stderr}");
        assert!(stderr.starts_with("quorate render: "), "{name}: {stderr}");
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert!(stderr.contains(place), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(!page.exists(), "{name}");
    }
}

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

/// An external history is drawn with the linearizability checker's result: a bad one's page
/// marks the operation that cannot be linearized as the forbidden witness, numbers the longest
/// linearizable prefix in its labels with the model's state after each, and says it above the
/// picture; a good one's page has no anomaly and says it is linearizable.
#[test]
fn render_draws_an_external_history_with_the_linearizability_result() {
    let dir = tempfile::tempdir().unwrap();
    for (file, model, bad) in [
        ("tests/corpora/porcupine-kv/c01-bad.txt", "kv", true),
        ("tests/corpora/porcupine-kv/c01-ok.txt", "kv", false),
        ("tests/corpora/jepsen-etcd/etcd_000.log", "etcd", true),
    ] {
        let page = dir.path().join(format!("{}.html", bad));
        let (code, stdout, stderr) =
            crate::common::quorate(&["render", file, "--out", page.to_str().unwrap(), "--force"]);
        assert_eq!(code, 0, "{file}: {stdout} {stderr}");
        let verdict = if bad {
            "not linearizable"
        } else {
            "linearizable"
        };
        assert!(
            stdout.contains(&format!("{verdict} under the {model} model")),
            "{file}: {stdout}"
        );
        let html = std::fs::read_to_string(&page).unwrap();
        let data = page_data(&html);
        assert_eq!(data["unit"], "event", "{file}");
        let labels: Vec<&str> = data["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|label| label.as_str().unwrap())
            .collect();
        assert_eq!(labels.len() as u64, data["ops"]["count"].as_u64().unwrap());
        assert!(
            labels.iter().all(|label| label.contains("(line ")),
            "{labels:?}"
        );
        let anomalies = data["anomalies"].as_array().unwrap();
        if !bad {
            assert!(anomalies.is_empty(), "{file}: {anomalies:?}");
            assert!(html.contains("Linearizable under the kv model"), "{file}");
            continue;
        }
        // The witness: one operation, forbidden.
        let witness = &anomalies[0];
        assert_eq!(witness["w"], 1);
        assert!(witness["m"].is_null());
        assert_eq!(witness["o"].as_array().unwrap().len(), 1);
        assert!(html.contains("Not linearizable under the"), "{file}");
        // The prefix: numbered 1, 2, … in its order, each with the state after it.
        if let Some(prefix) = anomalies.get(1) {
            assert_eq!(prefix["m"], model);
            let ids = prefix["o"].as_array().unwrap();
            for (place, id) in ids.iter().enumerate() {
                let label = labels[id.as_u64().unwrap() as usize];
                assert!(
                    label.starts_with(&format!("{}. ", place + 1)) && label.contains(" ⇒ "),
                    "{file}: {label}"
                );
            }
        }
        // No operation outside the prefix carries a number.
        let numbered = labels.iter().filter(|label| label.contains(" ⇒ ")).count();
        let prefix_length = anomalies
            .get(1)
            .map_or(0, |prefix| prefix["o"].as_array().unwrap().len());
        assert_eq!(numbered, prefix_length, "{file}");
    }
}

/// An external history's model and initial state are the user's to name; a wrong one is bad
/// input that names it, and `--initial` on a quorate history is refused.
#[test]
fn render_names_a_bad_model_or_initial_state() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    let out = page.to_str().unwrap();
    let porcupine = "tests/corpora/porcupine-kv/c01-ok.txt";
    for (args, reason) in [
        (
            vec![porcupine, "--model", "nonsense"],
            "unknown model \"nonsense\"",
        ),
        (vec![porcupine, "--initial", "[unclosed"], "--initial"),
        (vec![porcupine, "--timeout", "0"], "--timeout"),
        (
            vec!["histories/example.json", "--initial", "1"],
            "external histories",
        ),
        (
            vec!["histories/example.json", "--model", "cas-register"],
            "--model",
        ),
    ] {
        let mut full = vec!["render"];
        full.extend(&args);
        full.extend(["--out", out]);
        let (code, stdout, stderr) = crate::common::quorate(&full);
        assert_eq!(code, 2, "{args:?}: {stdout}");
        assert!(stderr.starts_with("quorate render: "), "{stderr}");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
        assert!(!page.exists(), "{args:?}");
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

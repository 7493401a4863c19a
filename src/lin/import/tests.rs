use super::*;

fn check(text: &str, format: Format, expected: &str) {
    let shown = match import(text.as_bytes(), format) {
        Ok(history) => history
            .operations
            .iter()
            .map(ExternalOp::describe)
            .collect::<Vec<_>>()
            .join("\n"),
        Err(error) => format!("error: {error}"),
    };
    assert_eq!(shown, expected, "importing {text:?}");
}

#[test]
fn knossos_drops_failures_and_keeps_crashes_open() {
    check(
        "; a comment\n[{:type :invoke, :f :cas, :value [1 2], :process 0}\n {:type :fail, :f :cas, :value [1 2], :process 0}\n {:type :invoke, :f :write, :value 3, :process 1}\n {:type :info, :f :write, :value 3, :process 1}\n {:type :info, :f :start, :process :nemesis}]",
        Format::Edn,
        "line 4: process 1 write 3 (never completed)",
    );
}

#[test]
fn porcupine_reads_a_failed_cas_as_completed() {
    check(
        "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 4]\nINFO  jepsen.util - 1\t:fail\t:cas\t[1 4]\nINFO  jepsen.util - 2\t:invoke\t:read\tnil\nINFO  jepsen.util - 2\t:fail\t:read\t:timed-out\n",
        Format::JepsenLog,
        "line 1: process 1 cas [1 4] (failed)",
    );
}

#[test]
fn jepsen_log_fields_after_the_value_are_ignored() {
    check(
        "INFO  jepsen.util - 6 \t:invoke :write \t38 \t:hint 0\nINFO  jepsen.util - 6 \t:ok :write \t38 \t:hint 2\n",
        Format::JepsenLog,
        "line 1: process 6 write 38 (ok)",
    );
}

#[test]
fn porcupine_kv_lines_carry_keys() {
    check(
        "{:process 0, :type :invoke, :f :get, :key \"3\", :value nil}\n{:process 0, :type :ok, :f :get, :key \"3\", :value \"x 0 0 y\"}\n",
        Format::PorcupineKv,
        "line 1: process 0 get key \"3\" nil (ok \"x 0 0 y\")",
    );
}

#[test]
fn malformed_inputs_name_the_place() {
    check(
        "[{:type :invoke, :f :read, :process 0}",
        Format::Edn,
        "error: line 1, column 1: the top-level vector is never closed",
    );
    // Forms are read and paired one by one: the first error in the file is the one reported.
    check(
        "[{:type :invoke, :f :read}",
        Format::Edn,
        "error: line 1, column 2: the operation has no :process",
    );
    check(
        "[{:type :ok, :f :read, :process 0}]",
        Format::Edn,
        "error: line 1, column 2: process 0 completes read without having invoked it",
    );
    check(
        "[{:type :begin, :f :read, :process 0}]",
        Format::Edn,
        "error: line 1, column 2: unknown :type :begin; expected :invoke, :ok, :fail or :info",
    );
    check("[1 2]", Format::Edn, "error: line 1, column 2: expected an operation map like {:type :invoke, :f :read, :value nil, :process 0}, found 1");
    check(
        "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 4\n",
        Format::JepsenLog,
        "error: line 1, column 36: the value \"[1 4\" does not parse: '[' is never closed",
    );
    check("hello\n", Format::JepsenLog, "error: no Jepsen operation lines (`INFO  jepsen.util - <process> :<type> :<f> <value>`) in the file");
    check("[{:type :invoke, :f :read, :process 0}\n{:type :invoke, :f :read, :process 0}]", Format::Edn, "error: line 2, column 1: process 0 invokes read while its read from line 1 has not completed");
}

#[test]
fn detects_formats() {
    assert_eq!(
        detect(b"{\"version\": 1, \"operations\": []}"),
        Detected::QuorateJson
    );
    assert_eq!(
        detect(b"INFO  jepsen.util - 4\t:invoke\t:read\tnil\n"),
        Detected::External(Format::JepsenLog)
    );
    assert_eq!(
        detect(b"{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n"),
        Detected::External(Format::PorcupineKv)
    );
    assert_eq!(
        detect(b"; comment\n[{:type :invoke}]"),
        Detected::External(Format::Edn)
    );
}

#[test]
fn detects_json_by_its_first_key_however_far_the_operations_are() {
    let mut large = String::from("{\n  \"version\": 1,\n  \"scenario\": \"");
    large.push_str(&"x".repeat(200 * 1024));
    large.push_str("\",\n  \"operations\": []\n}");
    assert_eq!(detect(large.as_bytes()), Detected::QuorateJson);
    assert_eq!(detect(b"  {}"), Detected::QuorateJson);
    assert_eq!(
        detect(b"{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}"),
        Detected::External(Format::PorcupineKv)
    );
    assert_eq!(
        detect(b"[{:type :invoke, :f :read}]"),
        Detected::External(Format::Edn)
    );
}

/// The history the whole-value reading makes of `text`: the document read whole, each map made
/// into its event, then paired (how EDN was imported before the fast reading of operation maps).
fn import_whole(text: &str, reading: Reading) -> Result<ExternalHistory, ImportError> {
    let mut events_read = Vec::new();
    for form in edn::read_document(text)? {
        if let Some(event) = events::event_of_map_for_tests(form)? {
            events_read.push(event);
        }
    }
    events::pair(events_read, reading)
}

#[test]
fn operation_maps_read_fast_import_as_the_whole_values_do() {
    // Each a one-map document (or two), so that the first error is the same either way: plain
    // maps, every spelling of :f, extra keys, nemesis events, tagged records, repeated keys,
    // discarded forms, comments, malformed values and missing fields.
    let maps = [
        "{:process 0, :type :invoke, :f :read, :value nil}",
        "{:type :invoke :process 3 :f :cas :value [1 2] :time 17 :index 4}",
        "{:process 0, :type :invoke, :f \"write\", :value \"x\"}",
        "{:process 0, :type :invoke, :f write, :value 1}",
        "{:process 0, :type :invoke, :f :append, :key \"k\", :value \"x 0 y\"}",
        "{:process :nemesis, :type :info, :f :start, :value nil}",
        "{:process :nemesis, :type :bogus, :f :start}",
        "#jepsen.history.Op{:process 0, :type :invoke, :f :read, :value nil}",
        "{:process 0, :process 1, :type :invoke, :f :read}",
        "{:process 0, :type :invoke, :type :ok, :f :read}",
        "{:process 0, :type :invoke, :f :read, :value 1, :value 2}",
        "{:process 0, #_ :ignored :type :invoke, :f :read}",
        "{:process 0 ; a comment\n :type :invoke, :f :read}",
        "{:process 0, :type :invoke, :f :read, :value [1 2}",
        "{:process 0, :type :invoke, :f :read, :value}",
        "{:process 0, :type \"invoke\", :f :read}",
        "{:process 0, :type :bogus, :f :read}",
        "{:process 0, :type :invoke, :f nil}",
        "{:process 0, :type :invoke, :f 3}",
        "{:type :invoke, :f :read}",
        "{:process 0, :f :read}",
        "{:process 0, :type :invoke}",
        "{\"process\" 0, :type :invoke, :f :read}",
        "{: 0, :type :invoke, :f :read}",
        "[1 2 3]",
        ":keyword",
    ];
    let completion = "{:process 0, :type :ok, :f :read, :value 5}";
    for map in maps {
        for text in [
            map.to_string(),
            format!("[{map}\n {completion}]"),
            format!("{map}\n{completion}\n"),
        ] {
            for reading in [Reading::Knossos, Reading::Porcupine] {
                let fast = events::import_edn_document(&text, reading);
                let whole = import_whole(&text, reading);
                assert_eq!(fast, whole, "{text:?} under {reading:?}");
            }
        }
    }
}

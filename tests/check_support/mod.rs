//! Shared by the checker's tests: a one-line-per-operation shorthand for histories, turned into
//! the JSON format (so the loader is exercised too). See `check_fixtures.rs` for the syntax.

#![allow(dead_code)]

pub(crate) mod generate;

use quorate::history::History;
use serde_json::{json, Map, Value};

pub(crate) fn history(text: &str) -> History {
    let mut config = Value::Null;
    let mut faults = Vec::new();
    let mut run = Value::Null;
    let mut replicas: Option<Vec<Value>> = None;
    let mut operations = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[0] {
            "config" => {
                let mut preset = quorate::config::Config::preset(words[1]).unwrap();
                for setting in &words[2..] {
                    match *setting {
                        "reaping=immediate" => preset.reaping = quorate::config::Reaping::Immediate,
                        "reaping=after_ms" => {
                            preset.reaping = quorate::config::Reaping::AfterMs(100);
                        }
                        "anti_entropy=off" => preset.anti_entropy_period_ms = None,
                        other => panic!("unknown config setting {other}"),
                    }
                }
                config = serde_json::to_value(preset).unwrap();
            }
            "fault" => faults.push(json!({"kind": "crash", "time_ms_start": 0, "loses_data": words[1] == "loses_data"})),
            "run" => run = json!({"steps": 10, "time_ms_end": 100, "quiescent": words[1] == "quiescent"}),
            "replica" => {
                let snapshots = replicas.get_or_insert_with(Vec::new);
                for holding in &words[2..] {
                    let (node, values) = holding.split_once('=').unwrap();
                    let node: u32 = node.trim_start_matches('n').parse().unwrap();
                    let values: Vec<&str> = values.split(',').filter(|v| !v.is_empty()).collect();
                    snapshots.push(json!({"key": words[1], "node": node, "values": values}));
                }
            }
            _ => operations.push(operation(&words)),
        }
    }
    let mut document = Map::new();
    document.insert("version".into(), json!(1));
    if !config.is_null() {
        document.insert("config".into(), config);
    }
    document.insert("operations".into(), Value::Array(operations));
    if !faults.is_empty() {
        document.insert("faults".into(), Value::Array(faults));
    }
    if let Some(replicas) = replicas {
        document.insert("replicas".into(), Value::Array(replicas));
    }
    if !run.is_null() {
        document.insert("run".into(), run);
    }
    let text = serde_json::to_string(&Value::Object(document)).unwrap();
    History::from_json(&text).unwrap_or_else(|error| panic!("bad fixture: {error}\n{text}"))
}

fn operation(words: &[&str]) -> Value {
    let mut op = Map::new();
    op.insert("id".into(), json!(words[0].parse::<u64>().unwrap()));
    op.insert(
        "client".into(),
        json!(words[1].trim_start_matches('c').parse::<u32>().unwrap()),
    );
    op.insert("kind".into(), json!(words[2]));
    op.insert("key".into(), json!(words[3]));
    let mut rest = &words[4..];
    if words[2] == "get" {
        let values: Vec<&str> = rest[0]
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .filter(|v| !v.is_empty())
            .collect();
        op.insert("values".into(), json!(values));
    } else {
        op.insert("value".into(), json!(rest[0]));
    }
    rest = &rest[1..];
    let mut meta = Map::new();
    for word in rest {
        if let Some(context) = word.strip_prefix("ctx=") {
            op.insert(
                "context".into(),
                json!(context.split(',').collect::<Vec<_>>()),
            );
        } else if let Some(dot) = word.strip_prefix("dot=") {
            let (node, counter) = dot.split_once(':').unwrap();
            meta.insert("dot".into(), json!({"node": node.parse::<u32>().unwrap(), "counter": counter.parse::<u64>().unwrap()}));
        } else if let Some(vv) = word.strip_prefix("vv=") {
            let entries: Map<String, Value> = vv
                .split(',')
                .filter(|e| !e.is_empty())
                .map(|entry| {
                    let (node, counter) = entry.split_once(':').unwrap();
                    (node.to_string(), json!(counter.parse::<u64>().unwrap()))
                })
                .collect();
            meta.insert("context_vv".into(), Value::Object(entries));
        } else if let Some(ts) = word.strip_prefix("ts=") {
            meta.insert("timestamp".into(), json!(ts.parse::<u64>().unwrap()));
        } else if let Some((invoke, complete)) = word.split_once('-') {
            op.insert(
                "time_ms_invoke".into(),
                json!(invoke.parse::<u64>().unwrap()),
            );
            op.insert(
                "time_ms_complete".into(),
                json!(complete.parse::<u64>().unwrap()),
            );
        } else if let Ok(invoke) = word.parse::<u64>() {
            op.insert("time_ms_invoke".into(), json!(invoke));
        } else {
            op.insert("outcome".into(), json!(word));
        }
    }
    if !meta.is_empty() {
        op.insert("meta".into(), Value::Object(meta));
    }
    Value::Object(op)
}

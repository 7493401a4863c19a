//! Measures process mode's router: how many node-to-node messages a second quorate routes, and
//! the latency of one hop through it (a node's write on its stdout to the other node's read on
//! its stdin: two pipes, quorate's reader thread, its event loop and a writer thread).
//!
//! `cargo run --release --example process_router [NODES] [SECONDS] [WINDOW]` (default 5 nodes,
//! 5 s, 64 messages in flight per node). The nodes are this same program run with `--node`: an
//! echo node that, once initialised, keeps WINDOW pings in flight to the other nodes, answers
//! each ping it receives with a ping back to its sender, and writes the one-hop latency of what
//! it received (its send time is in the message) to its stderr every 10,000 messages. Nothing is
//! faulted and `--latency` is 0, so the router adds only its own work.

use std::io::{BufRead, Write};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use quorate::process::{self, Options};

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0)
}

fn echo_node(window: usize) {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut me = String::new();
    let mut latencies: Vec<u64> = Vec::new();
    let send = |out: &mut dyn Write, from: &str, to: &str| {
        let line = format!(
            r#"{{"src":"{from}","dest":"{to}","body":{{"type":"ping","sent":{}}}}}"#,
            now_ns()
        );
        let _ = writeln!(out, "{line}");
    };
    for line in stdin.lock().lines() {
        let Ok(line) = line else { return };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let body = &message["body"];
        let src = message["src"].as_str().unwrap_or("").to_string();
        match body["type"].as_str() {
            Some("init") => {
                me = body["node_id"].as_str().unwrap_or("").to_string();
                let reply = serde_json::json!({"src": me, "dest": src,
                    "body": {"type": "init_ok", "in_reply_to": body["msg_id"]}});
                let _ = writeln!(out, "{reply}");
                let others: Vec<String> = body["node_ids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|id| id.as_str())
                    .filter(|id| *id != me)
                    .map(str::to_string)
                    .collect();
                for index in 0..window {
                    if let Some(other) = others.get(index % others.len().max(1)) {
                        send(&mut out, &me, other);
                    }
                }
            }
            Some("ping") => {
                let sent = body["sent"].as_u64().unwrap_or(0) as u128;
                latencies.push(now_ns().saturating_sub(sent) as u64);
                send(&mut out, &me, &src);
                if latencies.len() == 10_000 {
                    latencies.sort_unstable();
                    eprintln!(
                        "latency_ns p50 {} p99 {}",
                        latencies[5_000], latencies[9_900]
                    );
                    latencies.clear();
                }
            }
            // Client requests are left unanswered: they time out, which costs nothing here.
            _ => {}
        }
        let _ = out.flush();
    }
}

/// Messages per second between the first and the last report.
fn rate(reports: &[(f64, u64)]) -> f64 {
    match (reports.first(), reports.last()) {
        (Some(first), Some(last)) if last.0 > first.0 => {
            (last.1 - first.1) as f64 / (last.0 - first.0)
        }
        _ => 0.0,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--node") {
        let window = args.get(2).and_then(|w| w.parse().ok()).unwrap_or(64);
        echo_node(window);
        return;
    }
    let number = |index: usize, default: u64| {
        args.get(index)
            .and_then(|text| text.parse().ok())
            .unwrap_or(default)
    };
    let (nodes, seconds, window) = (number(1, 5), number(2, 5), number(3, 64));
    let out = std::env::temp_dir().join(format!("quorate-router-bench-{}", std::process::id()));
    let bin = std::env::current_exe().expect("the example knows its own path");
    let mut options = Options::new(bin, vec!["--node".into(), window.to_string()], out.clone());
    options.node_count = nodes as usize;
    options.time_limit = Duration::from_secs(seconds);
    options.concurrency = 1;
    options.rate = 1.0;
    options.timeout = Duration::from_millis(100);
    // The rate is measured between the first and the last progress report of the workload, so
    // the start (init) and the end (drain) do not count.
    let mut reports: Vec<(f64, u64)> = Vec::new();
    let mut progress = |report: &process::Progress| {
        if report.phase == "workload" {
            reports.push((report.elapsed.as_secs_f64(), report.counts.routed));
        }
    };
    let outcome = process::run(&options, Arc::new(AtomicBool::new(false)), &mut progress)
        .expect("the run starts");
    if let Some(error) = outcome.error {
        panic!("the run failed: {error}");
    }
    let mut p50s = Vec::new();
    let mut p99s = Vec::new();
    for node in 0..nodes {
        let log = std::fs::read_to_string(out.join(format!("n{node}.stderr"))).unwrap_or_default();
        for line in log.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if let ["latency_ns", "p50", p50, "p99", p99] = fields.as_slice() {
                p50s.extend(p50.parse::<u64>().ok());
                p99s.extend(p99.parse::<u64>().ok());
            }
        }
    }
    p50s.sort_unstable();
    p99s.sort_unstable();
    let median = |values: &[u64]| values.get(values.len() / 2).copied().unwrap_or(0);
    println!(
        "{nodes} nodes, {window} in flight each, {seconds} s: {} messages routed, {:.0} messages/s; one hop through quorate: median p50 {:.1} µs, median p99 {:.1} µs ({} samples of 10,000)",
        outcome.counts.routed,
        rate(&reports),
        median(&p50s) as f64 / 1000.0,
        median(&p99s) as f64 / 1000.0,
        p50s.len()
    );
    let _ = std::fs::remove_dir_all(&out);
}

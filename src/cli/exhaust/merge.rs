//! `quorate exhaust --merge FILE…`: reads the `--summary` files of a search's shards and prints
//! the search's verdict, as one unsharded run would say it (`crate::exhaust::shards` merges).

use std::path::PathBuf;

use crate::cli::Exit;
use crate::exhaust::shards::{self, ShardResult};
use crate::verdict::Verdict;

pub(super) fn run(files: &[PathBuf]) -> Exit {
    let mut results = Vec::with_capacity(files.len());
    for file in files {
        let read = std::fs::read_to_string(file)
            .map_err(|error| format!("cannot read: {error}"))
            .and_then(|text| {
                serde_json::from_str::<ShardResult>(&text).map_err(|error| {
                    format!("not a shard result of quorate exhaust --summary: {error}")
                })
            });
        match read {
            Ok(result) => results.push(result),
            Err(error) => {
                eprintln!("quorate exhaust --merge: {}: {error}", file.display());
                return Exit::BadInput;
            }
        }
    }
    let merged = match shards::merge(&results) {
        Ok(merged) => merged,
        Err(error) => {
            eprintln!("quorate exhaust --merge: {error}");
            return Exit::BadInput;
        }
    };
    say!("{} ({} shards, all merged)", merged.search, merged.shards);
    say!(
        "{}; seconds summed over the shards",
        super::counts_line(&merged.counts)
    );
    let decided_by = merged.decided_by.as_ref();
    let shard = |result: &ShardResult| format!("shard {}/{}", result.shard, result.shards);
    match (merged.verdict, decided_by) {
        (Verdict::Invalid, Some(result)) => {
            say!(
                "anomaly: {} breaks {}: {}",
                shard(result),
                merged.model,
                result.reason.as_deref().unwrap_or("see its output")
            );
            match &result.counterexample {
                Some(case) => say!("its case: {case} (replay: quorate replay {case})"),
                None => say!("(the shard was run without --out, so its case was not written)"),
            }
            Exit::Anomaly
        }
        (Verdict::Unknown, Some(result)) => {
            say!(
                "unknown: {}: {}; no anomaly in what was covered",
                shard(result),
                result.reason.as_deref().unwrap_or("the budget ran out")
            );
            Exit::Unknown
        }
        _ => {
            say!("verified (bounded): no schedule breaks {}", merged.model);
            Exit::Valid
        }
    }
}

//! A shard's result as plain data that a file can carry (`quorate exhaust --shard I/N --summary
//! FILE`), and the merge of one search's shard results into its verdict (`quorate exhaust
//! --merge FILE…`): what lets the shards of a large bound run as separate processes, on one
//! machine or as a Kubernetes Indexed Job (`deploy/exhaust-indexed-job.yaml`).
//!
//! The merge is `parallel`'s, across processes: counts are sums (each shard
//! has its own visited set), distinct histories are counted once (each shard lists their
//! hashes), and the verdict is the lowest shard's anomaly if any shard found one, else unknown
//! if any shard's is, else verified. Shards run to their own ends here, so the answer does not
//! depend on which finished first.
//!
//! Must never: merge results of different searches, or call a search verified when a shard is
//! missing or given twice. It reads and writes no files (the command line does).

use serde::{Deserialize, Serialize};

use super::{Counts, Outcome};
use crate::verdict::Verdict;

/// The `format` of a shard result file.
pub const SHARD_FORMAT: &str = "quorate-exhaust-shard-1";

/// What one shard of a search found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardResult {
    /// [`SHARD_FORMAT`].
    pub format: String,
    /// The search, as the command line that runs it without `--shard`, `--threads` and the
    /// output flags: the shards of one search name the same.
    pub search: String,
    /// Which shard, from 1.
    pub shard: u32,
    /// Of how many.
    pub shards: u32,
    /// `valid` (no schedule of the shard breaks the model), `invalid` or `unknown`.
    pub verdict: String,
    /// The model the histories were judged against.
    pub model: String,
    /// Why the verdict is unknown, or what the counterexample breaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The regression case the shard wrote of its counterexample (`--out`), if it wrote one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<String>,
    /// What the shard's search did.
    pub counts: Counts,
    /// The hashes of the distinct histories the shard judged, sorted.
    pub histories: Vec<u64>,
    /// The hashes of those that broke the model, sorted.
    pub failing: Vec<u64>,
}

impl ShardResult {
    /// Shard `shard` of `shards` (from 1) of `search`, from its outcome.
    pub fn of(search: &str, shard: u32, shards: u32, outcome: &Outcome) -> ShardResult {
        let reason = match outcome.verdict {
            Verdict::Unknown => outcome.unknown.clone(),
            Verdict::Invalid => outcome.counterexample.as_ref().map(|found| {
                format!(
                    "{} in a schedule of {} chosen steps",
                    found.forbidden_kinds(),
                    found.schedule.len()
                )
            }),
            Verdict::Valid => None,
        };
        ShardResult {
            format: SHARD_FORMAT.to_string(),
            search: search.to_string(),
            shard,
            shards,
            verdict: outcome.verdict.name().to_string(),
            model: outcome.model.to_string(),
            reason,
            counterexample: None,
            counts: outcome.counts.clone(),
            histories: outcome.histories.clone(),
            failing: outcome.failing.clone(),
        }
    }
}

/// One verdict for a whole search, from all its shards.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The search's verdict.
    pub verdict: Verdict,
    /// The model the histories were judged against.
    pub model: String,
    /// The search, as its shards name it.
    pub search: String,
    /// How many shards.
    pub shards: u32,
    /// Summed over the shards, distinct and failing histories counted once; `seconds` is the
    /// shards' total, not the wall time.
    pub counts: Counts,
    /// The shard whose result decides the verdict when it is not valid, with its reason and its
    /// counterexample file.
    pub decided_by: Option<ShardResult>,
}

/// Why shard results cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no shard results to merge")]
    Empty,
    /// A result of another format.
    #[error("shard {shard}: format {found:?}, not {SHARD_FORMAT:?}")]
    Format {
        /// The shard, as the result names it.
        shard: u32,
        /// Its format.
        found: String,
    },
    /// A verdict that is not `valid`, `invalid` or `unknown`.
    #[error("shard {shard}: verdict {found:?} is not valid, invalid or unknown")]
    Verdict {
        /// The shard, as the result names it.
        shard: u32,
        /// Its verdict.
        found: String,
    },
    /// Results of different searches.
    #[error("shard {shard} is of another search: {found:?}, not {expected:?}")]
    OtherSearch {
        /// The shard, as the result names it.
        shard: u32,
        /// The search it names.
        found: String,
        /// The search the first result names.
        expected: String,
    },
    /// A shard numbered outside 1 … N, or of another N.
    #[error("shard {shard}/{shards} does not belong to a search of {expected} shards")]
    OtherCount {
        /// The shard.
        shard: u32,
        /// Of how many, as the result says.
        shards: u32,
        /// How many the first result says.
        expected: u32,
    },
    /// The same shard twice.
    #[error("shard {shard}/{shards} is given twice")]
    Twice {
        /// The shard.
        shard: u32,
        /// Of how many.
        shards: u32,
    },
    /// Shards missing: the search is not covered.
    #[error("shards missing: {missing:?} of {shards}; every shard must be merged")]
    Missing {
        /// The missing shards, from 1.
        missing: Vec<u32>,
        /// Of how many.
        shards: u32,
    },
}

/// Merges the results of every shard of one search (in any order).
pub fn merge(results: &[ShardResult]) -> Result<Merged, MergeError> {
    let first = results.first().ok_or(MergeError::Empty)?;
    let shards = first.shards;
    let mut by_shard: Vec<Option<&ShardResult>> = vec![None; shards as usize];
    for result in results {
        if result.format != SHARD_FORMAT {
            return Err(MergeError::Format {
                shard: result.shard,
                found: result.format.clone(),
            });
        }
        if Verdict::from_name(&result.verdict).is_none() {
            return Err(MergeError::Verdict {
                shard: result.shard,
                found: result.verdict.clone(),
            });
        }
        if result.search != first.search {
            return Err(MergeError::OtherSearch {
                shard: result.shard,
                found: result.search.clone(),
                expected: first.search.clone(),
            });
        }
        let slot = (result.shards == shards)
            .then(|| result.shard.checked_sub(1))
            .flatten()
            .and_then(|index| by_shard.get_mut(index as usize))
            .ok_or(MergeError::OtherCount {
                shard: result.shard,
                shards: result.shards,
                expected: shards,
            })?;
        if slot.replace(result).is_some() {
            return Err(MergeError::Twice {
                shard: result.shard,
                shards,
            });
        }
    }
    let missing: Vec<u32> = (1..=shards)
        .filter(|&shard| by_shard[shard as usize - 1].is_none())
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { missing, shards });
    }
    let in_order: Vec<&ShardResult> = by_shard.into_iter().flatten().collect();
    let verdict_of = |result: &ShardResult| Verdict::from_name(&result.verdict);
    let decided_by = in_order
        .iter()
        .find(|result| verdict_of(result) == Some(Verdict::Invalid))
        .or_else(|| {
            in_order
                .iter()
                .find(|result| verdict_of(result) == Some(Verdict::Unknown))
        });
    let mut counts = Counts::default();
    let mut histories: Vec<u64> = Vec::new();
    let mut failing: Vec<u64> = Vec::new();
    for result in &in_order {
        counts.add(&result.counts);
        histories.extend(&result.histories);
        failing.extend(&result.failing);
    }
    histories.sort_unstable();
    histories.dedup();
    failing.sort_unstable();
    failing.dedup();
    counts.histories = histories.len() as u64;
    counts.failing = failing.len() as u64;
    Ok(Merged {
        verdict: decided_by
            .and_then(|result| verdict_of(result))
            .unwrap_or(Verdict::Valid),
        model: first.model.clone(),
        search: first.search.clone(),
        shards,
        counts,
        decided_by: decided_by.map(|result| (*result).clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(shard: u32, shards: u32, verdict: &str, histories: &[u64]) -> ShardResult {
        ShardResult {
            format: SHARD_FORMAT.to_string(),
            search: "quorate exhaust --config dynamo".to_string(),
            shard,
            shards,
            verdict: verdict.to_string(),
            model: "quorum".to_string(),
            reason: None,
            counterexample: None,
            counts: Counts {
                states: 10,
                schedules: 2,
                histories: histories.len() as u64,
                depth_max: u64::from(shard),
                ..Counts::default()
            },
            histories: histories.to_vec(),
            failing: Vec::new(),
        }
    }

    #[test]
    fn counts_add_up_and_histories_count_once() {
        let merged = merge(&[
            result(2, 2, "valid", &[3, 5]),
            result(1, 2, "valid", &[1, 3]),
        ])
        .unwrap();
        assert_eq!(merged.verdict, Verdict::Valid);
        assert_eq!(merged.counts.states, 20);
        assert_eq!(merged.counts.schedules, 4);
        assert_eq!(merged.counts.histories, 3);
        assert_eq!(merged.counts.depth_max, 2);
        assert_eq!(merged.decided_by, None);
    }

    #[test]
    fn the_lowest_anomaly_decides_then_any_unknown() {
        let results = [
            result(1, 3, "unknown", &[]),
            result(3, 3, "invalid", &[]),
            result(2, 3, "invalid", &[]),
        ];
        let merged = merge(&results).unwrap();
        assert_eq!(merged.verdict, Verdict::Invalid);
        assert_eq!(merged.decided_by.unwrap().shard, 2);
        let merged = merge(&[result(2, 2, "unknown", &[]), result(1, 2, "valid", &[])]).unwrap();
        assert_eq!(merged.verdict, Verdict::Unknown);
        assert_eq!(merged.decided_by.unwrap().shard, 2);
    }

    #[test]
    fn an_incomplete_or_mixed_set_is_refused() {
        assert_eq!(merge(&[]), Err(MergeError::Empty));
        assert_eq!(
            merge(&[result(1, 3, "valid", &[]), result(3, 3, "valid", &[])]),
            Err(MergeError::Missing {
                missing: vec![2],
                shards: 3
            })
        );
        assert_eq!(
            merge(&[result(1, 2, "valid", &[]), result(1, 2, "valid", &[])]),
            Err(MergeError::Twice {
                shard: 1,
                shards: 2
            })
        );
        assert!(matches!(
            merge(&[result(1, 2, "valid", &[]), result(2, 3, "valid", &[])]),
            Err(MergeError::OtherCount { .. })
        ));
        assert!(matches!(
            merge(&[result(1, 2, "valid", &[]), result(3, 2, "valid", &[])]),
            Err(MergeError::OtherCount { .. })
        ));
        assert!(matches!(
            merge(&[result(0, 2, "valid", &[])]),
            Err(MergeError::OtherCount { .. })
        ));
        let mut other = result(2, 2, "valid", &[]);
        other.search += " --bug vnode-clock";
        assert!(matches!(
            merge(&[result(1, 2, "valid", &[]), other]),
            Err(MergeError::OtherSearch { .. })
        ));
        assert!(matches!(
            merge(&[result(1, 1, "fine", &[])]),
            Err(MergeError::Verdict { .. })
        ));
        let mut old = result(1, 1, "valid", &[]);
        old.format = "quorate-exhaust-shard-0".to_string();
        assert!(matches!(merge(&[old]), Err(MergeError::Format { .. })));
    }
}

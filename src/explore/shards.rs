//! Shards and their merge: position `i` of a campaign belongs to shard `i mod N`, and the
//! summaries of disjoint shards add up to the summary of the unsplit run.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::Config;

use super::summary::{Summary, SummaryError};

/// One of N disjoint parts of a campaign: position `i` belongs to shard `i mod N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole campaign.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The positions below `total` this shard owns, in increasing order.
    pub fn positions(self, total: u64) -> impl Iterator<Item = u64> {
        let count = self.count.max(1);
        std::iter::successors(Some(self.index).filter(|&p| p < total), move |p| {
            p.checked_add(count).filter(|&q| q < total)
        })
    }

    /// How many positions below `total` this shard owns.
    pub fn len(self, total: u64) -> u64 {
        if self.index >= total {
            0
        } else {
            (total - self.index).div_ceil(self.count.max(1))
        }
    }

    pub fn is_empty(self, total: u64) -> bool {
        self.len(total) == 0
    }
}

/// A shard that is not `I/N` with `0 ≤ I < N`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("--shard {text:?}: expected I/N with 0 <= I < N, e.g. 0/4")]
pub struct BadShard {
    pub text: String,
}

impl FromStr for Shard {
    type Err = BadShard;

    /// `I/N` with `0 ≤ I < N`.
    fn from_str(text: &str) -> Result<Shard, BadShard> {
        let bad = || BadShard {
            text: text.to_string(),
        };
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = index.trim().parse().map_err(|_| bad())?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Combines the summaries of disjoint shards of one campaign. Counts add up, so the table of the
/// merge equals the table of the unsplit run; each witness kept is the one of the smallest case.
pub fn merge(summaries: &[Summary]) -> Result<Summary, SummaryError> {
    let (first, rest) = summaries
        .split_first()
        .ok_or(SummaryError::NothingToMerge)?;
    let mut merged = first.clone();
    merged.witnesses.clear();
    for other in rest {
        if other.seed != merged.seed
            || other.cases_per_config != merged.cases_per_config
            || other.shard_count != merged.shard_count
        {
            return Err(SummaryError::DifferentCampaigns(format!(
                "seed {} × {} cases in {} shards, and seed {} × {} cases in {} shards",
                merged.seed,
                merged.cases_per_config,
                merged.shard_count,
                other.seed,
                other.cases_per_config,
                other.shard_count
            )));
        }
        let labels = |summary: &Summary| -> Vec<(String, Config)> {
            summary
                .configs
                .iter()
                .map(|config| (config.label.clone(), config.config.clone()))
                .collect()
        };
        if labels(other) != labels(&merged) {
            return Err(SummaryError::DifferentCampaigns(
                "the configurations differ".to_string(),
            ));
        }
        if let Some(shard) = other.shards.iter().find(|s| merged.shards.contains(s)) {
            return Err(SummaryError::ShardTwice {
                shard: *shard,
                count: merged.shard_count,
            });
        }
        merged.shards.extend(&other.shards);
        merged.stopped_early |= other.stopped_early;
        for (ours, theirs) in merged.configs.iter_mut().zip(&other.configs) {
            ours.absorb(theirs);
        }
    }
    merged.shards.sort_unstable();
    for config in &merged.configs {
        for (kind, tally) in &config.kinds {
            let witness = summaries
                .iter()
                .flat_map(|summary| &summary.witnesses)
                .find(|w| {
                    w.label == config.label
                        && &w.kind == kind
                        && w.case_index == tally.smallest.index
                });
            if let Some(witness) = witness {
                merged.witnesses.push(witness.clone());
            }
        }
    }
    Ok(merged)
}

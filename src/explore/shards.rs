//! Shards and their merge: position `i` of a campaign belongs to shard `i mod N`, and the
//! summaries of disjoint shards add up to the summary of the unsplit run.
//!
//! People count shards from 1 (as `cargo nextest --partition count:1/2` does): the command line
//! and every message spell shard `index` as `index + 1`, so `--shard 1/4` … `--shard 4/4` cover
//! a campaign. Inside (the `index` field, a summary file's `shards` list) shards count from 0,
//! like the case positions they own.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::Config;

use super::summary::{Summary, SummaryError};

/// One of N disjoint parts of a campaign: position `i` belongs to shard `i mod N`. `index`
/// counts from 0; the text form (`FromStr`, `Display`) counts from 1.
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

/// A shard that is not `I/N` with `1 ≤ I ≤ N`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("--shard {text:?}: expected I/N with 1 <= I <= N, e.g. 1/4 … 4/4{hint}")]
pub struct BadShard {
    pub text: String,
    /// A word on what was probably meant (shards count from 1), or nothing.
    pub hint: String,
}

impl FromStr for Shard {
    type Err = BadShard;

    /// `I/N` with `1 ≤ I ≤ N`.
    fn from_str(text: &str) -> Result<Shard, BadShard> {
        let bad = |hint: String| BadShard {
            text: text.to_string(),
            hint,
        };
        let (index, count) = text.split_once('/').ok_or_else(|| bad(String::new()))?;
        let index: u64 = index.trim().parse().map_err(|_| bad(String::new()))?;
        let count: u64 = count.trim().parse().map_err(|_| bad(String::new()))?;
        if count == 0 {
            return Err(bad(String::new()));
        }
        if index == 0 {
            return Err(bad(" (shards count from 1)".to_string()));
        }
        if index > count {
            return Err(bad(String::new()));
        }
        Ok(Shard {
            index: index - 1,
            count,
        })
    }
}

impl std::fmt::Display for Shard {
    /// `I/N`, counting from 1.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

/// The shards of a campaign in `count` shards that `present` (0-based indexes) leaves out,
/// counted from 1, as a person names them.
pub fn missing_shards(present: &[u64], count: u64) -> Vec<u64> {
    (0..count)
        .filter(|index| !present.contains(index))
        .map(|index| index + 1)
        .collect()
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

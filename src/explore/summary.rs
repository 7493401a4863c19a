//! The summary fold: case outcomes folded, in any order, into per-configuration tallies keyed by
//! the typed [`AnomalyKind`], [`LwwCause`] and [`Model`] (their names appear only when a summary
//! is written as JSON).
//!
//! What it must never do: depend on the order cases are folded in (threads and shards fold in
//! any order), or count anything the checker did not report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::{AnomalyKind, LwwCause, Model, Verdict};
use crate::config::Config;
use crate::store::Dynamo;

use super::campaign::{Campaign, CaseOutcome, Configuration};
use super::shards::Shard;
use super::SUMMARY_FORMAT;

/// The smallest case (fewest operations, then lowest index) that showed a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CaseRef {
    /// Operations in the case's history.
    pub operations: usize,
    /// The case's index within its configuration.
    pub index: u64,
}

/// Why a case could not run.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CaseError {
    /// The case's index within its configuration.
    pub index: u64,
    /// Why it failed, in words.
    pub message: String,
}

/// How often a configuration showed one anomaly kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindTally {
    /// Cases that showed it.
    pub cases: u64,
    /// Cases where the configuration's promise forbade it.
    pub forbidden_cases: u64,
    /// The smallest case that showed it.
    pub smallest: CaseRef,
    /// The smallest case where the configuration's promise forbade it (absent when none did, and
    /// in summaries written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smallest_forbidden: Option<CaseRef>,
}

/// Everything the campaign learned about one configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSummary {
    /// The configuration's label (see `Configuration::label`).
    pub label: String,
    /// The configuration the cases ran.
    pub config: Config,
    /// The model the configuration promises (and each case is checked against).
    pub promised: Model,
    /// Cases folded in (errors included).
    pub cases: u64,
    /// Cases with a forbidden anomaly.
    pub cases_invalid: u64,
    /// Cases the checker could not decide (verdict unknown).
    pub cases_unknown: u64,
    /// Cases the simulator or checker refused, and the reason for the one of lowest index.
    pub cases_error: u64,
    /// The case of lowest index that could not run; `None` if every case ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<CaseError>,
    /// Puts acknowledged, over all cases.
    pub puts_acknowledged: u64,
    /// Acknowledged puts that no replica kept (C3), over all cases.
    pub puts_lost: u64,
    /// The checker's L1 findings by cause.
    #[serde(default)]
    pub lww_lost_writes: BTreeMap<LwwCause, u64>,
    /// The weakest of the cases' strongest models; absent before any case was judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strongest_model: Option<ModelKept>,
    /// Per anomaly kind.
    pub kinds: BTreeMap<AnomalyKind, KindTally>,
    /// Per coverage probe of the reference store (by name): the cases that hit it.
    #[serde(default)]
    pub probe_cases: BTreeMap<String, u64>,
}

/// A minimized witness kept in a results folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    /// The configuration's label.
    pub label: String,
    /// The anomaly kind it shows.
    pub kind: AnomalyKind,
    /// The index of the case it was minimized from.
    pub case_index: u64,
    /// The seed of the case's scenario.
    pub scenario_seed: u64,
    /// Whether the configuration's promise forbids the kind.
    pub forbidden: bool,
    /// Operations in the minimized history.
    pub operations: usize,
    /// The regression case and its timeline, relative to the results folder (after a merge,
    /// as the merge found them).
    pub case_file: String,
    /// The timeline (HTML), relative to the results folder.
    pub html_file: String,
}

/// A campaign's results (all of it, or some shards of it): what a results folder's
/// [`SUMMARY_FILE`](super::SUMMARY_FILE) holds and what [`merge`](super::merge) combines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The summary format's name ([`SUMMARY_FORMAT`](super::SUMMARY_FORMAT)).
    pub format: String,
    /// The campaign seed.
    pub seed: u64,
    /// How many cases each configuration runs.
    pub cases_per_config: u64,
    /// How many shards the campaign was split into (1: not split).
    pub shard_count: u64,
    /// The shards this summary covers.
    pub shards: Vec<u64>,
    /// Whether `--time` stopped some shard before all its cases had started.
    pub stopped_early: bool,
    /// One summary per configuration, in the campaign's order.
    pub configs: Vec<ConfigSummary>,
    /// The witnesses saved, one per configuration and kind.
    #[serde(default)]
    pub witnesses: Vec<Witness>,
}

/// The strongest model a case (or every case of a configuration) kept: a model, or `none` when
/// some case broke even `eventual`. Ordered weakest first, so the fold keeps the minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ModelKept {
    /// Not even `eventual`.
    None,
    /// This model (and every weaker one) held.
    Model(Model),
}

impl ModelKept {
    /// The name in reports and JSON: the model's name, or `none`.
    pub fn name(self) -> &'static str {
        match self {
            ModelKept::None => "none",
            ModelKept::Model(model) => model.name(),
        }
    }
}

impl Serialize for ModelKept {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Why a summary cannot be read, or summaries cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// The text is not JSON of a summary.
    #[error("not a summary: {0}")]
    NotJson(serde_json::Error),
    /// A `format` other than [`SUMMARY_FORMAT`](super::SUMMARY_FORMAT).
    #[error("format {0:?} is not {SUMMARY_FORMAT:?}")]
    Format(String),
    /// Shard numbers that do not fit the shard count.
    #[error("shards {shards:?} do not fit a campaign of {count} shards")]
    Shards {
        /// The summary's `shards`.
        shards: Vec<u64>,
        /// Its `shard_count`.
        count: u64,
    },
    /// No summary was given to merge.
    #[error("nothing to merge")]
    NothingToMerge,
    /// The summaries come from campaigns that differ (seed, cases, configurations); what differs.
    #[error("different campaigns: {0}")]
    DifferentCampaigns(String),
    /// One shard appears in two summaries; `shard` counts from 0, the message from 1.
    #[error("shard {}/{count} appears twice", .shard + 1)]
    ShardTwice {
        /// The shard, from 0.
        shard: u64,
        /// The campaign's shard count.
        count: u64,
    },
}

impl<'de> Deserialize<'de> for ModelKept {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ModelKept, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name == "none" {
            return Ok(ModelKept::None);
        }
        name.parse::<Model>()
            .map(ModelKept::Model)
            .map_err(|_| serde::de::Error::custom(format!("unknown model {name:?}")))
    }
}

impl ConfigSummary {
    fn empty(configuration: &Configuration) -> ConfigSummary {
        ConfigSummary {
            label: configuration.label.clone(),
            config: configuration.config.clone(),
            promised: Model::implied_by(&configuration.config),
            cases: 0,
            cases_invalid: 0,
            cases_unknown: 0,
            cases_error: 0,
            first_error: None,
            puts_acknowledged: 0,
            puts_lost: 0,
            lww_lost_writes: BTreeMap::new(),
            strongest_model: None,
            kinds: BTreeMap::new(),
            probe_cases: BTreeMap::new(),
        }
    }

    /// Folds one case in.
    pub fn add(&mut self, outcome: &CaseOutcome) {
        self.cases += 1;
        if let Some(error) = &outcome.error {
            self.cases_error += 1;
            let here = CaseError {
                index: outcome.id.index,
                message: error.clone(),
            };
            self.first_error = Some(match self.first_error.take() {
                Some(first) => first.min(here),
                None => here,
            });
            return;
        }
        match outcome.verdict {
            Verdict::Valid => {}
            Verdict::Invalid => self.cases_invalid += 1,
            Verdict::Unknown => self.cases_unknown += 1,
        }
        self.puts_acknowledged += outcome.puts_acknowledged;
        self.puts_lost += outcome.puts_lost;
        for (index, probe) in Dynamo::probe_list().iter().enumerate().take(64) {
            if outcome.probes & (1 << index) != 0 {
                *self.probe_cases.entry(probe.name.to_string()).or_insert(0) += 1;
            }
        }
        for (&cause, &count) in &outcome.lww_lost_by_cause {
            *self.lww_lost_writes.entry(cause).or_insert(0) += count;
        }
        let strongest = outcome
            .strongest_model
            .map_or(ModelKept::None, ModelKept::Model);
        self.strongest_model = Some(
            self.strongest_model
                .map_or(strongest, |kept| kept.min(strongest)),
        );
        let here = CaseRef {
            operations: outcome.operations,
            index: outcome.id.index,
        };
        for &(kind, forbidden) in &outcome.kinds {
            let tally = self.kinds.entry(kind).or_insert(KindTally {
                cases: 0,
                forbidden_cases: 0,
                smallest: here,
                smallest_forbidden: None,
            });
            tally.cases += 1;
            tally.forbidden_cases += u64::from(forbidden);
            tally.smallest = tally.smallest.min(here);
            if forbidden {
                tally.smallest_forbidden =
                    Some(tally.smallest_forbidden.map_or(here, |s| s.min(here)));
            }
        }
    }

    /// Folds another summary of the same configuration in (disjoint cases).
    pub fn absorb(&mut self, other: &ConfigSummary) {
        self.cases += other.cases;
        self.cases_invalid += other.cases_invalid;
        self.cases_unknown += other.cases_unknown;
        self.cases_error += other.cases_error;
        self.first_error = match (self.first_error.take(), other.first_error.clone()) {
            (Some(ours), Some(theirs)) => Some(ours.min(theirs)),
            (ours, theirs) => ours.or(theirs),
        };
        self.puts_acknowledged += other.puts_acknowledged;
        self.puts_lost += other.puts_lost;
        for (name, &cases) in &other.probe_cases {
            *self.probe_cases.entry(name.clone()).or_insert(0) += cases;
        }
        for (&cause, &count) in &other.lww_lost_writes {
            *self.lww_lost_writes.entry(cause).or_insert(0) += count;
        }
        self.strongest_model = match (self.strongest_model, other.strongest_model) {
            (Some(ours), Some(theirs)) => Some(ours.min(theirs)),
            (ours, theirs) => ours.or(theirs),
        };
        for (kind, theirs) in &other.kinds {
            match self.kinds.get_mut(kind) {
                Some(ours) => {
                    ours.cases += theirs.cases;
                    ours.forbidden_cases += theirs.forbidden_cases;
                    ours.smallest = ours.smallest.min(theirs.smallest);
                    ours.smallest_forbidden =
                        match (ours.smallest_forbidden, theirs.smallest_forbidden) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                }
                None => {
                    self.kinds.insert(*kind, theirs.clone());
                }
            }
        }
    }

    /// The share of acknowledged puts lost, in percent (`None` when none was acknowledged).
    pub fn lost_percent(&self) -> Option<f64> {
        (self.puts_acknowledged > 0)
            .then(|| 100.0 * self.puts_lost as f64 / self.puts_acknowledged as f64)
    }
}

impl Summary {
    /// No case yet, for these shards of a campaign.
    pub fn empty(campaign: &Campaign, shard: Shard) -> Summary {
        Summary {
            format: SUMMARY_FORMAT.to_string(),
            seed: campaign.seed,
            cases_per_config: campaign.cases_per_config,
            shard_count: shard.count,
            shards: vec![shard.index],
            stopped_early: false,
            configs: campaign.configs.iter().map(ConfigSummary::empty).collect(),
            witnesses: Vec::new(),
        }
    }

    /// Folds one case in.
    pub fn add(&mut self, outcome: &CaseOutcome) {
        self.configs[outcome.id.config].add(outcome);
    }

    /// How many cases it covers.
    pub fn cases(&self) -> u64 {
        self.configs.iter().map(|config| config.cases).sum()
    }

    /// The summary as pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary serializes") + "\n"
    }

    /// Parses a summary file's text.
    pub fn from_json(text: &str) -> Result<Summary, SummaryError> {
        let summary: Summary = serde_json::from_str(text).map_err(SummaryError::NotJson)?;
        if summary.format != SUMMARY_FORMAT {
            return Err(SummaryError::Format(summary.format));
        }
        if summary.shard_count == 0 || summary.shards.iter().any(|&i| i >= summary.shard_count) {
            return Err(SummaryError::Shards {
                shards: summary.shards,
                count: summary.shard_count,
            });
        }
        Ok(summary)
    }

    /// The campaign it came from.
    pub fn campaign(&self) -> Campaign {
        Campaign {
            seed: self.seed,
            configs: self
                .configs
                .iter()
                .map(|config| Configuration {
                    label: config.label.clone(),
                    config: config.config.clone(),
                })
                .collect(),
            cases_per_config: self.cases_per_config,
        }
    }
}

//! The explore campaign (`quorate explore`, DESIGN.md §8): many generated scenarios per
//! configuration, each simulated and checked, folded into one table of configuration × anomaly
//! kinds, the share of acknowledged writes lost, and the strongest model each configuration kept;
//! then the smallest witness of each anomaly kind, minimized.
//!
//! It owns the campaign's shape as pure functions: which case sits at which position
//! ([`Campaign::case`]), the scenario of a case ([`Campaign::scenario`], a function of the
//! campaign seed, the configuration's label and the case index only), which positions a shard owns
//! ([`Shard::positions`]: position `i` belongs to shard `i mod N`), the aggregation of case
//! outcomes into a [`Summary`] (order-free, so threads and shards fold in any order), the merge
//! of shard summaries ([`merge`]) and the table ([`table`]). [`run`] and [`find_witnesses`] spread
//! that work over threads.
//!
//! What it must never do: let the number of threads, the wall clock or the order in which cases
//! finish change any case's scenario or outcome. The wall clock (`deadline` in [`run`]) only
//! decides how many cases start; a summary says when it stopped early. It writes no files and
//! prints nothing: the command line does that.
//!
//! **Acknowledged writes lost** are the checker's count ([`crate::check::PutCounts`], the one
//! lost-write rule, which C3 uses too), not a count of its findings (whose lists are capped): an
//! `ok` put is lost when the replicas neither hold its value nor anything that overwrote it
//! through the contexts writers read. A blind put overwrites nothing, so under LWW a later blind
//! put that wins discards it and it counts as lost; with siblings it stays as a sibling.
//!
//! ```
//! use quorate::explore::{Campaign, Shard};
//!
//! let campaign = Campaign::presets(7, 4); // 6 presets × 4 cases
//! let shard: Shard = "1/3".parse().unwrap();
//! let positions: Vec<u64> = shard.positions(campaign.case_total()).collect();
//! assert_eq!(positions, [1, 4, 7, 10, 13, 16, 19, 22]);
//! // A case's scenario depends on the seed, the configuration and the index, nothing else.
//! let case = campaign.case(4).unwrap();
//! assert_eq!(campaign.scenario(case), campaign.scenario(case));
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::check::{check, Anomaly, AnomalyKind, CheckOptions, LwwCause, Model, Verdict};
use crate::config::{Config, Resolution, PRESETS};
use crate::corpus::Case;
use crate::gen::{from_unstructured, GenOptions};
use crate::minimize::{minimize, Target};
use crate::render::{render_html, Highlight};
use crate::sim::Scenario;
use crate::testing::run_history;

/// The value of a summary file's `format` field.
pub const SUMMARY_FORMAT: &str = "quorate-explore-1";

/// The name of the summary file in a results folder.
pub const SUMMARY_FILE: &str = "explore-summary.json";

/// Cases per configuration of `quorate explore` with no flags: about a minute in release on two
/// cores, witnesses included.
pub const CASES_PER_CONFIG_DEFAULT: u64 = 50_000;

/// The campaign seed of `quorate explore` with no flags.
pub const SEED_DEFAULT: u64 = 1;

/// A configuration under test and the label the table and the case seeds use (a preset's name,
/// or the `--config` argument for a file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    pub label: String,
    pub config: Config,
}

/// What to explore: configurations × case indices, from one seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    pub seed: u64,
    pub configs: Vec<Configuration>,
    pub cases_per_config: u64,
}

/// One case: a configuration (by its position in [`Campaign::configs`]) and an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId {
    pub config: usize,
    pub index: u64,
}

impl Campaign {
    /// Every preset, in [`PRESETS`] order.
    pub fn presets(seed: u64, cases_per_config: u64) -> Campaign {
        let configs = PRESETS
            .iter()
            .map(|name| Configuration {
                label: name.to_string(),
                config: Config::preset(name).expect("presets are valid"),
            })
            .collect();
        Campaign {
            seed,
            configs,
            cases_per_config,
        }
    }

    /// How many cases the whole campaign holds.
    pub fn case_total(&self) -> u64 {
        (self.configs.len() as u64).saturating_mul(self.cases_per_config)
    }

    /// The case at a position of the campaign's order. Configurations are interleaved (position
    /// `p` is case `p / configs` of configuration `p mod configs`), so a campaign cut short by
    /// `--time` has run about as many cases of each.
    pub fn case(&self, position: u64) -> Option<CaseId> {
        if position >= self.case_total() {
            return None;
        }
        let count = self.configs.len() as u64;
        Some(CaseId {
            config: (position % count) as usize,
            index: position / count,
        })
    }

    /// The workload of the campaign: contended, as Jepsen's Riak tests were — one key, three to
    /// five clients of four to twelve steps each (reads, read-modify-writes, blind writes and
    /// deletes) — under up to four faults of every kind, clock skew up to a second included.
    pub fn workload(config: &Config) -> GenOptions {
        GenOptions::default()
            .config(config.clone())
            .clients(3..=5)
            .ops_per_client(4..=12)
            .keys(1)
            .faults_max(4)
    }

    /// The scenario of a case: drawn from bytes that depend only on the campaign seed, the
    /// configuration's label and the case index.
    pub fn scenario(&self, id: CaseId) -> Scenario {
        let configuration = &self.configs[id.config];
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.seed.to_le_bytes());
        seed[8..16].copy_from_slice(&fnv1a(configuration.label.as_bytes()).to_le_bytes());
        seed[16..24].copy_from_slice(&id.index.to_le_bytes());
        seed[24..].copy_from_slice(b"explore1");
        let mut rng = ChaCha8Rng::from_seed(seed);
        let mut bytes = vec![0u8; 4096];
        rng.fill_bytes(&mut bytes);
        let options = Campaign::workload(&configuration.config);
        let mut unstructured = arbitrary::Unstructured::new(&bytes);
        from_unstructured(&mut unstructured, &options)
            .expect("a non-empty configuration list always makes a scenario")
    }

    /// The command that re-runs this campaign for one configuration.
    pub fn command(&self, config: usize) -> String {
        format!(
            "quorate explore --seed {} --config {} --cases {}",
            self.seed, self.configs[config].label, self.cases_per_config
        )
    }
}

/// FNV-1a: a hash that is the same on every platform and every Rust version.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

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

impl FromStr for Shard {
    type Err = String;

    /// `I/N` with `0 ≤ I < N`.
    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text:?}: expected I/N with 0 <= I < N, e.g. 0/4");
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

/// What one case showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseOutcome {
    pub id: CaseId,
    /// Operations in the history.
    pub operations: usize,
    /// Each anomaly kind found, and whether the configuration's promise forbids it here.
    pub kinds: Vec<(AnomalyKind, bool)>,
    pub verdict: Verdict,
    /// The strongest model the history satisfies (`None`: not even `eventual`).
    pub strongest_model: Option<Model>,
    pub puts_acknowledged: u64,
    pub puts_lost: u64,
    /// The checker's L1 findings (acknowledged LWW writes discarded by an earlier-invoked
    /// write), by cause: concurrent, clock skew, tie.
    pub lww_lost_by_cause: [u64; 3],
    /// The simulator or the checker refused the case (a bug: the campaign reports it).
    pub error: Option<String>,
}

/// Simulates and checks one case against the model its configuration promises.
pub fn run_case(campaign: &Campaign, id: CaseId) -> CaseOutcome {
    let scenario = campaign.scenario(id);
    let mut outcome = CaseOutcome {
        id,
        operations: 0,
        kinds: Vec::new(),
        verdict: Verdict::Unknown,
        strongest_model: None,
        puts_acknowledged: 0,
        puts_lost: 0,
        lww_lost_by_cause: [0; 3],
        error: None,
    };
    let history = match run_history(&scenario) {
        Ok(history) => history,
        Err(error) => {
            outcome.error = Some(format!("seed {}: {error}", scenario.seed));
            return outcome;
        }
    };
    let report = match check(&history, &CheckOptions::default()) {
        Ok(report) => report,
        Err(error) => {
            outcome.error = Some(format!("seed {}: {error}", scenario.seed));
            return outcome;
        }
    };
    let mut kinds: BTreeMap<AnomalyKind, bool> = BTreeMap::new();
    for finding in &report.anomalies {
        *kinds.entry(finding.anomaly.kind()).or_insert(false) |= finding.forbidden;
    }
    for omitted in &report.omitted {
        *kinds.entry(omitted.kind).or_insert(false) |= omitted.forbidden;
    }
    let mut lww_lost_by_cause = [0; 3];
    for finding in &report.anomalies {
        if let Anomaly::LwwLostWrite { cause, .. } = &finding.anomaly {
            lww_lost_by_cause[lww_cause_position(*cause)] += 1;
        }
    }
    CaseOutcome {
        lww_lost_by_cause,
        operations: history.operations.len(),
        kinds: kinds.into_iter().collect(),
        verdict: report.verdict,
        strongest_model: report.strongest_model,
        puts_acknowledged: report.puts.acknowledged,
        puts_lost: report.puts.lost,
        ..outcome
    }
}

/// The causes of L1 findings, in the order of [`CaseOutcome::lww_lost_by_cause`].
pub const LWW_CAUSES: [&str; 3] = ["concurrent", "clock_skew", "tie"];

fn lww_cause_position(cause: LwwCause) -> usize {
    match cause {
        LwwCause::Concurrent => 0,
        LwwCause::ClockSkew => 1,
        LwwCause::Tie => 2,
    }
}

/// The smallest case (fewest operations, then lowest index) that showed a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CaseRef {
    pub operations: usize,
    pub index: u64,
}

/// Why a case could not run.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CaseError {
    pub index: u64,
    pub message: String,
}

/// How often a configuration showed one anomaly kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindTally {
    /// Cases that showed it.
    pub cases: u64,
    /// Cases where the configuration's promise forbade it.
    pub forbidden_cases: u64,
    pub smallest: CaseRef,
}

/// Everything the campaign learned about one configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSummary {
    pub label: String,
    pub config: Config,
    /// The model the configuration promises (and each case is checked against).
    pub promised: String,
    pub cases: u64,
    /// Cases with a forbidden anomaly.
    pub cases_invalid: u64,
    pub cases_unknown: u64,
    /// Cases the simulator or checker refused, and the reason for the one of lowest index.
    pub cases_error: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<CaseError>,
    pub puts_acknowledged: u64,
    pub puts_lost: u64,
    /// The checker's L1 findings by cause (see [`LWW_CAUSES`]).
    #[serde(default)]
    pub lww_lost_writes: BTreeMap<String, u64>,
    /// The weakest of the cases' strongest models (`none` if some case broke even `eventual`);
    /// absent before any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strongest_model: Option<String>,
    /// Per anomaly kind (by name).
    pub kinds: BTreeMap<String, KindTally>,
}

/// A minimized witness kept in a results folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    pub label: String,
    pub kind: String,
    pub case_index: u64,
    /// The seed of the case's scenario.
    pub scenario_seed: u64,
    pub forbidden: bool,
    /// Operations in the minimized history.
    pub operations: usize,
    /// The regression case and its timeline, relative to the results folder (after a merge,
    /// as the merge found them).
    pub case_file: String,
    pub html_file: String,
}

/// A campaign's results (all of it, or some shards of it): what a results folder's
/// [`SUMMARY_FILE`] holds and what [`merge`] combines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub format: String,
    pub seed: u64,
    pub cases_per_config: u64,
    /// How many shards the campaign was split into (1: not split).
    pub shard_count: u64,
    /// The shards this summary covers.
    pub shards: Vec<u64>,
    /// Whether `--time` stopped some shard before all its cases had started.
    pub stopped_early: bool,
    pub configs: Vec<ConfigSummary>,
    #[serde(default)]
    pub witnesses: Vec<Witness>,
}

/// The rank of a strongest-model name: `none` < `eventual` < … < `atomic`.
fn model_rank(name: &str) -> Option<usize> {
    if name == "none" {
        return Some(0);
    }
    Model::ALL
        .iter()
        .position(|model| model.name() == name)
        .map(|position| position + 1)
}

fn weaker_model(left: Option<String>, right: Option<String>) -> Option<String> {
    match (left, right) {
        (None, other) | (other, None) => other,
        (Some(left), Some(right)) => {
            let rank = |name: &str| model_rank(name).unwrap_or(0);
            Some(if rank(&right) < rank(&left) {
                right
            } else {
                left
            })
        }
    }
}

impl ConfigSummary {
    fn empty(configuration: &Configuration) -> ConfigSummary {
        ConfigSummary {
            label: configuration.label.clone(),
            config: configuration.config.clone(),
            promised: Model::implied_by(&configuration.config).to_string(),
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
        for (cause, count) in LWW_CAUSES.iter().zip(outcome.lww_lost_by_cause) {
            if count > 0 {
                *self.lww_lost_writes.entry(cause.to_string()).or_insert(0) += count;
            }
        }
        let strongest = outcome.strongest_model.map_or("none", Model::name);
        self.strongest_model =
            weaker_model(self.strongest_model.take(), Some(strongest.to_string()));
        let here = CaseRef {
            operations: outcome.operations,
            index: outcome.id.index,
        };
        for &(kind, forbidden) in &outcome.kinds {
            let tally = self
                .kinds
                .entry(kind.name().to_string())
                .or_insert(KindTally {
                    cases: 0,
                    forbidden_cases: 0,
                    smallest: here,
                });
            tally.cases += 1;
            tally.forbidden_cases += u64::from(forbidden);
            tally.smallest = tally.smallest.min(here);
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
        for (cause, count) in &other.lww_lost_writes {
            *self.lww_lost_writes.entry(cause.clone()).or_insert(0) += count;
        }
        self.strongest_model =
            weaker_model(self.strongest_model.take(), other.strongest_model.clone());
        for (kind, theirs) in &other.kinds {
            match self.kinds.get_mut(kind) {
                Some(ours) => {
                    ours.cases += theirs.cases;
                    ours.forbidden_cases += theirs.forbidden_cases;
                    ours.smallest = ours.smallest.min(theirs.smallest);
                }
                None => {
                    self.kinds.insert(kind.clone(), theirs.clone());
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

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary serializes") + "\n"
    }

    /// Parses a summary file's text.
    pub fn from_json(text: &str) -> Result<Summary, String> {
        let summary: Summary =
            serde_json::from_str(text).map_err(|error| format!("not a summary: {error}"))?;
        if summary.format != SUMMARY_FORMAT {
            return Err(format!(
                "format {:?} is not {SUMMARY_FORMAT:?}",
                summary.format
            ));
        }
        if summary.shard_count == 0 || summary.shards.iter().any(|&i| i >= summary.shard_count) {
            return Err(format!(
                "shards {:?} do not fit a campaign of {} shards",
                summary.shards, summary.shard_count
            ));
        }
        for config in &summary.configs {
            if let Some(name) = &config.strongest_model {
                if model_rank(name).is_none() {
                    return Err(format!("{}: unknown model {name:?}", config.label));
                }
            }
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

/// Combines the summaries of disjoint shards of one campaign. Counts add up, so the table of the
/// merge equals the table of the unsplit run; each witness kept is the one of the smallest case.
pub fn merge(summaries: &[Summary]) -> Result<Summary, String> {
    let (first, rest) = summaries
        .split_first()
        .ok_or_else(|| "nothing to merge".to_string())?;
    let mut merged = first.clone();
    merged.witnesses.clear();
    for other in rest {
        if other.seed != merged.seed
            || other.cases_per_config != merged.cases_per_config
            || other.shard_count != merged.shard_count
        {
            return Err(format!(
                "different campaigns: seed {} × {} cases in {} shards, and seed {} × {} cases in {} shards",
                merged.seed,
                merged.cases_per_config,
                merged.shard_count,
                other.seed,
                other.cases_per_config,
                other.shard_count
            ));
        }
        let labels = |summary: &Summary| -> Vec<(String, Config)> {
            summary
                .configs
                .iter()
                .map(|config| (config.label.clone(), config.config.clone()))
                .collect()
        };
        if labels(other) != labels(&merged) {
            return Err("different campaigns: the configurations differ".to_string());
        }
        if let Some(shard) = other.shards.iter().find(|s| merged.shards.contains(s)) {
            return Err(format!(
                "shard {shard}/{} appears twice",
                merged.shard_count
            ));
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

/// The anomaly kinds a witness is kept for: every kind but `failed_write_visible`, which every
/// model allows and which a leaderless store shows by design, unless a model forbids it.
pub fn wants_witness(kind: AnomalyKind, tally: &KindTally) -> bool {
    kind != AnomalyKind::FailedWriteVisible || tally.forbidden_cases > 0
}

/// What to minimize: per configuration and kind worth a witness, the smallest case that showed it.
pub fn witness_targets(summary: &Summary) -> Vec<(usize, AnomalyKind, CaseRef)> {
    let mut targets = Vec::new();
    for (position, config) in summary.configs.iter().enumerate() {
        for kind in AnomalyKind::ALL {
            if let Some(tally) = config.kinds.get(kind.name()) {
                if wants_witness(kind, tally) {
                    targets.push((position, kind, tally.smallest));
                }
            }
        }
    }
    targets
}

/// A minimized witness, ready to save.
#[derive(Clone, Debug)]
pub struct FoundWitness {
    pub config: usize,
    pub kind: AnomalyKind,
    pub case_index: u64,
    pub case: Case,
    /// The timeline of the minimized history.
    pub html: String,
    pub forbidden: bool,
}

impl FoundWitness {
    /// The file name of the case (`LABEL-KIND.json`), with the label made file-safe.
    pub fn file_stem(&self, campaign: &Campaign) -> String {
        let label: String = campaign.configs[self.config]
            .label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("{label}-{}", self.kind)
    }
}

/// Minimizes the scenario of one case for one kind (against the model its configuration
/// promises) into a regression case and its timeline.
pub fn find_witness(
    campaign: &Campaign,
    config: usize,
    kind: AnomalyKind,
    case_index: u64,
) -> Result<FoundWitness, String> {
    let scenario = campaign.scenario(CaseId {
        config,
        index: case_index,
    });
    let seed = scenario.seed;
    let target = Target { model: None, kind };
    let (small, history, report) = minimize(&scenario, target)?;
    let forbidden = report
        .anomalies
        .iter()
        .any(|finding| finding.forbidden && finding.anomaly.kind() == kind);
    let label = &campaign.configs[config].label;
    let title = format!(
        "{label}: {kind} (explore seed {}, case {case_index}, scenario seed {seed})",
        campaign.seed
    );
    let found_by = format!(
        "{} (case {case_index}, scenario seed {seed})",
        campaign.command(config)
    );
    let postmortem = format!(
        "The smallest history the explore campaign found in which the {label} configuration shows {kind}{}.",
        if forbidden {
            ", which the model it promises forbids"
        } else {
            ", which the model it promises allows"
        }
    );
    let html = render_html(&history, &Highlight::from_report(&report), &title);
    let case = Case::new(
        &title,
        &postmortem,
        &found_by,
        None,
        small,
        history,
        &report,
    );
    Ok(FoundWitness {
        config,
        kind,
        case_index,
        case,
        html,
        forbidden,
    })
}

/// Applies `work` to every item on `jobs` threads; results keep the items' order. `done` counts
/// finished items.
fn parallel_map<T, R, F>(items: &[T], jobs: usize, done: &AtomicU64, work: F) -> Vec<Option<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let next = AtomicU64::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let position = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(item) = items.get(position) else {
                    break;
                };
                let result = work(item);
                results.lock().expect("no worker panics while holding it")[position] = Some(result);
                done.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    results.into_inner().expect("no worker panicked")
}

/// Runs the cases of `shard` on `jobs` threads and folds them into a summary. No case starts
/// after `deadline`; `done` counts finished cases (for a progress bar). Each thread folds its own
/// cases, so memory does not grow with the number of cases.
pub fn run(
    campaign: &Campaign,
    shard: Shard,
    jobs: usize,
    deadline: Option<Instant>,
    done: &AtomicU64,
) -> Summary {
    let total = shard.len(campaign.case_total());
    let next = AtomicU64::new(0);
    let stopped = AtomicBool::new(false);
    let partials: Vec<Summary> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut summary = Summary::empty(campaign, shard);
                    loop {
                        if stopped.load(Ordering::Relaxed) {
                            break;
                        }
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= total {
                            break;
                        }
                        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                            stopped.store(true, Ordering::Relaxed);
                            break;
                        }
                        let position = shard.index + k * shard.count.max(1);
                        let id = campaign
                            .case(position)
                            .expect("a shard's positions are cases");
                        summary.add(&run_case(campaign, id));
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    summary
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a case never panics"))
            .collect()
    });
    let mut summary = Summary::empty(campaign, shard);
    for partial in &partials {
        for (ours, theirs) in summary.configs.iter_mut().zip(&partial.configs) {
            ours.absorb(theirs);
        }
    }
    summary.stopped_early = summary.cases() < total;
    summary
}

/// Minimizes every target on `jobs` threads; `done` counts finished ones.
pub fn find_witnesses(
    campaign: &Campaign,
    targets: &[(usize, AnomalyKind, CaseRef)],
    jobs: usize,
    done: &AtomicU64,
) -> Vec<Result<FoundWitness, String>> {
    parallel_map(targets, jobs, done, |&(config, kind, case)| {
        find_witness(campaign, config, kind, case.index)
    })
    .into_iter()
    .map(|result| result.unwrap_or_else(|| Err("not run".to_string())))
    .collect()
}

/// The table: one row per configuration, one column per anomaly kind found anywhere (cases that
/// showed it; `*` when the configuration's promise forbade it in some of them), the share of
/// acknowledged puts lost, the model promised and the strongest model every case satisfied.
pub fn table(summary: &Summary) -> String {
    let kinds: Vec<AnomalyKind> = AnomalyKind::ALL
        .into_iter()
        .filter(|kind| {
            summary
                .configs
                .iter()
                .any(|config| config.kinds.contains_key(kind.name()))
        })
        .collect();
    let mut header: Vec<String> = vec!["configuration".into(), "cases".into(), "invalid".into()];
    header.extend(kinds.iter().map(|kind| kind.name().to_string()));
    header.extend([
        "acked puts lost".to_string(),
        "lost to skew".to_string(),
        "promises".to_string(),
        "satisfied".to_string(),
    ]);
    let mut rows: Vec<Vec<String>> = vec![header];
    for config in &summary.configs {
        let mut row = vec![
            config.label.clone(),
            config.cases.to_string(),
            config.cases_invalid.to_string(),
        ];
        for kind in &kinds {
            row.push(match config.kinds.get(kind.name()) {
                None => "-".to_string(),
                Some(tally) if tally.forbidden_cases > 0 => format!("{}*", tally.cases),
                Some(tally) => tally.cases.to_string(),
            });
        }
        row.push(match config.lost_percent() {
            None => "-".to_string(),
            Some(percent) => format!(
                "{}/{} ({percent:.1}%)",
                config.puts_lost, config.puts_acknowledged
            ),
        });
        row.push(if config.config.resolution == Resolution::Lww {
            config
                .lww_lost_writes
                .get("clock_skew")
                .copied()
                .unwrap_or(0)
                .to_string()
        } else {
            "-".to_string()
        });
        row.push(config.promised.clone());
        row.push(
            config
                .strongest_model
                .clone()
                .unwrap_or_else(|| "-".to_string()),
        );
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column == 0 {
                let _ = write!(line, "{cell:<width$}", width = widths[column]);
            } else {
                let _ = write!(line, "  {cell:>width$}", width = widths[column]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_disjoint_and_cover_the_campaign() {
        for total in [0u64, 1, 5, 6, 17, 100] {
            for count in 1..=7u64 {
                let mut seen = vec![0u32; total as usize];
                for index in 0..count {
                    let shard = Shard { index, count };
                    let positions: Vec<u64> = shard.positions(total).collect();
                    assert_eq!(positions.len() as u64, shard.len(total));
                    for position in positions {
                        assert_eq!(position % count, index);
                        seen[position as usize] += 1;
                    }
                }
                assert!(
                    seen.iter().all(|&n| n == 1),
                    "total {total}, {count} shards"
                );
            }
        }
    }

    #[test]
    fn shard_parsing() {
        let check = |text: &str, expected: Option<Shard>| {
            assert_eq!(text.parse::<Shard>().ok(), expected, "{text}");
        };
        check("0/1", Some(Shard::WHOLE));
        check("2/3", Some(Shard { index: 2, count: 3 }));
        check(" 1 / 4 ", Some(Shard { index: 1, count: 4 }));
        check("3/2", None);
        check("2/2", None);
        check("0/0", None);
        check("1", None);
        check("-1/2", None);
        check("a/b", None);
    }

    #[test]
    fn cases_interleave_configurations() {
        let campaign = Campaign::presets(3, 2);
        let cases: Vec<(usize, u64)> = (0..campaign.case_total())
            .map(|p| campaign.case(p).unwrap())
            .map(|id| (id.config, id.index))
            .collect();
        assert_eq!(cases.len(), 12);
        assert_eq!(
            &cases[..7],
            &[(0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (0, 1)]
        );
        assert_eq!(campaign.case(12), None);
    }

    #[test]
    fn a_case_depends_only_on_seed_label_and_index() {
        let all = Campaign::presets(9, 10);
        let mut lww_only = all.clone();
        lww_only.configs.retain(|c| c.label == "lww");
        lww_only.cases_per_config = 3;
        let lww = all.configs.iter().position(|c| c.label == "lww").unwrap();
        let index = 2;
        assert_eq!(
            all.scenario(CaseId { config: lww, index }),
            lww_only.scenario(CaseId { config: 0, index })
        );
        let other_seed = Campaign::presets(10, 10);
        assert_ne!(
            all.scenario(CaseId { config: lww, index }),
            other_seed.scenario(CaseId { config: lww, index })
        );
    }

    #[test]
    fn strongest_model_takes_the_weakest() {
        let w = |a: Option<&str>, b: Option<&str>| {
            weaker_model(a.map(String::from), b.map(String::from))
        };
        assert_eq!(w(None, Some("atomic")).as_deref(), Some("atomic"));
        assert_eq!(w(Some("quorum"), Some("atomic")).as_deref(), Some("quorum"));
        assert_eq!(w(Some("quorum"), Some("none")).as_deref(), Some("none"));
        assert_eq!(w(Some("eventual"), None).as_deref(), Some("eventual"));
    }
}

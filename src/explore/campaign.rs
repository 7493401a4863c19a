//! The campaign and its seeding: configurations × case indices, the scenario of each case (a
//! function of the campaign seed, the configuration's label and the case index only), and one
//! case run and checked into a [`CaseOutcome`].
//!
//! What it must never do: let anything but (seed, label, index) reach a case's scenario.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::check::{check, Anomaly, AnomalyKind, CheckOptions, LwwCause, Model, Verdict};
use crate::config::{Config, PRESETS};
use crate::gen::{from_unstructured, GenOptions};
use crate::sim::{self, Scenario};
use crate::stable_hash::fnv1a;

/// A configuration under test and the label the table and the case seeds use (a preset's name,
/// or the `--config` argument for a file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// The name in the table and the case seeds: a preset, `PRESET+VARIANT`, or a file's `--config` argument.
    pub label: String,
    /// The configuration every case of the row runs.
    pub config: Config,
}

/// What to explore: configurations × case indices, from one seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    /// The campaign seed: with a label and an index, it decides a case's scenario.
    pub seed: u64,
    /// The configurations, one table row each.
    pub configs: Vec<Configuration>,
    /// How many cases each configuration runs.
    pub cases_per_config: u64,
}

/// One case: a configuration (by its position in [`Campaign::configs`]) and an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId {
    /// The configuration's position in [`Campaign::configs`].
    pub config: usize,
    /// The case's index within its configuration, from 0.
    pub index: u64,
}

/// The variant rows of the default campaign, after the presets: each switches off (or on) one
/// mechanism of a preset, so that a mechanism runs where no other one repairs its mistakes a
/// moment later. Each row promises what its own configuration guarantees.
pub const VARIANT_ROWS: [&str; 9] = [
    "dynamo+volatile",
    "dynamo+reap-now",
    "dynamo+reap-100ms",
    "dynamo+no-aae",
    "dynamo+no-aae+handoff",
    "sloppy+no-aae",
    "cassandra+no-handoff",
    "dynamo+no-read-repair",
    "dynamo+no-aae+no-read-repair",
];

/// The shape of a case's workload, drawn per case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Contended, as Jepsen's Riak tests were: one key, three to five clients of four to
    /// twelve steps each, under up to four faults of every kind.
    Dense,
    /// Many keys, a few steps each, and faults that last until the workload ends.
    Sparse,
    /// Bursts with a quiet period of one to three seconds between them, so that hints,
    /// anti-entropy and reaping run alone.
    Long,
}

impl Profile {
    /// Half the cases are dense, a quarter sparse, a quarter long.
    const DRAW: [Profile; 4] = [
        Profile::Dense,
        Profile::Dense,
        Profile::Sparse,
        Profile::Long,
    ];

    /// The profile's name in reports (`dense`, `sparse`, `long`).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Dense => "dense",
            Profile::Sparse => "sparse",
            Profile::Long => "long",
        }
    }

    /// The generator's options for this profile and configuration.
    pub fn options(self, config: &Config) -> GenOptions {
        let base = GenOptions::default().config(config.clone());
        match self {
            Profile::Dense => base
                .clients(3..=5)
                .ops_per_client(4..=12)
                .keys(1)
                .faults_max(4),
            Profile::Sparse => base
                .clients(2..=4)
                .ops_per_client(1..=3)
                .keys(8)
                .faults_max(3)
                .faults_outlast_workload(),
            Profile::Long => base
                .clients(2..=3)
                .ops_per_client(4..=8)
                .keys(2)
                .faults_max(3)
                .quiet_ms(1_000..=3_000),
        }
    }
}

impl Campaign {
    /// The default campaign: every preset, in [`PRESETS`] order, then the [`VARIANT_ROWS`].
    pub fn default_rows(seed: u64, cases_per_config: u64) -> Campaign {
        let mut campaign = Campaign::presets(seed, cases_per_config);
        campaign
            .configs
            .extend(VARIANT_ROWS.iter().map(|name| Configuration {
                label: name.to_string(),
                config: Config::named(name).expect("variant rows are valid"),
            }));
        campaign
    }

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

    /// The scenario of a case: drawn from bytes that depend only on the campaign seed, the
    /// configuration's label and the case index; the first byte draws its [`Profile`].
    pub fn scenario(&self, id: CaseId) -> Scenario {
        self.profiled_scenario(id).1
    }

    /// The profile and scenario of a case.
    pub fn profiled_scenario(&self, id: CaseId) -> (Profile, Scenario) {
        let configuration = &self.configs[id.config];
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.seed.to_le_bytes());
        seed[8..16].copy_from_slice(&fnv1a(configuration.label.as_bytes()).to_le_bytes());
        seed[16..24].copy_from_slice(&id.index.to_le_bytes());
        seed[24..].copy_from_slice(b"explore1");
        let mut rng = ChaCha8Rng::from_seed(seed);
        let mut bytes = vec![0u8; 4096];
        rng.fill_bytes(&mut bytes);
        let profile = Profile::DRAW[usize::from(bytes[0]) % Profile::DRAW.len()];
        let options = profile.options(&configuration.config);
        let mut unstructured = arbitrary::Unstructured::new(&bytes[1..]);
        let scenario = from_unstructured(&mut unstructured, &options)
            .expect("a non-empty configuration list always makes a scenario");
        (profile, scenario)
    }

    /// The command that re-runs this campaign for one configuration.
    pub fn command(&self, config: usize) -> String {
        format!(
            "quorate explore --seed {} --config {} --cases {}",
            self.seed, self.configs[config].label, self.cases_per_config
        )
    }
}

/// What one case showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseOutcome {
    /// Which case it is.
    pub id: CaseId,
    /// Operations in the history.
    pub operations: usize,
    /// Each anomaly kind found, and whether the configuration's promise forbids it here.
    pub kinds: Vec<(AnomalyKind, bool)>,
    /// The checker's verdict against the configuration's promised model.
    pub verdict: Verdict,
    /// The strongest model the history satisfies (`None`: not even `eventual`).
    pub strongest_model: Option<Model>,
    /// Acknowledged puts in the history.
    pub puts_acknowledged: u64,
    /// Acknowledged puts no replica kept (docs/DESIGN.md §4, C3).
    pub puts_lost: u64,
    /// The checker's L1 findings (acknowledged LWW writes discarded by an earlier-invoked
    /// write), by cause.
    pub lww_lost_by_cause: BTreeMap<LwwCause, u64>,
    /// The simulator or the checker refused the case (a bug: the campaign reports it).
    pub error: Option<String>,
    /// The reference store's coverage probes the case hit: bit `i` for `Dynamo::probe_list()[i]`.
    pub probes: u64,
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
        lww_lost_by_cause: BTreeMap::new(),
        error: None,
        probes: 0,
    };
    let (history, probes) = match sim::run(&scenario) {
        Ok(output) => {
            let probes = output
                .stats
                .probe_hits
                .iter()
                .take(64)
                .enumerate()
                .filter(|(_, &hits)| hits > 0)
                .fold(0u64, |bits, (index, _)| bits | 1 << index);
            (output.history, probes)
        }
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
    let mut lww_lost_by_cause = BTreeMap::new();
    for finding in &report.anomalies {
        if let Anomaly::LwwLostWrite { cause, .. } = &finding.anomaly {
            *lww_lost_by_cause.entry(*cause).or_insert(0) += 1;
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
        probes,
        ..outcome
    }
}

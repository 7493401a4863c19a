//! The configuration of a leaderless store: replication, quorums, conflict resolution, repair.
//!
//! This module owns the plain-data description of what a store is set up to do (docs/DESIGN.md §1),
//! its validation, and the named presets. It sits below both the store, which runs a
//! configuration, and the checker, which reads one to know which anomalies it forbids; it must
//! never depend on either.
//!
//! A [`Config`] that exists has been validated only if it came from [`Config::validate`] or a
//! preset; deserialized configurations go through [`Config::from_json`], which validates.
//!
//! ```
//! use quorate::config::Config;
//!
//! let dynamo = Config::preset("dynamo").unwrap();
//! assert!(dynamo.is_strict_quorum());
//! let mut broken = dynamo.clone();
//! broken.r = 4;
//! assert_eq!(broken.validate().unwrap_err().to_string(), "r = 4 is larger than n = 3: a read cannot wait for more replies than there are replicas");
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How concurrent writes to one key are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Dotted version vectors: concurrent writes are all kept, as siblings.
    Siblings,
    /// Last write wins: the highest timestamp is kept, ties broken by value.
    Lww,
}

/// Where an LWW write's timestamp comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timestamps {
    /// The coordinator's clock, which skew affects.
    Clock,
    /// One more than the highest timestamp read from a quorum first (ABD).
    Quorum,
}

/// When a read sends the merged state to replicas that answered with less.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadRepair {
    /// No read repair: stale replicas wait for anti-entropy or handoff.
    Off,
    /// After answering the client, as Riak does.
    Async,
    /// Before answering the client, as Cassandra does.
    Blocking,
}

/// Whether a crash keeps what a node had stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// A crash keeps everything a node had stored.
    Durable,
    /// A crash loses what was not synced.
    Volatile,
}

/// When tombstones are removed for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reaping {
    /// Tombstones are kept forever.
    Keep,
    /// A replica forgets a key as soon as its state is a tombstone, without asking the others.
    Immediate,
    /// After this many simulated milliseconds, and only once all n primaries hold the tombstone.
    AfterMs(u64),
}

/// The settings of a leaderless store (docs/DESIGN.md §1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Nodes in the cluster.
    pub nodes: u32,
    /// Virtual nodes per node on the hash ring.
    pub vnodes_per_node: u32,
    /// Replicas per key.
    pub n: u32,
    /// Replies a read waits for.
    pub r: u32,
    /// Acknowledgements a write waits for (the coordinator's own included).
    pub w: u32,
    /// How concurrent writes to one key are resolved.
    pub resolution: Resolution,
    /// Where LWW timestamps come from (ignored under `Siblings`).
    pub timestamps: Timestamps,
    /// When a read repairs the replicas that answered with less.
    pub read_repair: ReadRepair,
    /// Period of the Merkle-tree exchange between preference-list peers; `None` is off.
    pub anti_entropy_period_ms: Option<u64>,
    /// Whether a fallback node keeps a hint for an unreachable home node and hands it over later.
    pub hinted_handoff: bool,
    /// Whether fallback replies and acknowledgements count toward r and w.
    pub sloppy_quorum: bool,
    /// Whether a crash loses unsynced writes.
    pub durability: Durability,
    /// When tombstones are removed.
    pub reaping: Reaping,
    /// How long a client waits for an answer before it gives up (the operation is then `info`).
    pub client_timeout_ms: u64,
    /// How long a coordinator waits for replicas before it answers `fail`.
    pub request_timeout_ms: u64,
    /// Deliberate bugs switched on in the reference store (the bug zoo, docs/DESIGN.md §7); empty,
    /// and absent from JSON, for a correct store.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub bugs: BTreeSet<Bug>,
}

/// A deliberate, realistic bug of the reference store, off unless a configuration names it.
///
/// The bug zoo is mutation testing of the harness itself: each bug is a mistake real leaderless
/// stores have made, and the tests prove that a focused search finds and minimizes every one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// The coordinator increments its own counter instead of minting a dot (pre-DVV Riak).
    VnodeClock,
    /// A put is stored with an empty context instead of the one its client read.
    IgnoreContext,
    /// Read repair replaces the stale replica's state instead of merging into it.
    RepairOverwrites,
    /// Acknowledgements and replies are counted per message, not per distinct node.
    QuorumDoubleCount,
    /// A fallback keeps its hints in memory only, so a restart loses them.
    HintLostOnRestart,
    /// The anti-entropy exchange never compares the last Merkle bucket.
    AaeSkipsBucket,
    /// A delayed reap fires without asking the other primaries whether they hold the tombstone.
    EarlyReap,
    /// The LWW read merge keeps the smaller timestamp.
    LwwReversed,
    /// Strict reads count fallbacks' replies toward r.
    SloppyReadsCountFallbacks,
    /// A get with several siblings returns a context missing the last sibling's dot.
    StaleContext,
    /// A write is sent only to as many other home nodes as w needs.
    LazyReplication,
    /// A reap vote is asked once and never retried.
    ReapNotRetried,
}

impl Bug {
    /// Every bug, in the zoo's order.
    pub const ALL: [Bug; 12] = [
        Bug::VnodeClock,
        Bug::IgnoreContext,
        Bug::RepairOverwrites,
        Bug::QuorumDoubleCount,
        Bug::HintLostOnRestart,
        Bug::AaeSkipsBucket,
        Bug::EarlyReap,
        Bug::LwwReversed,
        Bug::SloppyReadsCountFallbacks,
        Bug::StaleContext,
        Bug::LazyReplication,
        Bug::ReapNotRetried,
    ];

    /// The name the command line and JSON use, e.g. `vnode-clock`.
    pub fn name(self) -> &'static str {
        match self {
            Bug::VnodeClock => "vnode-clock",
            Bug::IgnoreContext => "ignore-context",
            Bug::RepairOverwrites => "repair-overwrites",
            Bug::QuorumDoubleCount => "quorum-double-count",
            Bug::HintLostOnRestart => "hint-lost-on-restart",
            Bug::AaeSkipsBucket => "aae-skips-bucket",
            Bug::EarlyReap => "early-reap",
            Bug::LwwReversed => "lww-reversed",
            Bug::SloppyReadsCountFallbacks => "sloppy-reads-count-fallbacks",
            Bug::StaleContext => "stale-context",
            Bug::LazyReplication => "lazy-replication",
            Bug::ReapNotRetried => "reap-not-retried",
        }
    }

    /// What the bug does, in two sentences.
    pub fn description(self) -> &'static str {
        match self {
            Bug::VnodeClock => "The coordinator merges the put's context with its own entry and increments its counter instead of minting a dot, as Riak did before dotted version vectors. Two concurrent writes through one coordinator then look ordered, and the second silently overwrites the first.",
            Bug::IgnoreContext => "A put is stored with an empty context instead of the one its client read. Nothing is ever overwritten: every write becomes one more sibling, including those that replace values their client had read.",
            Bug::RepairOverwrites => "Read repair replaces the stale replica's state with the read's merge instead of merging into it. A write that reached the replica after it answered the read is wiped from it.",
            Bug::QuorumDoubleCount => "The coordinator counts acknowledgements and replies instead of the distinct nodes that sent them. A duplicated message then counts twice toward w or r, so a write or read can succeed with one replica too few.",
            Bug::HintLostOnRestart => "A fallback node keeps its hints in memory only, so a restart loses them even with durable storage. The home node never receives the hinted writes unless something else repairs it.",
            Bug::AaeSkipsBucket => "The anti-entropy exchange compares the Merkle leaves with an off-by-one loop that never looks at the last bucket. Replicas that differ only in keys of that bucket are never repaired.",
            Bug::EarlyReap => "A delayed tombstone reap fires when its timer is due without asking the other primaries whether they hold the tombstone. A primary that missed the delete still holds the value: the replicas never agree again, and the acknowledged delete is lost.",
            Bug::LwwReversed => "The read coordinator's merge of LWW replies keeps the smaller timestamp instead of the larger one. A read then returns the older of two versions when its replicas disagree.",
            Bug::SloppyReadsCountFallbacks => "With hinted handoff on but sloppy quorum off, reads ask fallbacks for their hints and count those replies toward r. A strict read can then be answered by one home node and a fallback that knows nothing.",
            Bug::StaleContext => "A get whose result has several siblings returns a context that misses the last sibling's dot. The client's next put then fails to overwrite a sibling it had read, which stays as a dominated sibling.",
            Bug::LazyReplication => "The coordinator of a put or delete sends it only to as many other home nodes as w needs, leaving the rest to read repair and anti-entropy. Without anti-entropy, a home node that no read happens to repair never receives the acknowledged write.",
            Bug::ReapNotRetried => "When a tombstone's reap delay is over, a replica asks the other home nodes once and drops the key from its reap schedule whatever they answer. A vote lost to a fault, or taken before every home node had the tombstone, leaves the tombstone on that replica for good.",
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bug name that is not in the zoo.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown bug {name:?}; the bugs are {list}",
    list = Bug::ALL.map(Bug::name).join(", ")
)]
pub struct UnknownBug {
    /// The name given, as written.
    pub name: String,
}

impl FromStr for Bug {
    type Err = UnknownBug;

    fn from_str(text: &str) -> Result<Bug, UnknownBug> {
        Bug::ALL
            .into_iter()
            .find(|bug| bug.name() == text.trim())
            .ok_or_else(|| UnknownBug {
                name: text.to_string(),
            })
    }
}

/// Parses a comma-separated list of bug names (empty parts are ignored).
pub fn parse_bugs(list: &str) -> Result<BTreeSet<Bug>, UnknownBug> {
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(Bug::from_str)
        .collect()
}

/// A configuration that cannot work, with the reason in words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A setting that must be at least 1 is 0.
    #[error("{name} = 0: {reason}")]
    Zero {
        /// The setting's field name.
        name: &'static str,
        /// Why it cannot be 0.
        reason: &'static str,
    },
    /// `r` or `w` exceeds `n`.
    #[error("{name} = {value} is larger than n = {n}: {reason}")]
    LargerThanN {
        /// The setting's field name (`r` or `w`).
        name: &'static str,
        /// Its value.
        value: u32,
        /// The configuration's `n`.
        n: u32,
        /// Why it cannot exceed `n`.
        reason: &'static str,
    },
    /// A setting exceeds its upper bound.
    #[error("{name} = {value} is more than {max}: {reason}")]
    TooLarge {
        /// The setting's field name.
        name: &'static str,
        /// Its value.
        value: u64,
        /// The bound.
        max: u64,
        /// Why it is bounded.
        reason: &'static str,
    },
    /// `n` exceeds `nodes`.
    #[error("n = {n} is larger than nodes = {nodes}: a key cannot have more replicas than there are nodes")]
    MoreReplicasThanNodes {
        /// The replicas per key.
        n: u32,
        /// The nodes in the cluster.
        nodes: u32,
    },
    /// `timestamps = quorum` with `resolution = siblings`.
    #[error("timestamps = quorum needs resolution = lww: siblings have no timestamps")]
    QuorumTimestampsWithoutLww,
    /// `sloppy_quorum` without `hinted_handoff`.
    #[error("sloppy_quorum needs hinted_handoff: fallbacks only answer when they keep hints")]
    SloppyWithoutHandoff,
    /// A preset name not in [`PRESETS`].
    #[error("unknown preset {0:?}; the presets are {presets}", presets = PRESETS.join(", "))]
    UnknownPreset(String),
    /// A variant name not in [`VARIANTS`].
    #[error(
        "unknown configuration variant {0:?}; the variants are {variants}",
        variants = VARIANTS
            .iter()
            .map(|(name, _, what)| format!("{name} ({what})"))
            .collect::<Vec<_>>()
            .join(", ")
    )]
    UnknownVariant(String),
    /// A configuration file that cannot be read.
    #[error("cannot read configuration file {path}: {message}")]
    Unreadable {
        /// The file's path, as given.
        path: String,
        /// The I/O error, in words.
        message: String,
    },
    /// The text is not JSON of a configuration; serde_json's message.
    #[error("configuration is not valid JSON: {0}")]
    Json(String),
}

/// The most virtual nodes a node may have on the ring (the presets use 8).
pub const VNODES_PER_NODE_MAX: u32 = 1_024;

/// The most nodes a cluster may have (dot actors are numbered `node + 1000 × incarnation`).
pub const NODES_MAX: u32 = 999;

/// The names of the presets, in the order the explore campaign runs them.
pub const PRESETS: [&str; 6] = ["dynamo", "weak", "sloppy", "lww", "cassandra", "atomic"];

/// A change to a preset, by name, for `--config PRESET+VARIANT` and explore's variant rows:
/// (name, the change, what it means).
pub type Variant = (&'static str, fn(&mut Config), &'static str);

/// The configuration variants: each switches one mechanism, so a campaign can watch a
/// mechanism work without another repairing its mistakes a moment later.
pub const VARIANTS: [Variant; 9] = [
    (
        "volatile",
        |config| config.durability = Durability::Volatile,
        "storage that a crash rolls back to its last sync",
    ),
    (
        "reap-now",
        |config| config.reaping = Reaping::Immediate,
        "tombstones removed as soon as they are written",
    ),
    (
        "reap-100ms",
        |config| config.reaping = Reaping::AfterMs(100),
        "tombstones removed 100 ms after every home node holds them",
    ),
    (
        "no-aae",
        |config| config.anti_entropy_period_ms = None,
        "anti-entropy off",
    ),
    (
        "handoff",
        |config| config.hinted_handoff = true,
        "hinted handoff on (strict quorums)",
    ),
    (
        "no-handoff",
        |config| {
            config.hinted_handoff = false;
            config.sloppy_quorum = false;
        },
        "hinted handoff and sloppy quorums off",
    ),
    (
        "no-read-repair",
        |config| config.read_repair = ReadRepair::Off,
        "read repair off",
    ),
    (
        "async-repair",
        |config| config.read_repair = ReadRepair::Async,
        "read repair after answering the client",
    ),
    (
        "blocking-repair",
        |config| config.read_repair = ReadRepair::Blocking,
        "read repair before answering the client",
    ),
];

impl Default for Config {
    /// The design's defaults: 5 nodes, n = 3, r = w = 2, siblings, async read repair, anti-entropy.
    fn default() -> Config {
        Config {
            nodes: 5,
            vnodes_per_node: 8,
            n: 3,
            r: 2,
            w: 2,
            resolution: Resolution::Siblings,
            timestamps: Timestamps::Clock,
            read_repair: ReadRepair::Async,
            anti_entropy_period_ms: Some(1_000),
            hinted_handoff: false,
            sloppy_quorum: false,
            durability: Durability::Durable,
            reaping: Reaping::Keep,
            client_timeout_ms: 500,
            request_timeout_ms: 200,
            bugs: BTreeSet::new(),
        }
    }
}

impl Config {
    /// A named preset (see [`PRESETS`]).
    pub fn preset(name: &str) -> Result<Config, ConfigError> {
        let dynamo = Config::default();
        let config = match name {
            "dynamo" => dynamo,
            "weak" => Config {
                r: 1,
                w: 1,
                ..dynamo
            },
            "sloppy" => Config {
                hinted_handoff: true,
                sloppy_quorum: true,
                ..dynamo
            },
            "lww" => Config {
                resolution: Resolution::Lww,
                ..dynamo
            },
            "cassandra" => Config {
                resolution: Resolution::Lww,
                read_repair: ReadRepair::Blocking,
                hinted_handoff: true,
                ..dynamo
            },
            "atomic" => Config {
                resolution: Resolution::Lww,
                timestamps: Timestamps::Quorum,
                read_repair: ReadRepair::Blocking,
                ..dynamo
            },
            other => return Err(ConfigError::UnknownPreset(other.to_string())),
        };
        config.validate()?;
        Ok(config)
    }

    /// Parses a configuration from JSON and validates it.
    pub fn from_json(text: &str) -> Result<Config, ConfigError> {
        let config: Config =
            serde_json::from_str(text).map_err(|error| ConfigError::Json(error.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// A preset with variants applied in order: `dynamo`, `dynamo+volatile`,
    /// `sloppy+no-aae+reap-now` (see [`VARIANTS`]). The result is validated.
    pub fn named(name: &str) -> Result<Config, ConfigError> {
        let mut parts = name.split('+');
        let preset = parts.next().unwrap_or_default();
        let mut config = Config::preset(preset)?;
        for variant in parts {
            let (_, apply, _) = VARIANTS
                .iter()
                .find(|(known, _, _)| *known == variant)
                .ok_or_else(|| ConfigError::UnknownVariant(variant.to_string()))?;
            apply(&mut config);
        }
        config.validate()?;
        Ok(config)
    }

    /// A preset (with variants) by name, or else a JSON file by path: what `--config
    /// PRESET[+VARIANT…]|FILE` means.
    pub fn from_preset_or_file(name_or_path: &str) -> Result<Config, ConfigError> {
        let preset = name_or_path.split('+').next().unwrap_or_default();
        if PRESETS.contains(&preset) {
            return Config::named(name_or_path);
        }
        match std::fs::read_to_string(name_or_path) {
            Ok(text) => Config::from_json(&text),
            Err(_) if !name_or_path.contains(['/', '.']) => {
                Err(ConfigError::UnknownPreset(name_or_path.to_string()))
            }
            Err(error) => Err(ConfigError::Unreadable {
                path: name_or_path.to_string(),
                message: error.to_string(),
            }),
        }
    }

    /// Checks that the settings can work together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let zero = |name, value: u64, reason| {
            if value == 0 {
                Err(ConfigError::Zero { name, reason })
            } else {
                Ok(())
            }
        };
        zero(
            "nodes",
            self.nodes.into(),
            "a cluster needs at least one node",
        )?;
        zero(
            "vnodes_per_node",
            self.vnodes_per_node.into(),
            "each node needs a place on the ring",
        )?;
        zero("n", self.n.into(), "every key needs at least one replica")?;
        zero(
            "r",
            self.r.into(),
            "a read must wait for at least one reply",
        )?;
        zero(
            "w",
            self.w.into(),
            "a write must wait for at least one acknowledgement",
        )?;
        zero(
            "client_timeout_ms",
            self.client_timeout_ms,
            "a client must wait some time",
        )?;
        zero(
            "request_timeout_ms",
            self.request_timeout_ms,
            "a coordinator must wait some time",
        )?;
        if let Some(period) = self.anti_entropy_period_ms {
            zero(
                "anti_entropy_period_ms",
                period,
                "use null to turn anti-entropy off",
            )?;
        }
        let at_most = |name, value: u64, max: u64, reason| {
            if value > max {
                Err(ConfigError::TooLarge {
                    name,
                    value,
                    max,
                    reason,
                })
            } else {
                Ok(())
            }
        };
        at_most(
            "vnodes_per_node",
            self.vnodes_per_node.into(),
            VNODES_PER_NODE_MAX.into(),
            "the ring keeps one entry per virtual node of every node, and every key's placement walks it",
        )?;
        at_most(
            "nodes",
            self.nodes.into(),
            NODES_MAX.into(),
            "dot actors are numbered node + 1000 × incarnation",
        )?;
        if self.n > self.nodes {
            return Err(ConfigError::MoreReplicasThanNodes {
                n: self.n,
                nodes: self.nodes,
            });
        }
        let larger = |name, value: u32, reason| {
            if value > self.n {
                Err(ConfigError::LargerThanN {
                    name,
                    value,
                    n: self.n,
                    reason,
                })
            } else {
                Ok(())
            }
        };
        larger(
            "r",
            self.r,
            "a read cannot wait for more replies than there are replicas",
        )?;
        larger(
            "w",
            self.w,
            "a write cannot wait for more acknowledgements than there are replicas",
        )?;
        if self.timestamps == Timestamps::Quorum && self.resolution != Resolution::Lww {
            return Err(ConfigError::QuorumTimestampsWithoutLww);
        }
        if self.sloppy_quorum && !self.hinted_handoff {
            return Err(ConfigError::SloppyWithoutHandoff);
        }
        Ok(())
    }

    /// Whether the deliberate bug `bug` is switched on.
    pub fn has_bug(&self, bug: Bug) -> bool {
        self.bugs.contains(&bug)
    }

    /// r + w > n with only home nodes counting: every read quorum meets every write quorum.
    pub fn is_strict_quorum(&self) -> bool {
        self.r + self.w > self.n && !self.sloppy_quorum
    }

    /// How long a coordinator waits for a home node's acknowledgement before it turns to a
    /// fallback (with hinted handoff): a quarter of the request timeout. The store's tuning and
    /// the checker's convergence obligation both read it here.
    pub fn handoff_delay_ms(&self) -> u64 {
        (self.request_timeout_ms / 4).max(1)
    }

    /// Whether a write first reads the highest timestamp from r home nodes (ABD: LWW with
    /// quorum timestamps), so its replication starts only after that round.
    pub fn reads_before_writing(&self) -> bool {
        self.resolution == Resolution::Lww && self.timestamps == Timestamps::Quorum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for name in PRESETS {
            let config = Config::preset(name).unwrap();
            assert_eq!(config.validate(), Ok(()), "{name}");
        }
    }

    #[test]
    fn impossible_configurations_are_errors() {
        let check = |change: fn(&mut Config), expected: &str| {
            let mut config = Config::default();
            change(&mut config);
            assert_eq!(config.validate().unwrap_err().to_string(), expected);
        };
        check(|c| c.w = 4, "w = 4 is larger than n = 3: a write cannot wait for more acknowledgements than there are replicas");
        check(
            |c| c.n = 6,
            "n = 6 is larger than nodes = 5: a key cannot have more replicas than there are nodes",
        );
        check(
            |c| c.r = 0,
            "r = 0: a read must wait for at least one reply",
        );
        check(
            |c| c.client_timeout_ms = 0,
            "client_timeout_ms = 0: a client must wait some time",
        );
        check(
            |c| c.timestamps = Timestamps::Quorum,
            "timestamps = quorum needs resolution = lww: siblings have no timestamps",
        );
    }

    #[test]
    fn bugs_parse_by_name_and_stay_out_of_json_when_off() {
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>(), Ok(bug));
            let json = serde_json::to_string(&bug).unwrap();
            assert_eq!(json, format!("\"{}\"", bug.name()));
        }
        let error = "vnode-clok".parse::<Bug>().unwrap_err().to_string();
        assert!(
            error.contains("the bugs are vnode-clock, ignore-context"),
            "{error}"
        );
        assert_eq!(
            parse_bugs("early-reap, vnode-clock,").unwrap(),
            BTreeSet::from([Bug::VnodeClock, Bug::EarlyReap])
        );
        let config = Config::default();
        assert!(!serde_json::to_string(&config).unwrap().contains("bugs"));
        let mut buggy = config;
        buggy.bugs.insert(Bug::StaleContext);
        let text = serde_json::to_string(&buggy).unwrap();
        assert!(text.contains(r#""bugs":["stale-context"]"#), "{text}");
        assert_eq!(Config::from_json(&text).unwrap(), buggy);
    }

    #[test]
    fn json_round_trip_and_unknown_fields() {
        let config = Config::preset("cassandra").unwrap();
        let text = serde_json::to_string(&config).unwrap();
        assert_eq!(Config::from_json(&text).unwrap(), config);
        let error = Config::from_json(r#"{"nodes": 5, "bogus": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `bogus`"), "{error}");
        assert!(Config::preset("riak")
            .unwrap_err()
            .to_string()
            .contains("dynamo, weak"));
    }

    #[test]
    fn variants_apply_in_order_and_unknown_ones_are_named() {
        let config = Config::named("sloppy+no-aae+reap-now").unwrap();
        assert_eq!(config.anti_entropy_period_ms, None);
        assert_eq!(config.reaping, Reaping::Immediate);
        assert!(config.sloppy_quorum);
        assert!(!Config::named("sloppy+no-handoff").unwrap().hinted_handoff);
        assert_eq!(
            Config::from_preset_or_file("dynamo+volatile")
                .unwrap()
                .durability,
            Durability::Volatile
        );
        let error = Config::named("dynamo+turbo").unwrap_err().to_string();
        assert!(
            error.contains("\"turbo\"")
                && error.contains(
                    "volatile (storage that a crash rolls back to its last sync), reap-now"
                ),
            "{error}"
        );
        assert!(Config::named("riak+volatile").is_err());
    }
}

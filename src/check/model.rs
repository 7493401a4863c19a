//! Consistency models: which anomalies each forbids, and which model a configuration promises.
//!
//! `eventual` ⊂ `quorum` ⊂ `monotonic` ⊂ `atomic` (docs/DESIGN.md §4): each forbids what the weaker
//! ones forbid and more. Some requirements also depend on the run: a fault that loses data
//! voids the promises of M3 and C3, LWW with node clocks discards writes by design (it
//! promises only `eventual`), and a store that reaps tombstones forgets what a key held, so no
//! single order need explain its reads (LIN is void; M3, M5 and C3 allow for reaped tombstones).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::{Config, Durability, ReadRepair, Reaping, Resolution, Timestamps};
use crate::history::History;

use super::anomaly::AnomalyKind;

/// A consistency model, from weakest to strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// C1–C6, M1, M2 (and M6 when the store exposes dots).
    Eventual,
    /// + M3: a read sees every write acknowledged before it began.
    Quorum,
    /// + M5: a read sees everything an earlier read saw.
    Monotonic,
    /// + LIN: one real-time order explains every read.
    Atomic,
}

impl Model {
    /// Every model, weakest first.
    pub const ALL: [Model; 4] = [
        Model::Eventual,
        Model::Quorum,
        Model::Monotonic,
        Model::Atomic,
    ];

    /// The name used on the command line and in JSON, e.g. `monotonic`.
    pub fn name(self) -> &'static str {
        match self {
            Model::Eventual => "eventual",
            Model::Quorum => "quorum",
            Model::Monotonic => "monotonic",
            Model::Atomic => "atomic",
        }
    }

    /// The model a store with this configuration promises.
    ///
    /// LWW with node clocks promises only `eventual`: it discards concurrent writes by design and
    /// clock skew lets an older write win, so stale reads are its nature. LWW with quorum
    /// timestamps and blocking read repair (ABD) promises `atomic`. With siblings, strict quorums
    /// promise `quorum`, and blocking read repair adds `monotonic`.
    pub fn implied_by(config: &Config) -> Model {
        if !config.is_strict_quorum() {
            return Model::Eventual;
        }
        let blocking = config.read_repair == ReadRepair::Blocking;
        match (config.resolution, config.timestamps) {
            (Resolution::Siblings, _) if blocking => Model::Monotonic,
            (Resolution::Siblings, _) => Model::Quorum,
            (Resolution::Lww, Timestamps::Quorum) if blocking => Model::Atomic,
            (Resolution::Lww, _) => Model::Eventual,
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A model name that is not one of the four.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown model {name:?}; the models are eventual, quorum, monotonic and atomic")]
pub struct UnknownModel {
    /// The name given.
    pub name: String,
}

impl FromStr for Model {
    type Err = UnknownModel;

    fn from_str(text: &str) -> Result<Model, UnknownModel> {
        Model::ALL
            .into_iter()
            .find(|model| model.name() == text)
            .ok_or_else(|| UnknownModel {
                name: text.to_string(),
            })
    }
}

/// What about the run changes which anomalies a model forbids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Circumstances {
    /// How the store resolves concurrent writes (siblings or LWW).
    pub resolution: Resolution,
    /// Whether the store keeps acknowledged data across crashes.
    pub durable: bool,
    /// Whether a fault of the run can destroy acknowledged data (a volatile crash).
    pub loses_data: bool,
    /// When the store removes tombstones for good. A reaped key holds nothing, so its reads and
    /// snapshots cannot show the deletes it forgot (the read-side properties allow for that).
    pub reaping: Reaping,
}

impl Circumstances {
    /// Read from the history; without a configuration, a durable sibling store is assumed.
    pub fn of(history: &History) -> Circumstances {
        let config = history.config.as_ref();
        Circumstances {
            resolution: config.map_or(Resolution::Siblings, |config| config.resolution),
            durable: config.map_or(true, |config| config.durability == Durability::Durable),
            loses_data: history.faults.iter().any(|fault| fault.loses_data),
            reaping: config.map_or(Reaping::Keep, |config| config.reaping),
        }
    }

    /// Whether `model` forbids anomalies of `kind` in these circumstances.
    pub fn forbids(&self, model: Model, kind: AnomalyKind) -> bool {
        match kind {
            AnomalyKind::PhantomValue
            | AnomalyKind::FutureRead
            | AnomalyKind::DominatedSibling
            | AnomalyKind::ContextTooSmall
            | AnomalyKind::ContextTooLarge
            | AnomalyKind::Divergence
            | AnomalyKind::RepairChurn => true,
            // C5 and C6 judge only the keys the configuration promises to converge (and C5 only
            // a write some replica keeps: one that none keeps is C3's lost write, with C3's
            // circumstances), so where they are judged they hold in every model.
            AnomalyKind::UnderReplicated | AnomalyKind::TombstoneNotReaped => true,
            AnomalyKind::LostWrite => {
                self.resolution == Resolution::Siblings && self.durable && !self.loses_data
            }
            AnomalyKind::StaleRead => model >= Model::Quorum && !self.loses_data,
            // A replica that lost data (a volatile crash, a lost disk) can make a later read see
            // less than an earlier one saw, as it can make a read miss an acknowledged write.
            AnomalyKind::NonMonotonicRead => model >= Model::Monotonic && !self.loses_data,
            // A crash that destroys acknowledged data voids LIN as it voids M3: no store can
            // return a write it has lost, so the promise is judged only on runs that keep data.
            // Reaping voids it too: a reaped key reads as never written, which no order of the
            // key's writes explains once a read has seen them.
            AnomalyKind::NotLinearizable => {
                model >= Model::Atomic && !self.loses_data && self.reaping == Reaping::Keep
            }
            // Observations: what the configuration allows by design (a failed write that took
            // effect, a write LWW discarded, replicas no mechanism promises to repair).
            AnomalyKind::FailedWriteVisible
            | AnomalyKind::LwwLostWrite
            | AnomalyKind::UnrepairedDivergence => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_imply_models() {
        let check = |preset: &str, expected: Model| {
            let config = Config::preset(preset).unwrap();
            assert_eq!(Model::implied_by(&config), expected, "{preset}");
        };
        check("dynamo", Model::Quorum);
        check("weak", Model::Eventual);
        check("sloppy", Model::Eventual);
        check("lww", Model::Eventual);
        check("cassandra", Model::Eventual);
        check("atomic", Model::Atomic);
    }

    #[test]
    fn models_parse_and_are_ordered() {
        assert_eq!("monotonic".parse::<Model>(), Ok(Model::Monotonic));
        assert!("strong"
            .parse::<Model>()
            .unwrap_err()
            .to_string()
            .contains("eventual, quorum"));
        assert!(Model::Eventual < Model::Quorum && Model::Monotonic < Model::Atomic);
    }
}

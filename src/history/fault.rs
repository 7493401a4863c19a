//! The fault vocabulary: the one list of fault kinds that the simulator injects, a history's fault
//! records name, the command line accepts and the generators schedule.
//!
//! Each kind has two spellings, both stable: the record name (`snake_case`, what a history file
//! carries in `faults[].kind`) and the command-line name (`quorate sim --faults`). Parsing accepts
//! either. What it must never do: carry a fault's parameters (which nodes, how long, how much
//! skew); those belong to the scenario's `sim::FaultKind`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultType {
    /// A group of nodes (or clients) cut off from everyone else, both ways.
    Partition,
    /// A group of nodes cut off one way: nothing reaches it, or nothing leaves it.
    #[serde(rename = "partition_one_way")]
    OneWay,
    /// One client cut off from every node. The simulator records it as a `partition` whose
    /// group is a client (a partition is a partition, whoever is inside it).
    ClientPartition,
    /// A node stops and restarts at the heal (a volatile store loses what it had not synced).
    Crash,
    /// A node stops handling anything until the heal, then handles what queued up.
    Pause,
    /// A node's clock reads off the simulated time.
    ClockSkew,
    /// Messages are lost with some probability.
    Loss,
    /// Messages between nodes are delivered twice with some probability.
    Duplicate,
    /// A node loses its disk: it stops, and at the heal it comes back empty under a new identity
    /// (the operator's "replace a node"), to be filled again by repair.
    DiskLoss,
    /// Messages are held back far longer than the network's latency (a latency spike): requests
    /// time out and replies arrive late.
    Delay,
    /// Messages between two endpoints arrive out of the order they were sent in.
    Reorder,
}

impl FaultType {
    /// Every kind, in the order the command line lists them.
    pub const ALL: [FaultType; 11] = [
        FaultType::Partition,
        FaultType::OneWay,
        FaultType::ClientPartition,
        FaultType::Crash,
        FaultType::Pause,
        FaultType::ClockSkew,
        FaultType::Loss,
        FaultType::Duplicate,
        FaultType::DiskLoss,
        FaultType::Delay,
        FaultType::Reorder,
    ];

    /// The kinds the scenario generators (`gen`) draw from by default: every kind but `delay`
    /// and `reorder`, which came later; drawing them too would change every generated scenario
    /// of every seed. A generator asked for them by name draws them.
    pub const DRAWN_BY_DEFAULT: [FaultType; 9] = [
        FaultType::Partition,
        FaultType::OneWay,
        FaultType::ClientPartition,
        FaultType::Crash,
        FaultType::Pause,
        FaultType::ClockSkew,
        FaultType::Loss,
        FaultType::Duplicate,
        FaultType::DiskLoss,
    ];

    /// The name `quorate sim --faults` and the zoo's tables use.
    pub fn cli_name(self) -> &'static str {
        match self {
            FaultType::Partition => "partition",
            FaultType::OneWay => "one-way",
            FaultType::ClientPartition => "client-partition",
            FaultType::Crash => "crash",
            FaultType::Pause => "pause",
            FaultType::ClockSkew => "skew",
            FaultType::Loss => "loss",
            FaultType::Duplicate => "duplicate",
            FaultType::DiskLoss => "disk-loss",
            FaultType::Delay => "delay",
            FaultType::Reorder => "reorder",
        }
    }

    /// The name a history's fault record carries.
    pub fn record_name(self) -> &'static str {
        match self {
            FaultType::Partition => "partition",
            FaultType::OneWay => "partition_one_way",
            FaultType::ClientPartition => "client_partition",
            FaultType::Crash => "crash",
            FaultType::Pause => "pause",
            FaultType::ClockSkew => "clock_skew",
            FaultType::Loss => "loss",
            FaultType::Duplicate => "duplicate",
            FaultType::DiskLoss => "disk_loss",
            FaultType::Delay => "delay",
            FaultType::Reorder => "reorder",
        }
    }

    /// A list in command-line names, joined by `separator`; `none` when empty.
    pub fn list_text(kinds: &[FaultType], separator: &str) -> String {
        if kinds.is_empty() {
            return "none".to_string();
        }
        kinds
            .iter()
            .map(|kind| kind.cli_name())
            .collect::<Vec<_>>()
            .join(separator)
    }

    /// Parses a comma-separated list (`partition,crash`); `none` or an empty list is no fault.
    pub fn parse_list(text: &str) -> Result<Vec<FaultType>, UnknownFault> {
        text.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty() && *name != "none")
            .map(str::parse)
            .collect()
    }
}

impl fmt::Display for FaultType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cli_name())
    }
}

/// A fault name that is not in the vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {name:?}; the faults are {}", FaultType::ALL.map(FaultType::cli_name).join(", "))]
pub struct UnknownFault {
    /// The name given, as written.
    pub name: String,
}

impl FromStr for FaultType {
    type Err = UnknownFault;

    /// Either spelling: the command-line name or the record name.
    fn from_str(name: &str) -> Result<FaultType, UnknownFault> {
        FaultType::ALL
            .into_iter()
            .find(|kind| kind.cli_name() == name || kind.record_name() == name)
            .ok_or_else(|| UnknownFault {
                name: name.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_parse_and_the_record_name_is_what_serde_writes() {
        for kind in FaultType::ALL {
            assert_eq!(kind.cli_name().parse(), Ok(kind));
            assert_eq!(kind.record_name().parse(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.record_name())
            );
        }
        assert_eq!(
            FaultType::parse_list(" partition, skew ,none"),
            Ok(vec![FaultType::Partition, FaultType::ClockSkew])
        );
        assert_eq!(FaultType::list_text(&[], ","), "none");
        assert_eq!(
            FaultType::list_text(&[FaultType::OneWay, FaultType::ClockSkew], ", "),
            "one-way, skew"
        );
        // The generators' default is every kind before delay and reorder, in order.
        assert_eq!(FaultType::DRAWN_BY_DEFAULT[..], FaultType::ALL[..9]);
        assert_eq!(
            FaultType::parse_list("delay,reorder"),
            Ok(vec![FaultType::Delay, FaultType::Reorder])
        );
        let error = FaultType::parse_list("partition,flood").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("unknown fault \"flood\"; the faults are partition, one-way"),
            "{error}"
        );
    }
}

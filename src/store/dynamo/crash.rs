//! Crash, disk loss and restart: what of a node survives a crash. A durable node keeps everything it stored;
//! a volatile node syncs its state every `sync_period_ms` and goes back to the last synced copy,
//! coming back as a new actor (`node + ACTOR_STRIDE × incarnation`).
//!
//! Owns: the sync timer, the crash handler (requests in flight and reap votes are dropped; a
//! volatile node's state is restored from its synced copy, its incarnation raised and its
//! tombstone bookkeeping redone), and disk loss (the node comes back empty as a new actor). Bug hook: `hint-lost-on-restart` (hints kept in memory only).
//!
//! Process mode (`quorate node`, `crate::process::serve`) keeps a node on disk through
//! [`Dynamo::saved_state`] and [`Dynamo::restore_state`]: a durable node's whole stored state
//! (what a durable crash keeps), a volatile node's incarnation only (it comes back empty, as a
//! new actor, as after a lost disk).
//!
//! Must never: let a node mint a dot it had minted before the crash (a volatile node that loses
//! its counters must come back as a new actor), keep a coordinator's requests across a crash
//! (their timers are gone with it), or report a crash as losing nothing when state went back to
//! an older copy.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::causality::NodeId;
use crate::config::{Bug, Durability};
use crate::history::Key;
use crate::store::Object;

use super::handoff::Hint;
use super::reaping::Reaped;
use super::{Dynamo, DynamoNode, DynamoProbe, DynamoTimer, Out, Stored};
use crate::store::Store;

/// What a node of the reference store keeps on disk in process mode: its incarnation, and for a
/// durable node what a durable crash keeps (`Stored`), with the hints as a list (JSON maps
/// need string keys).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    incarnation: u32,
    #[serde(default)]
    data: BTreeMap<Key, Arc<Object>>,
    #[serde(default)]
    hints: Vec<(NodeId, Key, Hint)>,
    #[serde(default)]
    minted: u64,
    #[serde(default)]
    reaped: BTreeMap<Key, Reaped>,
}

impl Dynamo {
    /// At boot and after every restart: a volatile node starts syncing.
    pub(super) fn start_syncing(&self, out: &mut Out) {
        if self.config.durability == Durability::Volatile {
            out.set_timer(self.tuning.sync_period_ms, DynamoTimer::Sync);
        }
    }

    /// The sync timer: what a volatile crash will go back to.
    pub(super) fn on_sync_timer(&self, node: &mut DynamoNode, out: &mut Out) {
        node.synced = Some(node.stored.clone());
        out.set_timer(self.tuning.sync_period_ms, DynamoTimer::Sync);
    }

    /// The node lost its disk: it comes back with nothing, as a new actor (the operator gives a
    /// replaced node a new identity; here the incarnation, kept outside the lost disk, is raised).
    pub(super) fn lose_disk(&self, id: NodeId, node: &mut DynamoNode) {
        let incarnation = node.incarnation + 1;
        // Request numbers are never used twice either: a reply still in flight to a request
        // from before the loss would otherwise be taken for the new request of that number (a
        // read of one key answered with another key's values).
        let next_request = node.next_request;
        *node = self.boot(id);
        node.incarnation = incarnation;
        node.next_request = next_request;
        node.restart_probe = Some(DynamoProbe::RestartAfterDiskLoss);
    }

    /// What a process keeps on disk of `node` (see the module's docs): under a durable
    /// configuration everything a durable crash keeps, under a volatile one only the
    /// incarnation. [`Dynamo::restore_state`] reads it back.
    pub fn saved_state(&self, node: &DynamoNode) -> serde_json::Value {
        let saved = match self.config.durability {
            Durability::Durable => Saved {
                incarnation: node.incarnation,
                data: node.stored.data.clone(),
                hints: (node.stored.hints.iter())
                    .map(|((home, key), hint)| (*home, key.clone(), hint.clone()))
                    .collect(),
                minted: node.stored.minted,
                reaped: node.stored.reaped.clone(),
            },
            Durability::Volatile => Saved {
                incarnation: node.incarnation,
                data: BTreeMap::new(),
                hints: Vec::new(),
                minted: 0,
                reaped: BTreeMap::new(),
            },
        };
        serde_json::to_value(saved).expect("a node's state serializes")
    }

    /// The node `id` of a process that restarts from what [`Dynamo::saved_state`] wrote: a
    /// durable node with everything it stored (its requests in flight and reap votes are gone,
    /// as after a crash), a volatile node empty as a new actor (its incarnation raised, as after
    /// a lost disk). An error names what does not read.
    pub fn restore_state(
        &self,
        id: NodeId,
        saved: serde_json::Value,
    ) -> Result<DynamoNode, String> {
        let saved: Saved = serde_json::from_value(saved).map_err(|error| error.to_string())?;
        let mut node = self.boot(id);
        match self.config.durability {
            Durability::Durable => {
                node.incarnation = saved.incarnation;
                node.stored = Stored {
                    data: saved.data,
                    hints: (saved.hints.into_iter())
                        .map(|(home, key, hint)| ((home, key), hint))
                        .collect(),
                    minted: saved.minted,
                    reaped: saved.reaped,
                };
                let keys: Vec<Key> = node.stored.data.keys().cloned().collect();
                for key in keys {
                    self.after_change(&mut node, &key, 0);
                }
            }
            Durability::Volatile => {
                node.incarnation = saved.incarnation + 1;
                node.restart_probe = Some(DynamoProbe::RestartAfterDiskLoss);
            }
        }
        Ok(node)
    }

    /// The node crashed: drop what does not survive; returns whether acknowledged data may have
    /// been lost (a volatile crash).
    pub(super) fn crash(&self, node: &mut DynamoNode) -> bool {
        node.pending.clear();
        node.reap_votes.clear();
        // The `hint-lost-on-restart` bug: hints were kept in memory only, even when durable.
        if self.config.has_bug(Bug::HintLostOnRestart) {
            node.stored.hints.clear();
            if let Some(synced) = &mut node.synced {
                synced.hints.clear();
            }
        }
        match &node.synced {
            None => false,
            Some(synced) => {
                node.stored = synced.clone();
                node.incarnation += 1;
                node.restart_probe = Some(DynamoProbe::RestartRolledBack);
                node.stored.minted = 0;
                node.reap_due.clear();
                let keys: Vec<Key> = node.stored.data.keys().cloned().collect();
                for key in keys {
                    self.after_change(node, &key, 0);
                }
                true
            }
        }
    }
}

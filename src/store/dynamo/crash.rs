//! Crash, disk loss and restart: what of a node survives a crash. A durable node keeps everything it stored;
//! a volatile node syncs its state every `sync_period_ms` and goes back to the last synced copy,
//! coming back as a new actor (`node + ACTOR_STRIDE × incarnation`).
//!
//! Owns: the sync timer, the crash handler (requests in flight and reap votes are dropped; a
//! volatile node's state is restored from its synced copy, its incarnation raised and its
//! tombstone bookkeeping redone), and disk loss (the node comes back empty as a new actor). Bug hook: `hint-lost-on-restart` (hints kept in memory only).
//!
//! Must never: let a node mint a dot it had minted before the crash (a volatile node that loses
//! its counters must come back as a new actor), keep a coordinator's requests across a crash
//! (their timers are gone with it), or report a crash as losing nothing when state went back to
//! an older copy.

use crate::causality::NodeId;
use crate::config::{Bug, Durability};
use crate::history::Key;

use super::{Dynamo, DynamoNode, DynamoProbe, DynamoTimer, Out};
use crate::store::Store;

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
        *node = self.boot(id);
        node.incarnation = incarnation;
        node.restart_probe = Some(DynamoProbe::RestartAfterDiskLoss);
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

//! Coordination: the node a client's request arrives at coordinates it. It numbers the request,
//! sets its timeout, and runs the get ([`read`](super::read)), the put or delete
//! ([`write`](super::write)) or, for LWW with quorum timestamps, first the ABD timestamp read;
//! this file is the part the three share.
//!
//! Owns: the table of requests in flight ([`Pending`]), the request's entry (its number, its
//! timeout, which path it takes), asking the home nodes for their copies, routing replies and
//! acknowledgements to the request they answer, and the timeout, which fails what is unanswered.
//!
//! Must never: answer a client twice, answer after the request left the table, or keep a
//! request in the table once it is answered and has nothing left to wait for (the simulator is
//! quiet only when the table is empty).

use std::sync::Arc;

use crate::causality::{NodeId, VersionVector};
use crate::history::{Key, StoreMeta};
use crate::store::{Object, Reply, Request, RequestAction, Version};

use super::read::ReadPending;
use super::write::{StampPending, WriteOrder, WritePending};
use super::{Dynamo, DynamoMessage, DynamoNode, DynamoProbe, DynamoTimer, Out};

/// What a home node replied to a `Read`: its copy of the key, and the timestamp of a tombstone it
/// reaped for the key (0 if none; see `reaping::Reaped`), which only a timestamp read uses.
#[derive(Debug)]
pub(super) struct Replied {
    pub(super) object: Option<Arc<Object>>,
    pub(super) reaped_timestamp: u64,
}

/// A request a coordinator has in flight, by its local number.
#[derive(Debug, Hash)]
pub(super) enum Pending {
    Write(WritePending),
    Read(ReadPending),
    /// ABD, phase 1: reading the highest timestamp before writing.
    Stamp(StampPending),
}

impl Dynamo {
    /// A client's request arrives at its coordinator.
    pub(super) fn handle_request(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        request: Request<VersionVector>,
    ) {
        let local = node.next_request;
        node.next_request += 1;
        out.set_timer(self.config.request_timeout_ms, DynamoTimer::Timeout(local));
        let (value, context, tombstone) = match request.action {
            RequestAction::Get => return self.start_get(node, out, local, request.id, request.key),
            RequestAction::Put { value, context } => (value, context, false),
            RequestAction::Delete { value, context } => (value, context, true),
        };
        let version = Version {
            value,
            tombstone,
            timestamp: out.clock_ms(),
        };
        let order = WriteOrder {
            client: request.id,
            key: request.key,
            version,
        };
        if self.config.reads_before_writing() {
            self.start_stamp(node, out, local, order);
        } else {
            self.start_write(node, out, local, order, &context);
        }
    }

    /// Asks the home nodes other than this one for their copy of `key`; returns this node's own
    /// copy (`Some(None)`: it holds nothing) if it is one of them, to be counted as a reply.
    pub(super) fn ask_home(
        &self,
        node: &DynamoNode,
        out: &mut Out,
        local: u64,
        key: &Key,
        home: &[NodeId],
    ) -> Option<Option<Arc<Object>>> {
        for &peer in home.iter().filter(|&&peer| peer != node.id) {
            out.send(
                peer,
                DynamoMessage::Read {
                    request: local,
                    key: key.clone(),
                    fallback: false,
                },
            );
        }
        home.contains(&node.id)
            .then(|| node.stored.data.get(key).cloned())
    }

    /// A replica's copy (or a fallback's hints), for a get or a timestamp read.
    pub(super) fn on_read_reply(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        local: u64,
        replied: Replied,
        fallback: bool,
    ) {
        match node.pending.get(&local) {
            Some(Pending::Read(_)) => {
                self.on_get_reply(node, out, from, local, replied.object, fallback);
            }
            Some(Pending::Stamp(_)) => {
                self.on_stamp_reply(node, out, from, local, &replied, fallback);
            }
            _ => Dynamo::hit(out, DynamoProbe::LateReplyIgnored),
        }
    }

    /// A replica acknowledged a `Store`: a write's replication, or a blocking read repair.
    pub(super) fn on_store_ack(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        local: u64,
        hint_for: Option<NodeId>,
    ) {
        match node.pending.get(&local) {
            Some(Pending::Write(_)) => self.on_write_ack(node, out, from, local, hint_for),
            Some(Pending::Read(_)) => self.on_repair_ack(node, out, from, local),
            _ => Dynamo::hit(out, DynamoProbe::LateReplyIgnored),
        }
    }

    /// A request ran out of time: fail it if it is unanswered, and forget it (a get first
    /// finishes, which repairs what its replies show stale).
    pub(super) fn on_timeout(&self, node: &mut DynamoNode, out: &mut Out, local: u64) {
        match node.pending.get(&local) {
            Some(Pending::Read(read)) => {
                if !read.answered {
                    Dynamo::hit(out, DynamoProbe::ReadTimedOut);
                }
                self.finish_read(node, out, local);
            }
            Some(Pending::Write(write)) => {
                if !write.answered {
                    Dynamo::hit(out, DynamoProbe::WriteTimedOut);
                    out.reply(
                        write.client,
                        Reply::Failed {
                            meta: write.meta.clone(),
                        },
                    );
                }
                node.pending.remove(&local);
            }
            Some(Pending::Stamp(stamp)) => {
                out.reply(
                    stamp.client,
                    Reply::Failed {
                        meta: StoreMeta::default(),
                    },
                );
                node.pending.remove(&local);
            }
            None => {}
        }
    }
}

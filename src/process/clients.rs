//! The clients of either workload behind one face, so the runtime drives both alike: `lin-kv`'s
//! (`super::lin_kv`) and `mvr-kv`'s (`super::mvr_kv`, whose final readers follow its workload
//! clients). What it must never do: decide anything itself; it only hands each call on.

use serde_json::Value as Json;

use super::lin_kv::{self, Ended};
use super::{mvr_kv, Counts, Options, Workload};

/// The clients of the run's workload.
#[derive(Debug)]
pub(super) enum Clients {
    LinKv(lin_kv::Clients),
    MvrKv(mvr_kv::Clients),
}

impl Clients {
    pub(super) fn new(options: &Options) -> Clients {
        let o = options;
        match o.workload {
            Workload::LinKv => Clients::LinKv(lin_kv::Clients::new(
                o.concurrency,
                o.node_count,
                o.seed,
                o.read_ratio,
                o.keys,
                o.ops_per_key,
            )),
            Workload::MvrKv => Clients::MvrKv(mvr_kv::Clients::new(
                o.concurrency,
                o.node_count,
                o.seed,
                o.read_ratio,
                o.keys,
                o.ops_per_key,
            )),
        }
    }

    /// The workload's clients (final readers, if any, are numbered after them).
    pub(super) fn len(&self) -> usize {
        match self {
            Clients::LinKv(clients) => clients.len(),
            Clients::MvrKv(clients) => clients.len(),
        }
    }

    pub(super) fn parse_name(&self, name: &str) -> Option<usize> {
        match self {
            Clients::LinKv(clients) => clients.parse_name(name),
            Clients::MvrKv(clients) => clients.parse_name(name),
        }
    }

    pub(super) fn busy(&self, client: usize) -> bool {
        match self {
            Clients::LinKv(clients) => clients.busy(client),
            Clients::MvrKv(clients) => clients.busy(client),
        }
    }

    pub(super) fn any_busy(&self) -> bool {
        match self {
            Clients::LinKv(clients) => clients.any_busy(),
            Clients::MvrKv(clients) => clients.any_busy(),
        }
    }

    pub(super) fn invoke(&mut self, client: usize, time_ns: u64) -> Option<(usize, String, u64)> {
        match self {
            Clients::LinKv(clients) => Some(clients.invoke(client, time_ns)),
            Clients::MvrKv(clients) => clients.invoke(client, time_ns),
        }
    }

    pub(super) fn reply(
        &mut self,
        client: usize,
        body: &Json,
        time_ns: u64,
    ) -> Result<Option<Ended>, String> {
        match self {
            Clients::LinKv(clients) => clients.reply(client, body, time_ns),
            Clients::MvrKv(clients) => clients.reply(client, body, time_ns),
        }
    }

    pub(super) fn time_out(&mut self, client: usize, msg_id: u64, time_ns: u64) -> bool {
        match self {
            Clients::LinKv(clients) => clients.time_out(client, msg_id, time_ns),
            Clients::MvrKv(clients) => clients.time_out(client, msg_id, time_ns),
        }
    }

    pub(super) fn abandon_all(&mut self, time_ns: u64, counts: &mut Counts) {
        match self {
            Clients::LinKv(clients) => clients.abandon_all(time_ns, counts),
            Clients::MvrKv(clients) => clients.abandon_all(counts),
        }
    }

    /// A fault's start or end: in the EDN history of `lin-kv`; an `mvr-kv` history keeps its
    /// faults in its `faults` list instead.
    pub(super) fn nemesis(&mut self, f: &str, description: &str, time_ns: u64) {
        if let Clients::LinKv(clients) = self {
            clients.nemesis(f, description, time_ns);
        }
    }
}

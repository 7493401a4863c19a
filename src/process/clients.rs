//! The clients of either workload behind one face, so the runtime drives both alike: `lin-kv`'s
//! (`super::lin_kv`) and `mvr-kv`'s (`super::mvr_kv`, whose final readers follow its workload
//! clients); and the one [`Generator`] both draw their operations from, parameterised by the
//! workload's [`OpKinds`]. What it must never do: decide anything but from the seed; the face
//! only hands each call on, and the generator knows no protocol.

use serde_json::Value as Json;

use super::lin_kv::{self, Ended};
use super::net::Draws;
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

    /// How many operations the history holds so far, so the next one's id; `None` for
    /// `lin-kv`, whose EDN history numbers its operations otherwise.
    pub(super) fn operation_count(&self) -> Option<usize> {
        match self {
            Clients::LinKv(_) => None,
            Clients::MvrKv(clients) => Some(clients.operation_count()),
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

/// The operations a workload draws besides reads and plain writes: one other kind of write,
/// `lin-kv`'s `cas` (it replaces the last value written on the key) or `mvr-kv`'s `delete` (it
/// needs a context read from the key), drawn among the writes of a key that allows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct OpKinds {
    /// The stream of the seed the workload draws from (each workload has its own).
    pub(super) stream: u64,
    /// The share of the other write among the writes of a key that allows it.
    pub(super) other_write_share: f64,
}

/// `lin-kv`: read, write, and `cas` for half the writes of a key written before.
pub(super) const LIN_KV: OpKinds = OpKinds {
    stream: 3,
    other_write_share: 0.5,
};

/// `mvr-kv`: get, put, and `delete` for a fifth of the writes of a key its client read.
pub(super) const MVR_KV: OpKinds = OpKinds {
    stream: 4,
    other_write_share: 0.2,
};

/// One drawn operation; a write carries its value's number, unique in the run, counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Drawn {
    /// A read of the key.
    Read,
    /// A plain write (`write`, `put`).
    Write(u64),
    /// The workload's other write (`cas`, `delete`).
    OtherWrite(u64),
}

/// The workload both workloads' clients draw from the seed: which key (clients use `keys` keys
/// at a time and move to `keys` fresh ones after `ops_per_key` operations each, as Jepsen's
/// independent keys do), which kind of operation, and which value. It knows nothing of the
/// protocol; each workload turns a draw into its own request.
#[derive(Debug)]
pub(super) struct Generator {
    draws: Draws,
    kinds: OpKinds,
    /// The share of reads among the operations (a workload's tests change it between draws).
    pub(super) read_ratio: f64,
    keys: u64,
    ops_per_key: u64,
    invocations: u64,
    next_value: u64,
}

impl Generator {
    /// The generator of `kinds` for seed `seed`.
    pub(super) fn new(
        kinds: OpKinds,
        seed: u64,
        read_ratio: f64,
        keys: usize,
        ops_per_key: usize,
    ) -> Generator {
        Generator {
            draws: Draws::new(seed, kinds.stream),
            kinds,
            read_ratio,
            keys: keys.max(1) as u64,
            ops_per_key: ops_per_key.max(1) as u64,
            invocations: 0,
            next_value: 1,
        }
    }

    /// The next operation's key (its number) and kind; `other_write_allowed` says whether the
    /// key allows the other write, and is asked only for a write.
    pub(super) fn next(&mut self, other_write_allowed: impl FnOnce(u64) -> bool) -> (u64, Drawn) {
        let group = self.invocations / (self.ops_per_key * self.keys);
        let key = group * self.keys + self.draws.below(self.keys);
        self.invocations += 1;
        if self.draws.chance(self.read_ratio) {
            return (key, Drawn::Read);
        }
        let other = other_write_allowed(key) && self.draws.chance(self.kinds.other_write_share);
        let value = self.next_value;
        self.next_value += 1;
        let drawn = if other {
            Drawn::OtherWrite(value)
        } else {
            Drawn::Write(value)
        };
        (key, drawn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(kinds: OpKinds, allowed: bool, count: usize) -> Vec<(u64, Drawn)> {
        let mut generator = Generator::new(kinds, 11, 0.5, 2, 3);
        (0..count).map(|_| generator.next(|_| allowed)).collect()
    }

    #[test]
    fn keys_rotate_values_are_unique_and_the_other_write_needs_the_keys_leave() {
        let ops = drawn(LIN_KV, true, 60);
        // Two keys at a time, three operations each: keys 2k and 2k + 1 for operations 6k….
        for (index, (key, _)) in ops.iter().enumerate() {
            assert_eq!(key / 2, index as u64 / 6, "{ops:?}");
        }
        let values: Vec<u64> = ops
            .iter()
            .filter_map(|(_, drawn)| match drawn {
                Drawn::Read => None,
                Drawn::Write(value) | Drawn::OtherWrite(value) => Some(*value),
            })
            .collect();
        assert_eq!(values, (1..=values.len() as u64).collect::<Vec<_>>());
        let others = |ops: &[(u64, Drawn)]| {
            ops.iter()
                .filter(|(_, drawn)| matches!(drawn, Drawn::OtherWrite(_)))
                .count()
        };
        assert!(others(&ops) > 0, "{ops:?}");
        assert_eq!(others(&drawn(LIN_KV, false, 60)), 0);
        // The same seed draws the same workload; another workload's stream another one.
        assert_eq!(drawn(LIN_KV, true, 60), ops);
        assert_ne!(drawn(MVR_KV, true, 60), ops);
    }
}

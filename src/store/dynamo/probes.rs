//! The reference store's coverage probes: one per rare path of each mechanism, so a campaign can
//! show that it reached them (docs/DESIGN.md §1). Each file marks its own paths with
//! [`Dynamo::hit`]; this file is only the list.
//!
//! Must never: change what the store does (a probe records, nothing more), or renumber a probe
//! by hand (the position in [`PROBES`] is the enum's order, checked by a test).

use crate::store::Probe;

use super::{Dynamo, Out};

/// The probes, in the order of the list `Store::probes` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DynamoProbe {
    /// `hint-stored`: a fallback kept a write as a hint for a silent home node.
    HintStored,
    /// `hint-offered-again`: a fallback offered a hint it had offered before (the home had not
    /// taken it).
    HintOfferedAgain,
    /// `hint-handed-back`: a home node took a hint back and it changed its copy.
    HintHandedBack,
    /// `hint-ack-outdated`: a hint changed after it was offered, so its acknowledgement did not
    /// drop it.
    HintAckOutdated,
    /// `fallbacks-run-out`: more home nodes were silent than the key has fallbacks.
    FallbacksRunOut,
    /// `fallback-counted-toward-w`: a sloppy quorum counted a fallback's acknowledgement toward w.
    FallbackCountedTowardW,
    /// `read-asked-fallbacks`: a read asked fallbacks for their hints.
    ReadAskedFallbacks,
    /// `duplicate-ack-ignored`: a duplicated acknowledgement of a write was not counted twice.
    DuplicateAckIgnored,
    /// `late-reply-ignored`: a reply or acknowledgement came after its request had left the table.
    LateReplyIgnored,
    /// `write-timed-out`: a write ran out of time before w acknowledgements.
    WriteTimedOut,
    /// `read-timed-out`: a read ran out of time before r replies.
    ReadTimedOut,
    /// `repair-filled-missing-key`: read repair sent a key to a home replica that held nothing of
    /// it.
    RepairFilledMissingKey,
    /// `repair-updated-older-copy`: read repair sent a key to a home replica that held an older
    /// copy.
    RepairUpdatedOlderCopy,
    /// `repair-of-coordinator`: a read's coordinator repaired its own stale copy.
    RepairOfCoordinator,
    /// `repair-awaited-before-answer`: a blocking read waited for its repairs before answering.
    RepairAwaitedBeforeAnswer,
    /// `anti-entropy-buckets-differ`: an anti-entropy exchange found Merkle buckets that differ.
    AntiEntropyBucketsDiffer,
    /// `anti-entropy-moved-missing-key`: anti-entropy gave a replica a key it lacked.
    AntiEntropyMovedMissingKey,
    /// `anti-entropy-moved-tombstone`: anti-entropy moved a copy that holds a tombstone.
    AntiEntropyMovedTombstone,
    /// `tombstone-reaped`: a replica removed a tombstone for good.
    TombstoneReaped,
    /// `reap-refused-by-peer`: a home node did not yet hold a tombstone another wanted to reap.
    ReapRefusedByPeer,
    /// `reaped-copy-dropped`: a copy older than a reaped tombstone arrived and was dropped.
    ReapedCopyDropped,
    /// `siblings-kept`: a merge kept concurrent writes as siblings.
    SiblingsKept,
    /// `restart-rolled-back`: a volatile node restarted from an older synced copy.
    RestartRolledBack,
    /// `restart-after-disk-loss`: a node restarted empty after losing its disk.
    RestartAfterDiskLoss,
}

/// The probes of the reference store, in the order of [`DynamoProbe`].
pub(super) const PROBES: [Probe; 24] = [
    probe(
        "hint-stored",
        "a fallback kept a write as a hint for a silent home node",
    ),
    probe(
        "hint-offered-again",
        "a fallback offered a hint it had offered before (the home had not taken it)",
    ),
    probe(
        "hint-handed-back",
        "a home node took a hint back and it changed its copy",
    ),
    probe(
        "hint-ack-outdated",
        "a hint changed after it was offered, so its acknowledgement did not drop it",
    ),
    probe(
        "fallbacks-run-out",
        "more home nodes were silent than the key has fallbacks",
    ),
    probe(
        "fallback-counted-toward-w",
        "a sloppy quorum counted a fallback's acknowledgement toward w",
    ),
    probe(
        "read-asked-fallbacks",
        "a read asked fallbacks for their hints",
    ),
    probe(
        "duplicate-ack-ignored",
        "a duplicated acknowledgement of a write was not counted twice",
    ),
    probe(
        "late-reply-ignored",
        "a reply or acknowledgement came after its request had left the table",
    ),
    probe(
        "write-timed-out",
        "a write ran out of time before w acknowledgements",
    ),
    probe("read-timed-out", "a read ran out of time before r replies"),
    probe(
        "repair-filled-missing-key",
        "read repair sent a key to a home replica that held nothing of it",
    ),
    probe(
        "repair-updated-older-copy",
        "read repair sent a key to a home replica that held an older copy",
    ),
    probe(
        "repair-of-coordinator",
        "a read's coordinator repaired its own stale copy",
    ),
    probe(
        "repair-awaited-before-answer",
        "a blocking read waited for its repairs before answering",
    ),
    probe(
        "anti-entropy-buckets-differ",
        "an anti-entropy exchange found Merkle buckets that differ",
    ),
    probe(
        "anti-entropy-moved-missing-key",
        "anti-entropy gave a replica a key it lacked",
    ),
    probe(
        "anti-entropy-moved-tombstone",
        "anti-entropy moved a copy that holds a tombstone",
    ),
    probe("tombstone-reaped", "a replica removed a tombstone for good"),
    probe(
        "reap-refused-by-peer",
        "a home node did not yet hold a tombstone another wanted to reap",
    ),
    probe(
        "reaped-copy-dropped",
        "a copy older than a reaped tombstone arrived and was dropped",
    ),
    probe(
        "siblings-kept",
        "a merge kept concurrent writes as siblings",
    ),
    probe(
        "restart-rolled-back",
        "a volatile node restarted from an older synced copy",
    ),
    probe(
        "restart-after-disk-loss",
        "a node restarted empty after losing its disk",
    ),
];

const fn probe(name: &'static str, path: &'static str) -> Probe {
    Probe {
        name,
        path,
        rare: None,
    }
}

impl Dynamo {
    /// Marks `probe` as hit by the running handler.
    pub(super) fn hit(out: &mut Out, probe: DynamoProbe) {
        out.probe(probe as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_follows_the_enum_and_names_are_unique() {
        assert_eq!(DynamoProbe::RestartAfterDiskLoss as usize + 1, PROBES.len());
        let mut names: Vec<&str> = PROBES.iter().map(|probe| probe.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PROBES.len());
        assert!(PROBES.iter().all(|probe| probe
            .name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte == b'-')));
    }
}

//! Coverage probes (FoundationDB's code probes, Antithesis's "sometimes" assertions): named rare
//! paths of a store, counted per run, so a campaign can show which of them it exercised and which
//! it never reached.
//!
//! A store declares its probes once ([`crate::store::Store::probes`]) and marks a hit from a
//! handler with [`crate::store::Effects::probe`], by the probe's position in that list. The
//! simulator counts the hits of a run into [`crate::sim::Stats::probe_hits`]. A probe never
//! changes what a store does: it only records that a path ran.

/// One named rare path of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Stable, kebab-case: `hint-stored`, `tombstone-reaped`.
    pub name: &'static str,
    /// What happened when it is hit, in a few words.
    pub path: &'static str,
    /// Why a campaign may rightly never hit it (`None`: the default campaign must).
    pub rare: Option<&'static str>,
}

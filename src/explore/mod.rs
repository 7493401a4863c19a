//! The explore campaign (`quorate explore`, docs/DESIGN.md §8): many generated scenarios per
//! configuration, each simulated and checked, folded into one table of configuration × anomaly
//! kinds, the share of acknowledged writes lost, and the strongest model each configuration kept;
//! then the smallest witness of each anomaly kind, minimized.
//!
//! It owns the campaign's shape as pure functions: which case sits at which position
//! ([`Campaign::case`]), the scenario of a case ([`Campaign::scenario`], a function of the
//! campaign seed, the configuration's label and the case index only), which positions a shard owns
//! ([`Shard::positions`]: position `i` belongs to shard `i mod N`, counting shards from 0 inside
//! and from 1 on the command line), the aggregation of case outcomes into a [`Summary`]
//! (order-free, so threads and shards fold in any order), the merge of shard summaries
//! ([`merge`]) and the table ([`table`]). [`run`] and [`find_witnesses`] spread that work over
//! threads.
//!
//! What it must never do: let the number of threads, the wall clock or the order in which cases
//! finish change any case's scenario or outcome. The wall clock (`deadline` in [`run`]) only
//! decides how many cases start; a summary says when it stopped early. It writes no files and
//! prints nothing: the command line does that.
//!
//! **Acknowledged writes lost** are the checker's count ([`crate::check::PutCounts`], the one
//! lost-write rule, which C3 uses too), not a count of its findings (whose lists are capped): an
//! `ok` put is lost when the replicas neither hold its value nor anything that overwrote it
//! through the contexts writers read. A blind put overwrites nothing, so under LWW a later blind
//! put that wins discards it and it counts as lost; with siblings it stays as a sibling.
//!
//! ```
//! use quorate::explore::{Campaign, Shard};
//!
//! let campaign = Campaign::presets(7, 4); // 6 presets × 4 cases
//! let shard: Shard = "2/3".parse().unwrap(); // the second of three shards (counting from 1)
//! let positions: Vec<u64> = shard.positions(campaign.case_total()).collect();
//! assert_eq!(positions, [1, 4, 7, 10, 13, 16, 19, 22]);
//! // A case's scenario depends on the seed, the configuration and the index, nothing else.
//! let case = campaign.case(4).unwrap();
//! assert_eq!(campaign.scenario(case), campaign.scenario(case));
//! ```

mod campaign;
mod pool;
mod shards;
mod summary;
mod table;
mod witnesses;

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use crate::minimize::MinimizeError;

pub use campaign::{run_case, Campaign, CaseId, CaseOutcome, Configuration, Profile, VARIANT_ROWS};
pub use shards::{merge, missing_shards, BadShard, Shard};
pub use summary::{
    CaseError, CaseRef, ConfigSummary, KindTally, ModelKept, Summary, SummaryError, Witness,
};
pub use table::{probe_table, table};
pub use witnesses::{find_witness, wants_witness, witness_targets, FoundWitness, WitnessTarget};

/// The value of a summary file's `format` field.
pub const SUMMARY_FORMAT: &str = "quorate-explore-1";

/// The name of the summary file in a results folder.
pub const SUMMARY_FILE: &str = "explore-summary.json";

/// Cases per configuration of `quorate explore` with no flags: about a minute in release on two
/// cores, witnesses included.
pub const CASES_PER_CONFIG_DEFAULT: u64 = 50_000;

/// The campaign seed of `quorate explore` with no flags.
pub const SEED_DEFAULT: u64 = 1;

/// The most threads [`run`] and [`find_witnesses`] start; a larger `jobs` runs on this many.
/// Results do not depend on the number of threads, and each one costs a stack: far more threads
/// than cores only slow the run, and by the tens of thousands the system runs out of memory for
/// them in a way the pool cannot catch (the standard library aborts in the new thread).
pub const JOBS_MAX: usize = 1024;

/// Runs the cases of `shard` on `jobs` threads and folds them into a summary. No case starts
/// after `deadline`; `done` counts finished cases (for a progress bar). Each thread folds its own
/// cases, so memory does not grow with the number of cases.
pub fn run(
    campaign: &Campaign,
    shard: Shard,
    jobs: usize,
    deadline: Option<Instant>,
    done: &AtomicU64,
) -> Summary {
    let total = shard.len(campaign.case_total());
    let partials = pool::fold_parallel(
        total,
        jobs,
        deadline,
        done,
        || Summary::empty(campaign, shard),
        |summary, k| {
            let position = shard.index + k * shard.count.max(1);
            let id = campaign
                .case(position)
                .expect("a shard's positions are cases");
            summary.add(&run_case(campaign, id));
        },
    );
    let mut summary = Summary::empty(campaign, shard);
    for partial in &partials {
        for (ours, theirs) in summary.configs.iter_mut().zip(&partial.configs) {
            ours.absorb(theirs);
        }
    }
    summary.stopped_early = summary.cases() < total;
    summary
}

/// Minimizes every target on `jobs` threads, in the targets' order; `done` counts finished ones.
pub fn find_witnesses(
    campaign: &Campaign,
    targets: &[WitnessTarget],
    jobs: usize,
    done: &AtomicU64,
) -> Vec<Result<FoundWitness, MinimizeError>> {
    let partials = pool::fold_parallel(
        targets.len() as u64,
        jobs,
        None,
        done,
        Vec::new,
        |found: &mut Vec<(u64, Result<FoundWitness, MinimizeError>)>, position| {
            found.push((
                position,
                find_witness(campaign, &targets[position as usize]),
            ));
        },
    );
    let mut found: Vec<(u64, Result<FoundWitness, MinimizeError>)> =
        partials.into_iter().flatten().collect();
    found.sort_by_key(|(position, _)| *position);
    found.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::AnomalyKind;

    #[test]
    fn shards_are_disjoint_and_cover_the_campaign() {
        for total in [0u64, 1, 5, 6, 17, 100] {
            for count in 1..=7u64 {
                let mut seen = vec![0u32; total as usize];
                for index in 0..count {
                    let shard = Shard { index, count };
                    let positions: Vec<u64> = shard.positions(total).collect();
                    assert_eq!(positions.len() as u64, shard.len(total));
                    for position in positions {
                        assert_eq!(position % count, index);
                        seen[position as usize] += 1;
                    }
                }
                assert!(
                    seen.iter().all(|&n| n == 1),
                    "total {total}, {count} shards"
                );
            }
        }
    }

    #[test]
    fn shard_parsing() {
        let check = |text: &str, expected: Option<Shard>| {
            assert_eq!(text.parse::<Shard>().ok(), expected, "{text}");
        };
        check("1/1", Some(Shard::WHOLE));
        check("3/3", Some(Shard { index: 2, count: 3 }));
        check(" 2 / 4 ", Some(Shard { index: 1, count: 4 }));
        check("2/2", Some(Shard { index: 1, count: 2 }));
        check("3/2", None);
        check("0/2", None);
        check("0/0", None);
        check("1/0", None);
        check("1", None);
        check("-1/2", None);
        check("a/b", None);
        for text in ["1/1", "3/3", "2/4"] {
            assert_eq!(text.parse::<Shard>().unwrap().to_string(), text);
        }
        let zero = "0/4".parse::<Shard>().unwrap_err().to_string();
        assert!(zero.contains("count from 1"), "{zero}");
        assert_eq!(shards::missing_shards(&[0, 2], 4), [2, 4]);
        assert!(shards::missing_shards(&[1, 0], 2).is_empty());
    }

    #[test]
    fn cases_interleave_configurations() {
        let campaign = Campaign::presets(3, 2);
        let cases: Vec<(usize, u64)> = (0..campaign.case_total())
            .map(|p| campaign.case(p).unwrap())
            .map(|id| (id.config, id.index))
            .collect();
        assert_eq!(cases.len(), 12);
        assert_eq!(
            &cases[..7],
            &[(0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (0, 1)]
        );
        assert_eq!(campaign.case(12), None);
    }

    #[test]
    fn a_case_depends_only_on_seed_label_and_index() {
        let all = Campaign::presets(9, 10);
        let mut lww_only = all.clone();
        lww_only.configs.retain(|c| c.label == "lww");
        lww_only.cases_per_config = 3;
        let lww = all.configs.iter().position(|c| c.label == "lww").unwrap();
        let index = 2;
        assert_eq!(
            all.scenario(CaseId { config: lww, index }),
            lww_only.scenario(CaseId { config: 0, index })
        );
        let other_seed = Campaign::presets(10, 10);
        assert_ne!(
            all.scenario(CaseId { config: lww, index }),
            other_seed.scenario(CaseId { config: lww, index })
        );
    }

    #[test]
    fn models_kept_order_weakest_first_and_round_trip_by_name() {
        let atomic = ModelKept::Model(crate::check::Model::Atomic);
        let quorum = ModelKept::Model(crate::check::Model::Quorum);
        assert_eq!(quorum.min(atomic), quorum);
        assert_eq!(quorum.min(ModelKept::None), ModelKept::None);
        for kept in [ModelKept::None, quorum, atomic] {
            let json = serde_json::to_string(&kept).unwrap();
            assert_eq!(json, format!("\"{}\"", kept.name()));
            assert_eq!(serde_json::from_str::<ModelKept>(&json).unwrap(), kept);
        }
        let error = serde_json::from_str::<ModelKept>("\"strict\"").unwrap_err();
        assert!(
            error.to_string().contains("unknown model \"strict\""),
            "{error}"
        );
    }

    /// A kind some case showed forbidden gets its witness from the smallest such case, kept
    /// forbidden, even when a smaller case showed it allowed; a kind never forbidden, from the
    /// smallest case.
    #[test]
    fn a_forbidden_finding_gets_a_forbidden_witness() {
        let campaign = Campaign::presets(1, 10);
        let mut summary = Summary::empty(&campaign, Shard::WHOLE);
        let outcome = |index: u64, operations: usize, kinds: Vec<(AnomalyKind, bool)>| {
            let mut outcome = run_case(&campaign, CaseId { config: 0, index });
            outcome.operations = operations;
            outcome.kinds = kinds;
            outcome
        };
        let stale = AnomalyKind::StaleRead;
        let phantom = AnomalyKind::PhantomValue;
        summary.add(&outcome(0, 3, vec![(stale, false), (phantom, false)]));
        summary.add(&outcome(6, 9, vec![(stale, true)]));
        summary.add(&outcome(3, 7, vec![(stale, true)]));
        let targets = witness_targets(&summary);
        let of = |kind| targets.iter().find(|target| target.kind == kind).copied();
        let stale_target = of(stale).expect("a stale-read witness");
        assert_eq!((stale_target.case.index, stale_target.forbidden), (3, true));
        let phantom_target = of(phantom).expect("a phantom witness");
        assert_eq!(
            (phantom_target.case.index, phantom_target.forbidden),
            (0, false)
        );
        // Shards fold the same way.
        let mut other = Summary::empty(&campaign, Shard::WHOLE);
        other.add(&outcome(1, 5, vec![(stale, true)]));
        summary.configs[0].absorb(&other.configs[0]);
        let stale_target = witness_targets(&summary)
            .into_iter()
            .find(|target| target.kind == stale)
            .unwrap();
        assert_eq!(stale_target.case.index, 1);
    }
}

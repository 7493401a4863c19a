//! Each read-side property against its definition in docs/DESIGN.md §4, evaluated naively (every
//! pair of operations, sets of values) on random small sibling histories: the sweeps of the
//! checker must report exactly the operations the definitions name.

use crate::check_support;

use std::collections::{BTreeMap, BTreeSet};

use check_support::generate::{build, scenario};
use proptest::prelude::*;
use quorate::check::{self, Anomaly, CheckOptions, Observer};
use quorate::history::{Action, History, Operation, Outcome};
use quorate::verdict::Verdict;

type Ids = BTreeSet<u64>;

/// What the definitions say, operation by operation.
#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    /// Read id → how many acknowledged writes that precede it are missing from its view.
    stale: BTreeMap<u64, usize>,
    /// Reads that miss part of the view of a read preceding them.
    non_monotonic: Ids,
    /// Writes in the view of a read that precedes them.
    future: Ids,
    /// Reads that returned a value no write wrote.
    phantom: Ids,
    /// Reads that returned a value together with one that overwrote it.
    dominated: Ids,
    /// Writes that failed or never answered, in some read's view.
    failed_visible: Ids,
}

fn naive(history: &History) -> Expected {
    let ops = &history.operations;
    let rank = |a: &Operation| {
        let mut same: Vec<&Operation> = ops.iter().filter(|o| o.client == a.client).collect();
        same.sort_by_key(|o| {
            (
                o.time_ms_invoke,
                o.time_ms_complete.unwrap_or(u64::MAX),
                o.id,
            )
        });
        same.iter().position(|o| o.id == a.id)
    };
    let precedes = |a: &Operation, b: &Operation| {
        a.outcome == Outcome::Ok
            && (a.time_ms_complete.unwrap_or(u64::MAX) < b.time_ms_invoke
                || (a.client == b.client && rank(a) < rank(b)))
    };
    let writer = |key: &quorate::history::Key, value: &quorate::history::Value| {
        ops.iter()
            .find(|o| &o.key == key && o.action.write().is_some_and(|w| &w.value == value))
    };
    // past(w): ids of the writes w overwrote, directly or not.
    let past = |w: &Operation| -> Ids {
        let mut seen = Ids::new();
        let mut stack = vec![w];
        while let Some(current) = stack.pop() {
            for value in current.action.write().map_or(&[][..], |w| &w.context[..]) {
                if let Some(u) = writer(&current.key, value) {
                    if seen.insert(u.id.0) {
                        stack.push(u);
                    }
                }
            }
        }
        seen
    };
    let returned = |g: &Operation| -> Vec<&Operation> {
        match &g.action {
            Action::Get { values, .. } => values
                .iter()
                .filter_map(|r| writer(&g.key, &r.value))
                .collect(),
            _ => Vec::new(),
        }
    };
    let view = |g: &Operation| -> Ids {
        let mut view = Ids::new();
        for s in returned(g) {
            view.insert(s.id.0);
            view.extend(past(s));
        }
        view
    };
    let gets: Vec<&Operation> = ops
        .iter()
        .filter(|o| matches!(o.action, Action::Get { .. }) && o.outcome == Outcome::Ok)
        .collect();
    let writes: Vec<&Operation> = ops.iter().filter(|o| o.action.write().is_some()).collect();
    let mut expected = Expected::default();
    for g in &gets {
        let v = view(g);
        let missing = writes
            .iter()
            .filter(|p| {
                p.key == g.key && p.outcome == Outcome::Ok && precedes(p, g) && !v.contains(&p.id.0)
            })
            .count();
        if missing > 0 {
            expected.stale.insert(g.id.0, missing);
        }
        if gets
            .iter()
            .any(|e| e.key == g.key && precedes(e, g) && !view(e).is_subset(&v))
        {
            expected.non_monotonic.insert(g.id.0);
        }
        if let Action::Get { values, .. } = &g.action {
            if values.iter().any(|r| writer(&g.key, &r.value).is_none()) {
                expected.phantom.insert(g.id.0);
            }
        }
        let s = returned(g);
        if s.iter()
            .any(|a| s.iter().any(|b| past(b).contains(&a.id.0)))
        {
            expected.dominated.insert(g.id.0);
        }
        for p in &writes {
            if p.key == g.key && v.contains(&p.id.0) {
                if precedes(g, p) {
                    expected.future.insert(p.id.0);
                }
                if p.outcome != Outcome::Ok {
                    expected.failed_visible.insert(p.id.0);
                }
            }
        }
    }
    expected
}

fn reported(history: &History) -> Expected {
    let report = check::check(history, &CheckOptions::default()).unwrap();
    let mut found = Expected::default();
    for finding in &report.anomalies {
        match &finding.anomaly {
            Anomaly::StaleRead {
                read,
                missing_total,
                ..
            } => {
                found.stale.insert(read.id.0, *missing_total);
            }
            Anomaly::NonMonotonicRead { later, .. } => {
                found.non_monotonic.insert(later.id.0);
            }
            Anomaly::FutureRead { put, .. } => {
                found.future.insert(put.id.0);
            }
            Anomaly::PhantomValue {
                seen_by: Observer::Read { read },
                ..
            } => {
                found.phantom.insert(read.id.0);
            }
            Anomaly::DominatedSibling {
                seen_by: Observer::Read { read },
                ..
            } => {
                found.dominated.insert(read.id.0);
            }
            Anomaly::FailedWriteVisible { put, .. } => {
                found.failed_visible.insert(put.id.0);
            }
            _ => {}
        }
    }
    found
}

proptest! {
    #[test]
    fn read_properties_match_their_definitions((clients, keys, specs) in scenario()) {
        let history = build(clients, keys, &specs);
        if check::check_precondition(&history).is_err() {
            return Ok(());
        }
        prop_assert_eq!(reported(&history), naive(&history), "{}", history.to_json());
    }
}

/// Brute force: is one key of the history a linearizable register (a read returns the last
/// write placed before it, or nothing before the first), leaving out writes that failed or
/// never answered when that helps?
fn register_linearizable(history: &History, key: &quorate::history::Key) -> bool {
    let ops: Vec<&Operation> = history
        .operations
        .iter()
        .filter(|o| &o.key == key)
        .filter(|o| o.action.write().is_some() || o.outcome == Outcome::Ok)
        .collect();
    let rank = |a: &Operation| {
        let mut same: Vec<&Operation> = history
            .operations
            .iter()
            .filter(|o| o.client == a.client)
            .collect();
        same.sort_by_key(|o| {
            (
                o.time_ms_invoke,
                o.time_ms_complete.unwrap_or(u64::MAX),
                o.id,
            )
        });
        same.iter().position(|o| o.id == a.id)
    };
    let precedes = |a: &Operation, b: &Operation| {
        a.outcome == Outcome::Ok
            && (a.time_ms_complete.unwrap_or(u64::MAX) < b.time_ms_invoke
                || (a.client == b.client && rank(a) < rank(b)))
    };
    let n = ops.len();
    let predecessors: Vec<u32> = (0..n)
        .map(|b| {
            (0..n)
                .filter(|&a| a != b && precedes(ops[a], ops[b]))
                .fold(0, |m, a| m | 1 << a)
        })
        .collect();
    let mandatory: u32 = (0..n)
        .filter(|&i| ops[i].outcome == Outcome::Ok)
        .fold(0, |m, i| m | 1 << i);
    fn search(
        ops: &[&Operation],
        predecessors: &[u32],
        mandatory: u32,
        placed: u32,
        last: Option<usize>,
        failed: &mut BTreeSet<(u32, Option<usize>)>,
    ) -> bool {
        if mandatory & !placed == 0 {
            return true;
        }
        if failed.contains(&(placed, last)) {
            return false;
        }
        for i in 0..ops.len() {
            if placed & (1 << i) != 0 || predecessors[i] & !placed != 0 {
                continue;
            }
            let next = match &ops[i].action {
                Action::Get { values, .. } => {
                    let expected: Vec<&quorate::history::Value> = last
                        .and_then(|w| ops[w].action.write())
                        .map(|w| &w.value)
                        .into_iter()
                        .collect();
                    let got: Vec<&quorate::history::Value> =
                        values.iter().map(|r| &r.value).collect();
                    if got != expected {
                        continue;
                    }
                    last
                }
                _ => Some(i),
            };
            if search(ops, predecessors, mandatory, placed | 1 << i, next, failed) {
                return true;
            }
        }
        failed.insert((placed, last));
        false
    }
    search(
        &ops,
        &predecessors,
        mandatory,
        0,
        None,
        &mut BTreeSet::new(),
    )
}

proptest! {
    /// Under LWW the register versions of M1, M2, M3 and M5 are sound: whenever they report an
    /// anomaly on a key, no order makes that key a linearizable register.
    #[test]
    fn lww_read_anomalies_are_register_violations((clients, keys, specs) in scenario()) {
        let mut history = build(clients, keys, &specs);
        history.config = Some(quorate::config::Config::preset("lww").unwrap());
        if check::check_precondition(&history).is_err() {
            return Ok(());
        }
        let report = check::check(&history, &CheckOptions::default()).unwrap();
        for finding in &report.anomalies {
            let read_side = matches!(
                finding.anomaly,
                Anomaly::StaleRead { .. }
                    | Anomaly::NonMonotonicRead { .. }
                    | Anomaly::FutureRead { .. }
                    | Anomaly::PhantomValue { .. }
                    | Anomaly::DominatedSibling { .. }
            );
            if let (true, Some(key)) = (read_side, finding.anomaly.key()) {
                prop_assert!(
                    !register_linearizable(&history, key),
                    "{} reported on key {} of a linearizable register history\n{}\n{}",
                    finding.anomaly.kind(),
                    key,
                    history.to_json(),
                    report
                );
            }
        }
    }
}

/// Adds store metadata from `seeds`: a dot for every write and a context for every `ok` get,
/// some right and some wrong.
fn with_metadata(mut history: History, seeds: &[u8]) -> History {
    use quorate::causality::{Dot, NodeId, VersionVector};
    use quorate::history::StoreMeta;
    let seed = |i: usize| seeds.get(i % seeds.len().max(1)).copied().unwrap_or(0);
    for (i, operation) in history.operations.iter_mut().enumerate() {
        let node = NodeId(u32::from(seed(i) % 2));
        if operation.action.write().is_some() {
            let dot = Dot::new(node, u64::from(seed(i + 1) % 4) + 1);
            operation.meta = Some(Box::new(StoreMeta {
                dot,
                timestamp: Some(u64::from(seed(i + 2) % 8)),
                ..StoreMeta::default()
            }));
        } else if operation.outcome == Outcome::Ok && seed(i + 2) % 4 != 0 {
            let mut context = VersionVector::new();
            for (offset, node) in [NodeId(0), NodeId(1)].into_iter().enumerate() {
                if let Some(dot) = Dot::new(node, u64::from(seed(i + 3 + offset) % 5)) {
                    context.add(dot);
                }
            }
            operation.meta = Some(Box::new(StoreMeta {
                context_vv: Some(context),
                ..StoreMeta::default()
            }));
        }
    }
    history
}

proptest! {
    /// M6: a read's context covers a write's dot exactly when the write is in its view.
    #[test]
    fn white_box_contexts_match_their_definition(
        (clients, keys, specs) in scenario(),
        seeds in prop::collection::vec(any::<u8>(), 1..16),
    ) {
        let history = with_metadata(build(clients, keys, &specs), &seeds);
        if check::check_precondition(&history).is_err() {
            return Ok(());
        }
        let mut expected: BTreeSet<(&str, u64, u64)> = BTreeSet::new();
        let naive_views = naive_views(&history);
        for get in &history.operations {
            let Some(context) = get.meta.as_ref().and_then(|meta| meta.context_vv.as_ref()) else {
                continue;
            };
            for write in history.operations.iter().filter(|w| w.key == get.key) {
                let Some(dot) = write.meta.as_ref().and_then(|meta| meta.dot) else { continue };
                let in_view = naive_views[&get.id.0].contains(&write.id.0);
                match (context.covers(dot), in_view) {
                    (false, true) => expected.insert(("too_small", get.id.0, write.id.0)),
                    (true, false) => expected.insert(("too_large", get.id.0, write.id.0)),
                    _ => false,
                };
            }
        }
        let report = check::check(&history, &CheckOptions::default()).unwrap();
        let mut found = BTreeSet::new();
        for finding in &report.anomalies {
            match &finding.anomaly {
                Anomaly::ContextTooSmall { read, put, .. } => found.insert(("too_small", read.id.0, put.id.0)),
                Anomaly::ContextTooLarge { read, put, .. } => found.insert(("too_large", read.id.0, put.id.0)),
                _ => false,
            };
        }
        prop_assert_eq!(found, expected, "{}", history.to_json());
    }
}

/// Every `ok` get's view, by id, evaluated naively.
fn naive_views(history: &History) -> BTreeMap<u64, Ids> {
    let ops = &history.operations;
    let writer = |key: &quorate::history::Key, value: &quorate::history::Value| {
        ops.iter()
            .find(|o| &o.key == key && o.action.write().is_some_and(|w| &w.value == value))
    };
    let mut views = BTreeMap::new();
    for get in ops.iter().filter(|o| o.outcome == Outcome::Ok) {
        let Action::Get { values, .. } = &get.action else {
            continue;
        };
        let mut view = Ids::new();
        let mut stack: Vec<&Operation> = values
            .iter()
            .filter_map(|r| writer(&get.key, &r.value))
            .collect();
        while let Some(write) = stack.pop() {
            if view.insert(write.id.0) {
                for value in write.action.write().map_or(&[][..], |w| &w.context[..]) {
                    stack.extend(writer(&get.key, value));
                }
            }
        }
        views.insert(get.id.0, view);
    }
    views
}

proptest! {
    /// Whatever a valid history holds (contexts naming any value, even later ones, phantom
    /// results, metadata that contradicts everything, snapshots of unknown values), checking
    /// it returns a report or a precondition error, never a panic; and a report's verdict is
    /// invalid exactly when it lists a forbidden anomaly.
    #[test]
    fn any_valid_history_is_judged_without_panicking(
        (clients, keys, specs) in scenario(),
        seeds in prop::collection::vec(any::<u8>(), 1..16),
        contexts in prop::collection::vec(prop::collection::vec(0..10usize, 0..3), 8),
        snapshot in prop::collection::vec(0..10usize, 0..4),
    ) {
        let mut history = with_metadata(build(clients, keys, &specs), &seeds);
        let n = history.operations.len();
        for (i, operation) in history.operations.iter_mut().enumerate() {
            if let Action::Put(write) = &mut operation.action {
                write.context = contexts[i % contexts.len()]
                    .iter()
                    .map(|&u| quorate::history::Value::from(format!("v{}", u % n)))
                    .collect();
            }
        }
        history.replicas = Some(vec![quorate::history::ReplicaSnapshot {
            key: quorate::history::Key::from("k0"),
            node: quorate::causality::NodeId(1),
            values: snapshot.iter().map(|&u| quorate::history::Value::from(format!("v{u}"))).collect(),
            tombstones: Vec::new(),
            context_vv: None,
        }]);
        if seeds[0] % 2 == 1 {
            history.config = Some(quorate::config::Config::preset("lww").unwrap());
        }
        if history.validate().is_ok() {
            for model in [None, Some(quorate::check::Model::Atomic)] {
                if let Ok(report) = check::check(&history, &CheckOptions::model(model)) {
                    // The verdict is the report's findings: invalid exactly when a forbidden
                    // anomaly is listed (or counted among the omitted ones).
                    let forbidden = report.anomalies.iter().any(|finding| finding.forbidden)
                        || report.omitted.iter().any(|omitted| omitted.forbidden);
                    prop_assert_eq!(report.verdict == Verdict::Invalid, forbidden, "{}", report);
                    prop_assert!(!report.to_string().is_empty());
                    prop_assert!(report.to_json().starts_with("{"), "not a JSON object");
                }
            }
        }
    }
}

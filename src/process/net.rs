//! The seeded draws of process mode, the fault schedule, and the router's decision for each
//! node-to-node message (dropped by a partition or by loss, delayed, duplicated).
//!
//! Without a fault a message waits a draw uniform in `[0, 2 × latency]`. A `delay` fault (a
//! latency spike) adds to every message a draw uniform in `[spike, 2 × spike]`, the spike being
//! 10 × latency and at least 200 ms ([`delay_spike`]), so that requests time out and replies
//! arrive late. A `reorder` fault adds a draw uniform in `[0, jitter]`, the jitter being 4 ×
//! latency and at least 50 ms ([`reorder_jitter`]), so that messages between two nodes sent
//! within the jitter of each other overtake each other, even at a latency of 0.
//!
//! Everything here is a function of the seed and of the order in which the runtime asks: the
//! schedule is drawn whole before the run starts, so two runs with one seed inject the same
//! faults at the same offsets. What it must never do: read the wall clock or any other
//! randomness; it only decides, the runtime acts.

use std::time::Duration;

use crate::causality::NodeId;
use crate::history::{FaultRecord, FaultType};
use crate::stable_hash::splitmix64;

/// A stream of seeded draws (SplitMix64).
#[derive(Clone, Debug)]
pub struct Draws(u64);

impl Draws {
    /// The stream `stream` of seed `seed`: streams of one seed are independent.
    pub fn new(seed: u64, stream: u64) -> Draws {
        Draws(splitmix64(seed ^ splitmix64(stream.wrapping_add(0x5eed))))
    }

    /// The next draw, uniform over `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = splitmix64(self.0);
        self.0
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with `probability`.
    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }
}

/// What a scheduled fault does while it lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The nodes of `group` and the others cannot reach each other.
    Split {
        /// The nodes on one side (by index).
        group: Vec<usize>,
    },
    /// Nothing reaches the nodes of `group` from outside it (they still send).
    CutInto {
        /// The nodes cut off (by index).
        group: Vec<usize>,
    },
    /// The node is killed at the start and restarted (same id, fresh init) at the end.
    Kill {
        /// The node, by index.
        node: usize,
    },
    /// The node is stopped (SIGSTOP) at the start and continued (SIGCONT) at the end.
    Pause {
        /// The node, by index.
        node: usize,
    },
    /// Each node-to-node message is lost with this probability (in percent).
    Loss {
        /// The loss rate, in percent.
        percent: u32,
    },
    /// Each node-to-node message is delivered twice with this probability (in percent).
    Duplicate {
        /// The duplication rate, in percent.
        percent: u32,
    },
    /// Each node-to-node message waits an extra delay uniform in `[spike, 2 × spike]`.
    Delay {
        /// The shortest extra delay.
        spike: Duration,
    },
    /// Each node-to-node message waits an extra delay uniform in `[0, jitter]`.
    Reorder {
        /// The longest extra delay.
        jitter: Duration,
    },
}

/// The shortest extra delay of a `delay` fault: 10 × the latency, at least 200 ms.
pub fn delay_spike(latency: Duration) -> Duration {
    (latency * 10).max(Duration::from_millis(200))
}

/// The longest extra delay of a `reorder` fault: 4 × the latency, at least 50 ms.
pub fn reorder_jitter(latency: Duration) -> Duration {
    (latency * 4).max(Duration::from_millis(50))
}

/// One fault of the schedule: when it starts and heals (offsets from the workload's start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    /// The fault's kind in the shared vocabulary.
    pub kind: FaultType,
    /// When it starts, from the workload's start.
    pub start: Duration,
    /// When it heals, from the workload's start.
    pub end: Duration,
    /// What it does meanwhile.
    pub effect: Effect,
}

impl Planned {
    /// The fault as a history records it.
    pub fn record(&self) -> FaultRecord {
        let (nodes, description) = match &self.effect {
            Effect::Split { group } => {
                (group.clone(), format!("{} cut off both ways", names(group)))
            }
            Effect::CutInto { group } => (
                group.clone(),
                format!("nothing reaches {} from the other nodes", names(group)),
            ),
            Effect::Kill { node } => (
                vec![*node],
                format!("n{node} killed (SIGKILL), restarted with a fresh init at the heal"),
            ),
            Effect::Pause { node } => (
                vec![*node],
                format!("n{node} stopped (SIGSTOP), continued (SIGCONT) at the heal"),
            ),
            Effect::Loss { percent } => {
                (vec![], format!("{percent} % of node-to-node messages lost"))
            }
            Effect::Duplicate { percent } => (
                vec![],
                format!("{percent} % of node-to-node messages delivered twice"),
            ),
            Effect::Delay { spike } => (
                vec![],
                format!(
                    "node-to-node messages held back {} to {} ms more (a latency spike)",
                    spike.as_millis(),
                    (*spike * 2).as_millis()
                ),
            ),
            Effect::Reorder { jitter } => (
                vec![],
                format!(
                    "node-to-node messages held back 0 to {} ms more each, out of order",
                    jitter.as_millis()
                ),
            ),
        };
        FaultRecord {
            kind: self.kind,
            time_ms_start: self.start.as_millis() as u64,
            time_ms_end: Some(self.end.as_millis() as u64),
            nodes: nodes.into_iter().map(|node| NodeId(node as u32)).collect(),
            loses_data: false,
            description,
        }
    }
}

/// `n0, n2`.
pub fn names(group: &[usize]) -> String {
    group
        .iter()
        .map(|node| format!("n{node}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fault schedule: one fault at a time, each lasting `interval`, separated by `interval` of
/// calm, until `time_limit`; each fault's kind and parameters drawn from `seed`. A `partition`
/// draws among random halves, one isolated node and a one-way cut (recorded as `one-way`);
/// `delay` and `reorder` are sized from `latency`. A kind process mode does not inject
/// (`Options::validate` refuses it) leaves its turn calm.
pub fn schedule(
    kinds: &[FaultType],
    node_count: usize,
    time_limit: Duration,
    interval: Duration,
    latency: Duration,
    seed: u64,
) -> Vec<Planned> {
    let mut draws = Draws::new(seed, 1);
    let mut planned = Vec::new();
    if kinds.is_empty() || interval.is_zero() {
        return planned;
    }
    let mut start = interval;
    while start < time_limit {
        let end = (start + interval).min(time_limit);
        let kind = kinds[draws.below(kinds.len() as u64) as usize];
        let node = draws.below(node_count as u64) as usize;
        let (kind, effect) = match kind {
            FaultType::Partition if node_count > 1 => match draws.below(3) {
                0 => (FaultType::Partition, Effect::Split { group: vec![node] }),
                1 => (
                    FaultType::Partition,
                    Effect::Split {
                        group: half(&mut draws, node_count),
                    },
                ),
                _ => (
                    FaultType::OneWay,
                    Effect::CutInto {
                        group: half(&mut draws, node_count),
                    },
                ),
            },
            FaultType::OneWay if node_count > 1 => (
                FaultType::OneWay,
                Effect::CutInto {
                    group: half(&mut draws, node_count),
                },
            ),
            FaultType::Crash => (kind, Effect::Kill { node }),
            FaultType::Pause => (kind, Effect::Pause { node }),
            FaultType::Loss => (kind, Effect::Loss { percent: 30 }),
            FaultType::Duplicate => (kind, Effect::Duplicate { percent: 30 }),
            FaultType::Delay => (
                kind,
                Effect::Delay {
                    spike: delay_spike(latency),
                },
            ),
            FaultType::Reorder => (
                kind,
                Effect::Reorder {
                    jitter: reorder_jitter(latency),
                },
            ),
            FaultType::Partition
            | FaultType::OneWay
            | FaultType::ClientPartition
            | FaultType::ClockSkew
            | FaultType::DiskLoss => {
                start = end + interval;
                continue;
            }
        };
        planned.push(Planned {
            kind,
            start,
            end,
            effect,
        });
        start = end + interval;
    }
    planned
}

/// A random minority (at least one node, fewer than half rounded up), sorted.
fn half(draws: &mut Draws, node_count: usize) -> Vec<usize> {
    let mut nodes: Vec<usize> = (0..node_count).collect();
    for index in (1..nodes.len()).rev() {
        let other = draws.below(index as u64 + 1) as usize;
        nodes.swap(index, other);
    }
    let size = (node_count / 2).max(1);
    let mut group = nodes[..size].to_vec();
    group.sort_unstable();
    group
}

/// The router's state: which faults are in force, and its own stream of draws.
#[derive(Debug)]
pub struct Router {
    draws: Draws,
    latency_ms: f64,
    active: Vec<Effect>,
}

/// What the router does with one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Dropped, and why (`partition`, `loss`).
    Drop(&'static str),
    /// Delivered after each of these delays (two for a duplicate).
    Deliver(Vec<Duration>),
}

impl Router {
    /// A router drawing from stream 2 of `seed`, with a mean one-way delay of `latency`.
    pub fn new(seed: u64, latency: Duration) -> Router {
        Router {
            draws: Draws::new(seed, 2),
            latency_ms: latency.as_secs_f64() * 1000.0,
            active: Vec::new(),
        }
    }

    /// A fault's effect comes into force.
    pub fn start(&mut self, effect: Effect) {
        self.active.push(effect);
    }

    /// A fault's effect ends.
    pub fn heal(&mut self, effect: &Effect) {
        if let Some(position) = self.active.iter().position(|active| active == effect) {
            self.active.remove(position);
        }
    }

    /// Every effect ends.
    pub fn heal_all(&mut self) {
        self.active.clear();
    }

    /// Whether a partition in force keeps `from`'s messages from `to`.
    pub fn blocked(&self, from: usize, to: usize) -> bool {
        self.active.iter().any(|effect| match effect {
            Effect::Split { group } => group.contains(&from) != group.contains(&to),
            Effect::CutInto { group } => !group.contains(&from) && group.contains(&to),
            _ => false,
        })
    }

    /// Decides the fate of one message from `from` to `to`.
    pub fn decide(&mut self, from: usize, to: usize) -> Decision {
        if self.blocked(from, to) {
            return Decision::Drop("partition");
        }
        let (mut loss, mut duplicate) = (0, 0);
        let (mut spike, mut jitter) = (Duration::ZERO, Duration::ZERO);
        for effect in &self.active {
            match effect {
                Effect::Loss { percent } => loss = loss.max(*percent),
                Effect::Duplicate { percent } => duplicate = duplicate.max(*percent),
                Effect::Delay { spike: more } => spike = spike.max(*more),
                Effect::Reorder { jitter: more } => jitter = jitter.max(*more),
                _ => {}
            }
        }
        if loss > 0 && self.draws.chance(f64::from(loss) / 100.0) {
            return Decision::Drop("loss");
        }
        let copies = if duplicate > 0 && self.draws.chance(f64::from(duplicate) / 100.0) {
            2
        } else {
            1
        };
        let delays = (0..copies).map(|_| self.delay(spike, jitter)).collect();
        Decision::Deliver(delays)
    }

    /// One delivery's delay: the network's draw, plus a spike's and a jitter's when they are in
    /// force (drawn only then, so that a run without them draws what it drew before they existed).
    fn delay(&mut self, spike: Duration, jitter: Duration) -> Duration {
        let mut delay = Duration::from_secs_f64(self.draws.unit() * 2.0 * self.latency_ms / 1000.0);
        if !spike.is_zero() {
            delay += spike + spike.mul_f64(self.draws.unit());
        }
        if !jitter.is_zero() {
            delay += jitter.mul_f64(self.draws.unit());
        }
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_a_function_of_the_seed() {
        let kinds = [FaultType::Partition, FaultType::Crash, FaultType::Pause];
        let second = Duration::from_secs(1);
        let a = schedule(&kinds, 5, 20 * second, second, Duration::ZERO, 7);
        assert_eq!(
            a,
            schedule(&kinds, 5, 20 * second, second, Duration::ZERO, 7)
        );
        assert_ne!(
            a,
            schedule(&kinds, 5, 20 * second, second, Duration::ZERO, 8)
        );
        assert_eq!(a.len(), 10);
        for fault in &a {
            assert_eq!(fault.end - fault.start, second);
            assert!(fault.end <= 20 * second);
        }
        // No two faults overlap.
        for pair in a.windows(2) {
            assert!(pair[0].end < pair[1].start);
        }
    }

    #[test]
    fn partitions_block_what_they_say() {
        let mut router = Router::new(1, Duration::ZERO);
        router.start(Effect::Split { group: vec![0] });
        assert!(router.blocked(0, 1) && router.blocked(1, 0));
        assert!(!router.blocked(1, 2));
        assert_eq!(router.decide(0, 2), Decision::Drop("partition"));
        router.heal_all();
        router.start(Effect::CutInto { group: vec![2] });
        assert!(router.blocked(0, 2));
        assert!(!router.blocked(2, 0));
        router.heal(&Effect::CutInto { group: vec![2] });
        assert_eq!(router.decide(0, 2), Decision::Deliver(vec![Duration::ZERO]));
    }

    #[test]
    fn loss_and_duplication_happen_at_about_their_rate() {
        let mut router = Router::new(3, Duration::from_millis(10));
        router.start(Effect::Loss { percent: 30 });
        router.start(Effect::Duplicate { percent: 30 });
        let (mut dropped, mut doubled) = (0, 0);
        for _ in 0..10_000 {
            match router.decide(0, 1) {
                Decision::Drop(why) => {
                    assert_eq!(why, "loss");
                    dropped += 1;
                }
                Decision::Deliver(delays) => {
                    assert!(delays
                        .iter()
                        .all(|delay| *delay <= Duration::from_millis(20)));
                    doubled += usize::from(delays.len() == 2);
                }
            }
        }
        assert!((2_700..3_300).contains(&dropped), "{dropped}");
        assert!((1_800..2_400).contains(&doubled), "{doubled}");
    }

    #[test]
    fn records_use_the_shared_vocabulary() {
        let second = Duration::from_secs(1);
        let planned = schedule(
            &[FaultType::Crash],
            3,
            4 * second,
            second,
            Duration::ZERO,
            1,
        );
        let record = planned[0].record();
        assert_eq!(record.kind, FaultType::Crash);
        assert_eq!(record.time_ms_start, 1000);
        assert_eq!(record.time_ms_end, Some(2000));
        assert_eq!(record.nodes.len(), 1);
        assert!(
            record.description.contains("SIGKILL"),
            "{}",
            record.description
        );
    }

    #[test]
    fn delay_and_reorder_are_scheduled_sized_from_the_latency_and_recorded() {
        let second = Duration::from_secs(1);
        let latency = Duration::from_millis(30);
        let kinds = [FaultType::Delay, FaultType::Reorder];
        let planned = schedule(&kinds, 3, 20 * second, second, latency, 4);
        assert_eq!(planned.len(), 10);
        let spike = Duration::from_millis(300);
        let jitter = Duration::from_millis(120);
        for fault in &planned {
            let record = fault.record();
            assert_eq!(record.kind, fault.kind);
            assert!(record.nodes.is_empty());
            match fault.kind {
                FaultType::Delay => {
                    assert_eq!(fault.effect, Effect::Delay { spike });
                    assert!(record.description.contains("300 to 600 ms"), "{record:?}");
                }
                FaultType::Reorder => {
                    assert_eq!(fault.effect, Effect::Reorder { jitter });
                    assert!(record.description.contains("out of order"), "{record:?}");
                }
                other => panic!("{other} was not asked for"),
            }
        }
        assert!(planned.iter().any(|fault| fault.kind == FaultType::Delay));
        assert!(planned.iter().any(|fault| fault.kind == FaultType::Reorder));
        // Without latency, the floors hold.
        assert_eq!(delay_spike(Duration::ZERO), Duration::from_millis(200));
        assert_eq!(reorder_jitter(Duration::ZERO), Duration::from_millis(50));
    }

    #[test]
    fn under_delay_every_message_waits_longer_than_the_latency_allows() {
        let latency = Duration::from_millis(10);
        let spike = delay_spike(latency);
        let mut router = Router::new(5, latency);
        router.start(Effect::Delay { spike });
        for _ in 0..1_000 {
            let Decision::Deliver(delays) = router.decide(0, 1) else {
                panic!("a delay drops nothing");
            };
            for delay in delays {
                assert!(delay >= spike && delay > 2 * latency, "{delay:?}");
                assert!(delay <= 2 * spike + 2 * latency, "{delay:?}");
            }
        }
        router.heal(&Effect::Delay { spike });
        let Decision::Deliver(delays) = router.decide(0, 1) else {
            panic!("nothing drops a message");
        };
        assert!(delays[0] <= 2 * latency, "{delays:?}");
    }

    /// When each of `count` messages, sent 1 ms apart from `from` to `to`, arrives.
    fn arrivals(router: &mut Router, count: u64) -> Vec<Duration> {
        (0..count)
            .map(|sent| match router.decide(0, 1) {
                Decision::Deliver(delays) => Duration::from_millis(sent) + delays[0],
                Decision::Drop(why) => panic!("dropped ({why})"),
            })
            .collect()
    }

    #[test]
    fn under_reorder_later_messages_overtake_earlier_ones_between_one_pair() {
        // At a latency of 0 the network alone keeps every pair's messages in order.
        let mut router = Router::new(6, Duration::ZERO);
        let calm = arrivals(&mut router, 100);
        assert!(calm.windows(2).all(|pair| pair[0] < pair[1]), "{calm:?}");
        let jitter = reorder_jitter(Duration::ZERO);
        router.start(Effect::Reorder { jitter });
        let reordered = arrivals(&mut router, 100);
        let overtaken = reordered
            .windows(2)
            .filter(|pair| pair[1] < pair[0])
            .count();
        assert!(overtaken >= 20, "{overtaken} of 99: {reordered:?}");
        for (sent, arrival) in reordered.iter().enumerate() {
            let sent = Duration::from_millis(sent as u64);
            assert!(*arrival >= sent && *arrival <= sent + jitter, "{arrival:?}");
        }
        // The same seed, the same order: the decisions are draws, not the clock.
        let mut again = Router::new(6, Duration::ZERO);
        arrivals(&mut again, 100);
        again.start(Effect::Reorder { jitter });
        assert_eq!(arrivals(&mut again, 100), reordered);
    }
}

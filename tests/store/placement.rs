//! Placement as the reference store uses it: for any configuration, a key's preference list
//! names every node once, and the replicas the store reports (the ones the simulator snapshots)
//! are its n distinct home nodes, which every request is routed to.

use proptest::prelude::*;
use quorate::config::Config;
use quorate::history::Key;
use quorate::store::{Dynamo, Store};

proptest! {
    #[test]
    fn a_key_lives_on_n_distinct_home_nodes(
        (nodes, n) in (1u32..=40).prop_flat_map(|nodes| (Just(nodes), 1..=nodes)),
        vnodes_per_node in 1u32..=24,
        key in "[a-z0-9]{0,12}",
        pick in any::<u64>(),
    ) {
        let config = Config { nodes, vnodes_per_node, n, r: 1, w: 1, ..Config::default() };
        let store = Dynamo::new(config).expect("the configuration is valid");
        let key = Key(key.as_str().into());
        let list = store.preference_list(&key);
        let mut every = list.clone();
        every.sort();
        every.dedup();
        prop_assert_eq!(every.len(), nodes as usize, "{:?}", list);
        let mut home = list[..n as usize].to_vec();
        home.sort();
        prop_assert_eq!(store.replicas(&key), home.clone());
        home.dedup();
        prop_assert_eq!(home.len(), n as usize);
        prop_assert!(store.replicas(&key).contains(&store.route(&key, pick)));
    }
}

//! Crashes and disk loss, one event at a time: what a node that comes back must not repeat.

use crate::store::Store;

use super::handlers::{cluster, get, key, local_request, request};

#[test]
fn a_node_that_lost_its_disk_never_numbers_a_request_as_before() {
    // Found by the fuzz target `scenario`: a reply to a get of k1 sent before the loss was
    // taken for the answer to a get of k0 that the new node numbered the same.
    let store = cluster(3, 2, 2, false);
    let home = store.placement(&key("k")).0;
    let mut coordinator = store.boot(home[0]);
    let before = local_request(&request(&store, &mut coordinator, get("k")));
    store.on_disk_loss(home[0], &mut coordinator);
    let after = local_request(&request(&store, &mut coordinator, get("k")));
    assert_ne!(before, after);
}

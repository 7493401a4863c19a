use super::*;
use crate::store::Dynamo;

#[test]
fn impossible_bounds_are_refused_with_the_reason() {
    let config = Config::preset("dynamo").unwrap();
    let zero = Bounds {
        clients: 0,
        ..Bounds::default()
    };
    assert_eq!(
        scenario(config.clone(), &zero),
        Err(ExhaustError::NoClients)
    );
    assert_eq!(
        "crash, lightning"
            .split(',')
            .map(str::parse::<FaultKind>)
            .collect::<Result<Vec<_>, _>>(),
        Err(ExhaustError::UnknownFault(" lightning".into()))
    );
    for timing in ["delay", "reorder"] {
        let error = timing.parse::<FaultKind>().unwrap_err();
        assert_eq!(error, ExhaustError::TimingFault(timing.into()));
        assert!(
            error
                .to_string()
                .contains("every order of message deliveries"),
            "{error}"
        );
    }
}

/// The reference store's world after `schedule`.
fn world_after<'a>(
    store: &'a Dynamo,
    scenario: &'a Scenario,
    bounds: &'a Bounds,
    schedule: &[Choice],
) -> world::World<'a, Dynamo> {
    let mut world = world::World::new(store, scenario, bounds);
    for &choice in schedule {
        world.apply(choice).unwrap();
    }
    world
}

#[test]
fn independent_choices_commute_to_the_same_state_and_dependent_ones_do_not() {
    // The assumption sleep sets rest on, checked on every pair of choices enabled together in
    // the first steps of two writers under a crash.
    let bounds = Bounds {
        faults: vec![FaultKind::Crash],
        max_faults: 1,
        ..Bounds::default()
    };
    let config = Config::preset("dynamo").unwrap();
    let scenario = scenario(config.clone(), &bounds).unwrap();
    let store = Dynamo::new(config).unwrap();
    let mut prefixes: Vec<Vec<Choice>> = vec![Vec::new()];
    let (mut independent, mut dependent) = (0, 0);
    for _ in 0..3 {
        let mut next = Vec::new();
        for prefix in &prefixes {
            let enabled = world_after(&store, &scenario, &bounds, prefix).enabled();
            for (i, &(a, fa)) in enabled.iter().enumerate() {
                for &(b, fb) in &enabled[i + 1..] {
                    if !fa.independent(&fb) {
                        dependent += 1;
                        continue;
                    }
                    independent += 1;
                    let ab = [prefix.as_slice(), &[a, b]].concat();
                    let ba = [prefix.as_slice(), &[b, a]].concat();
                    let one = world_after(&store, &scenario, &bounds, &ab);
                    let other = world_after(&store, &scenario, &bounds, &ba);
                    assert_eq!(
                        one.state_hash(),
                        other.state_hash(),
                        "{a:?} and {b:?} after {prefix:?}"
                    );
                }
                next.push([prefix.as_slice(), &[a]].concat());
            }
        }
        prefixes = next;
    }
    assert!(
        independent > 10 && dependent > 10,
        "{independent} {dependent}"
    );
}

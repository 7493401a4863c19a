use super::*;

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
}

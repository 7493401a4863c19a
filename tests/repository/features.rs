//! The crate's features: the default names every feature, so `cargo test` (the README's test
//! command, run by CI) tests with all of them, as `cargo test --all-features` would. `.ci/run`
//! also builds the library with none of them.

#[test]
fn the_default_features_are_all_the_features() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("Cargo.toml is readable");
    let section = manifest
        .split("\n[features]\n")
        .nth(1)
        .expect("Cargo.toml has a [features] section");
    let section = section.split("\n[").next().unwrap_or(section);
    let mut features = Vec::new();
    let mut default = Vec::new();
    for line in section.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .expect("a feature line is name = [...]");
        let name = name.trim();
        if name == "default" {
            default = value
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|item| item.trim().trim_matches('"').to_string())
                .filter(|item| !item.is_empty())
                .collect();
        } else {
            features.push(name.to_string());
        }
    }
    assert!(features.len() >= 5, "features: {features:?}");
    features.sort();
    default.sort();
    assert_eq!(default, features);
}

//! The bug zoo table: every deliberate store bug hunted by its focused search, with cases to
//! detection, seconds, and the minimized size; then the same cases with the bug off, which must
//! find nothing. `cargo bench --bench zoo` (no criterion: one run per bug is the measurement).

use quorate::config::Bug;
use quorate::zoo::{search, table, Hunt};

/// The most cases each search runs (the tests' bound).
const CASES_MAX: u64 = 2_000;

fn main() {
    let rows: Vec<_> = Bug::ALL
        .into_iter()
        .map(|bug| {
            let hunt = Hunt::for_bug(bug);
            let found = search(&hunt, true, CASES_MAX);
            (hunt, found)
        })
        .collect();
    print!("{}", table(&rows));
    println!();
    for (hunt, found) in &rows {
        let cases = found.as_ref().map_or(CASES_MAX, |found| found.cases);
        match search(hunt, false, cases) {
            None => println!("{}: bug off, nothing in the same {cases} cases", hunt.bug),
            Some(clean) => println!(
                "{}: bug off, seed {} shows {:?}: replay with {}",
                hunt.bug,
                clean.seed,
                clean.forbidden_kinds,
                hunt.replay_command(clean.seed)
                    .replace(&format!(" --bug {}", hunt.bug), "")
            ),
        }
    }
}

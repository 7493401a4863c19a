//! The design document is part of the repository, and whatever cites it still finds what it cites.
//!
//! Every `docs/DESIGN.md §N` in the code, the tests and the markdown files must name a section
//! that `docs/DESIGN.md` has (its `## N. Title` headings, numbered 1, 2, 3, … in order), and so
//! must the design's own `§N` cross-references; the design is never cited by another path (a bare
//! `DESIGN.md`); and no file refers to the folder beside the repository the design once lived in,
//! since a clone has nothing beside it. (The corpora's `NOTICE.md` names each origin by its public
//! address, so no file needs an exception.) A scan that finds no citation fails: it would prove
//! nothing.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Folders never scanned, relative to the repository: git's own and build or run output (what
/// `.gitignore` lists).
const SKIPPED: [&str; 8] = [
    ".git",
    "target",
    "fuzz/target",
    "fuzz/artifacts",
    "fuzz/coverage",
    "results",
    "mutants.out",
    "mutants.out.old",
];

/// The folder beside the repository that the design started in. This test never reads it: it
/// only fails when a file names it. Spelled in parts so that this file does not name it itself.
const SHARED: &str = concat!("..", "/", "sha", "red");

/// Every file under `dir`, skipping the [`SKIPPED`] folders.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let relative = path.strip_prefix(root()).unwrap();
        if path.is_dir() {
            if !SKIPPED.iter().any(|skipped| relative == Path::new(skipped)) {
                files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// The section numbers of the design, from its `## N. Title` headings, in order.
fn sections(text: &str) -> Vec<u32> {
    text.lines()
        .filter_map(|line| line.strip_prefix("## "))
        .filter_map(|heading| heading.split_once(". "))
        .filter_map(|(number, _)| number.parse().ok())
        .collect()
}

/// What one mention of `DESIGN.md` in a text is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mention {
    /// `docs/DESIGN.md §N`.
    Cites(u32),
    /// `docs/DESIGN.md` with no section (a link, or the document named as a whole).
    Names,
    /// Anything else: the design by another path, or a `§` with no number.
    Wrong(String),
}

/// `line[start..end]`, widened to whole characters and cut at the line's end.
fn snippet(line: &str, mut start: usize, end: usize) -> &str {
    let mut end = end.min(line.len());
    while !line.is_char_boundary(start) {
        start -= 1;
    }
    while !line.is_char_boundary(end) {
        end += 1;
    }
    &line[start..end]
}

/// Every mention of `DESIGN.md` in `text`, with its line number (from 1).
fn mentions(text: &str) -> Vec<(usize, Mention)> {
    const NAME: &str = "DESIGN.md";
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(offset) = line[from..].find(NAME) {
            let at = from + offset;
            from = at + NAME.len();
            let in_docs = line[..at].ends_with("docs/");
            let rest = &line[from..];
            let mention = match rest.strip_prefix(" §") {
                _ if !in_docs => Mention::Wrong(format!(
                    "cites the design as {:?}; its path is docs/{NAME}",
                    snippet(line, at.saturating_sub(12), from + 4)
                )),
                None => Mention::Names,
                Some(section) => {
                    let digits: String = section.chars().take_while(char::is_ascii_digit).collect();
                    match digits.parse() {
                        Ok(number) => Mention::Cites(number),
                        Err(_) => Mention::Wrong(format!(
                            "a § with no section number: {:?}",
                            snippet(line, at, from + 4)
                        )),
                    }
                }
            };
            found.push((index + 1, mention));
        }
    }
    found
}

/// Every `§N` of the design's own text (its cross-references), with line numbers.
fn cross_references(text: &str) -> Vec<(usize, u32)> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for (at, _) in line.match_indices('§') {
            let digits: String = line[at + '§'.len_utf8()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(number) = digits.parse() {
                found.push((index + 1, number));
            }
        }
    }
    found
}

#[test]
fn every_citation_of_the_design_names_a_section_it_has() {
    let design_path = root().join("docs/DESIGN.md");
    let design = std::fs::read_to_string(&design_path)
        .unwrap_or_else(|error| panic!("{}: {error}", design_path.display()));
    let sections = sections(&design);
    let expected: Vec<u32> = (1..=sections.len() as u32).collect();
    assert_eq!(
        sections, expected,
        "docs/DESIGN.md's sections must be numbered 1, 2, 3, … in order: code cites them by number"
    );
    assert!(
        sections.len() >= 8,
        "docs/DESIGN.md has sections {sections:?}; §1–§8 are cited, so none may go"
    );

    let this_file = root().join(file!());
    let mut all = Vec::new();
    files(root(), &mut all);
    let mut problems = Vec::new();
    // Citations found in src/, in tests/, and in markdown files outside docs/.
    let (mut in_src, mut in_tests, mut in_markdown) = (0, 0, 0);
    for path in &all {
        // This file holds the needles it looks for, and wrong mentions on purpose.
        if *path == this_file {
            continue;
        }
        let relative = path.strip_prefix(root()).unwrap();
        let bytes = std::fs::read(path).unwrap();
        if bytes
            .windows(SHARED.len())
            .any(|window| window == SHARED.as_bytes())
        {
            problems.push(format!(
                "{}: mentions {SHARED}, which a clone does not have",
                relative.display()
            ));
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue; // binary (fuzz corpora): cites nothing
        };
        for (line, mention) in mentions(text) {
            match mention {
                Mention::Cites(section) => {
                    if !sections.contains(&section) {
                        problems.push(format!(
                            "{}:{line}: cites docs/DESIGN.md §{section}, which does not exist (sections {sections:?})",
                            relative.display()
                        ));
                    } else if relative.starts_with("src") {
                        in_src += 1;
                    } else if relative.starts_with("tests") {
                        in_tests += 1;
                    } else if relative.extension().is_some_and(|ext| ext == "md")
                        && !relative.starts_with("docs")
                    {
                        in_markdown += 1;
                    }
                }
                Mention::Names => {}
                Mention::Wrong(what) => {
                    problems.push(format!("{}:{line}: {what}", relative.display()));
                }
            }
        }
    }
    for (line, section) in cross_references(&design) {
        if !sections.contains(&section) {
            problems.push(format!(
                "docs/DESIGN.md:{line}: refers to §{section}, which does not exist"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // A scan that saw nothing proves nothing: the code, the tests and the markdown cite the design.
    assert!(
        in_src > 0 && in_tests > 0 && in_markdown > 0,
        "citations of docs/DESIGN.md found: {in_src} in src/, {in_tests} in tests/, {in_markdown} in markdown files; the scan must find some in each (scanned {} files)",
        all.len()
    );
}

#[test]
fn the_scan_would_see_a_wrong_citation() {
    assert_eq!(
        mentions("see docs/DESIGN.md §4 and [the design](docs/DESIGN.md),\nnot DESIGN.md §2 or docs/DESIGN.md §x"),
        [
            (1, Mention::Cites(4)),
            (1, Mention::Names),
            (
                2,
                Mention::Wrong(
                    "cites the design as \"not DESIGN.md §2\"; its path is docs/DESIGN.md".into()
                )
            ),
            (
                2,
                Mention::Wrong("a § with no section number: \"DESIGN.md §x\"".into())
            ),
        ]
    );
    assert_eq!(
        sections("# t\n## 1. One\ntext\n## 2. Two\n### 2.1 not a section"),
        [1, 2]
    );
    assert_eq!(
        cross_references("as §2 says, and §10; § alone"),
        [(1, 2), (1, 10)]
    );
}

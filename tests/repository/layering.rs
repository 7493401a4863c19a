//! The library's layering, as ARCHITECTURE.md states it, checked from the code: every module may
//! name (`crate::m`, outside comments) only modules of a lower layer, so there is no import circle
//! and no module reaches up past its layer. Also: no source file is longer than about 700 lines
//! unless ARCHITECTURE.md's list of long files names it with a reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced block after `opening` in ARCHITECTURE.md, line by line.
fn fenced_block(opening: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let start = text
        .find(opening)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no {opening:?} block"));
    text[start + opening.len()..]
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with("```"))
        .map(str::to_string)
        .collect()
}

/// Module name → layer (0 is the bottom), from the ```layers block (its first line is the top).
fn layers() -> BTreeMap<String, usize> {
    let lines = fenced_block("```layers");
    let count = lines.len();
    let mut layer_of = BTreeMap::new();
    for (row, line) in lines.iter().enumerate() {
        for module in line.split_whitespace() {
            assert!(
                layer_of
                    .insert(module.to_string(), count - 1 - row)
                    .is_none(),
                "{module} is in two layers"
            );
        }
    }
    layer_of
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for lib.rs and main.rs).
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root().join("src")).unwrap();
    let first = relative
        .components()
        .next()?
        .as_os_str()
        .to_str()?
        .to_string();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => None,
        Some(name) => Some(name.to_string()),
        None => Some(first),
    }
}

/// The modules a file names as `crate::m`, outside comments.
fn named_modules(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.push(name);
            }
        }
    }
    names
}

#[test]
fn every_module_names_only_lower_layers() {
    let layer_of = layers();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut breaches = Vec::new();
    for file in &files {
        let Some(module) = module_of(file) else {
            continue;
        };
        let own = *layer_of
            .get(&module)
            .unwrap_or_else(|| panic!("module {module} is in no layer of ARCHITECTURE.md"));
        let text = std::fs::read_to_string(file).unwrap();
        for named in named_modules(&text) {
            if named == module {
                continue;
            }
            let Some(&theirs) = layer_of.get(&named) else {
                breaches.push(format!("{}: crate::{named} is in no layer", file.display()));
                continue;
            };
            if theirs >= own {
                breaches.push(format!(
                    "{}: {module} (layer {own}) names crate::{named} (layer {theirs})",
                    file.display()
                ));
            }
        }
    }
    breaches.sort();
    breaches.dedup();
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));
}

#[test]
fn the_checker_would_see_a_breach() {
    // The scan itself: a name in code counts, a name in a comment does not.
    assert_eq!(
        named_modules("use crate::sim::Scenario; // crate::cli\nlet x = crate::check::check;"),
        ["sim", "check"]
    );
}

#[test]
fn no_source_file_is_long_unless_architecture_says_why() {
    let allowed: Vec<String> = fenced_block("```long-files")
        .iter()
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut long = Vec::new();
    for file in files {
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        let relative = file.strip_prefix(root()).unwrap().display().to_string();
        if lines > 750 && !allowed.contains(&relative) {
            long.push(format!("{relative}: {lines} lines"));
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}

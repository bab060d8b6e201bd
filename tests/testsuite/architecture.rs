//! The stages import only the stages below them (docs/architecture.md draws them), so the
//! import graph has no circles. Read from the source: a `crate::<module>` path outside comments
//! and test modules is an import of that module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Bottom first. A module may use only modules of lower rows.
const LAYERS: &[&[&str]] = &[
    &["i18n"],
    &["model", "files", "faults"],
    &["config"],
    &["error", "shortcuts"],
    &["ingest", "inputs"],
    &["clean"],
    &["aggregate"],
    &["store"],
    &["emit", "publish"],
    &["batch"],
    &["run"],
    &["cmd"],
    &["cli"],
];

/// Each top-level module of src/ and the top-level modules its files name.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    collect(&src, &mut files);
    for file in files {
        let rel = file.strip_prefix(&src).expect("below src");
        let first = rel.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source");
        let used = out.entry(module.clone()).or_default();
        for name in crate_paths(&code_of(&text)) {
            if name != module {
                used.insert(name);
            }
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
}

/// The text without comments and without a trailing `#[cfg(test)] mod tests`.
fn code_of(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first segment of every `crate::` path, including each item of `use crate::{a, b::c}`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    out.insert(word(item.trim()));
                    item.clear();
                    if depth == 0 {
                        break;
                    }
                } else if depth == 1 {
                    item.push(c);
                }
            }
        } else {
            out.insert(word(rest));
        }
    }
    out.remove("");
    out
}

#[test]
fn every_stage_imports_only_the_stages_below_it() {
    let row: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, names)| names.iter().map(move |n| (*n, i)))
        .collect();
    let mut problems = Vec::new();
    for (module, used) in imports() {
        let Some(&mine) = row.get(module.as_str()) else {
            problems.push(format!(
                "src/{module} has no row in LAYERS (and docs/architecture.md)"
            ));
            continue;
        };
        for u in used {
            match row.get(u.as_str()) {
                Some(&theirs) if theirs < mine => {}
                Some(_) => problems.push(format!("{module} imports {u}, which is not below it")),
                None => problems.push(format!("{module} imports {u}, which has no row in LAYERS")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_of_imports_sees_grouped_and_plain_paths() {
    let code = code_of(
        "use crate::{a::b, c, d::{e, f}};\nfn x() { crate::g::h(); } // crate::comment\n#[cfg(test)]\nmod tests { use crate::t; }",
    );
    let got: Vec<String> = crate_paths(&code).into_iter().collect();
    assert_eq!(got, ["a", "c", "d", "g"]);
}

//! Arbitrary text as a pipeline file, through the same loading and validation as
//! `yearbook run`.
//!
//! A finding is a panic, or a pipeline that loads although one of the names that become
//! output paths (the pipeline's, a dataset's, a table's, a chart's) would leave the output
//! folder or is not a name the config accepts.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Component, Path};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = yearbook::config::load_str(text, Path::new("fuzz.toml"), Path::new(".")) else {
        return;
    };
    let out = Path::new("OUT");
    let root = yearbook::emit::output_path(out, &[&p.name]).expect("pipeline name");
    let mut files: Vec<(&str, String)> = vec![("tables", format!("{}.xlsx", p.name))];
    for d in &p.datasets {
        files.push(("data", format!("{}.parquet", d.name)));
    }
    for t in &p.tables {
        files.push(("tables", format!("{}.csv", t.name)));
        files.push(("charts", format!("{}.png", t.name)));
    }
    for c in &p.charts {
        files.push(("charts", format!("{}.svg", c.spec.name)));
    }
    for name in std::iter::once(&p.name)
        .chain(p.datasets.iter().map(|d| &d.name))
        .chain(p.tables.iter().map(|t| &t.name))
        .chain(p.charts.iter().map(|c| &c.spec.name))
    {
        assert_eq!(yearbook::config::names::problem(name), None, "{name:?}");
    }
    for (folder, file) in &files {
        let path = yearbook::emit::output_path(&root, &["2022-12", folder, file])
            .unwrap_or_else(|e| panic!("{file:?}: {e}"));
        assert!(path.starts_with(&root), "{}", path.display());
        assert!(
            path.components().all(|c| matches!(c, Component::Normal(_))),
            "{}",
            path.display()
        );
    }
});

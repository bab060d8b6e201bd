//! The shipped sample reproduces every published 2022 figure for 长春市二道区.
//!
//! The expected rows are the table "Figures the sample reproduces" in sample-data/README.md,
//! read from there so that the documentation and the test cannot drift apart.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;

fn repo(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// (year, month, table, dimension, key, metric) -> value, from the README's figures table.
fn expected() -> Vec<(String, [String; 6], String)> {
    let readme =
        std::fs::read_to_string(repo("sample-data/README.md")).expect("sample-data/README.md");
    let mut out = Vec::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        // | # | figure | published | year | month | table | dimension | key | metric | value |
        if cells.len() == 10 && cells[0].parse::<u32>().is_ok() {
            let key =
                [cells[3], cells[4], cells[5], cells[6], cells[7], cells[8]].map(String::from);
            out.push((cells[1].to_string(), key, cells[9].to_string()));
        }
    }
    out
}

#[test]
fn every_published_2022_figure_comes_out_of_the_sample() {
    let want = expected();
    assert_eq!(
        want.len(),
        34,
        "the figures table in sample-data/README.md lost or gained rows"
    );
    let p = Project::new();
    let out = p.path("out");
    p.cmd()
        .current_dir(repo("."))
        .args(["run", "pipelines/erdao.toml", "--no-cache", "--out"])
        .arg(&out)
        .assert()
        .code(1); // the synthetic older years carry three deliberately bad cells
    let facts = p.read("out/erdao/2022-12/facts.csv");
    let mut got: BTreeMap<[String; 6], String> = BTreeMap::new();
    for line in facts.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        // year,month,table,dimension,key,metric,value,unit
        if f.len() == 8 {
            got.insert(
                [f[0], f[1], f[2], f[3], f[4], f[5]].map(String::from),
                f[6].to_string(),
            );
        }
    }
    let mut wrong = Vec::new();
    for (figure, key, value) in &want {
        match got.get(key) {
            Some(v) if v == value => {}
            other => wrong.push(format!("{figure}: {key:?} expected {value}, got {other:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "figures not reproduced:\n{}",
        wrong.join("\n")
    );
    // 64% is published rounded.
    let rate: f64 = got
        [&["2022", "", "credit_repair", "total", "合计", "修复率"].map(String::from)]
        .parse()
        .unwrap();
    assert_eq!(rate.round(), 64.0);
}

#[test]
fn the_sample_accounts_for_every_row() {
    let p = Project::new();
    let out = p.path("out");
    p.cmd()
        .current_dir(repo("."))
        .args(["run", "pipelines/erdao.toml", "--no-cache", "--out"])
        .arg(&out)
        .assert()
        .code(1);
    let m: serde_json::Value =
        serde_json::from_str(&p.read("out/erdao/2022-12/manifest.json")).unwrap();
    let a = &m["accounting"];
    let n = |k: &str| a[k].as_u64().unwrap();
    assert_eq!(
        n("rows_read"),
        n("rows_kept") + n("rows_rejected") + n("rows_skipped")
    );
    assert_eq!(n("rows_rejected"), 3);
    let formats: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["format"].as_str())
        .collect();
    for f in ["xlsx", "xls", "ods"] {
        assert!(formats.contains(&f), "no {f} input in the sample");
    }
    for input in m["inputs"].as_array().unwrap() {
        for sh in input["sheets"].as_array().unwrap() {
            let skipped: u64 = sh["skipped"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum();
            let s = |k: &str| sh[k].as_u64().unwrap();
            assert_eq!(
                s("rows_read"),
                s("rows_kept") + s("rows_rejected") + skipped,
                "{}",
                input["path"]
            );
        }
    }
    let rejected = p.read("out/erdao/2022-12/rejected.csv");
    assert_eq!(rejected.lines().count(), 4, "{rejected}");
}

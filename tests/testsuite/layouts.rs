//! Workbooks drawn from the space of bureau layouts (examples/shared/layoutgen), each with its
//! exact result known in advance: yearbook must keep, reject and skip every row as planted,
//! find the period, and publish every figure of the table exactly.
//!
//! The fixed seeds cover the dimensions the rules handle ([`Space::passing`], today the whole
//! space); a dimension added before its rule waits in [`Space::FAILING`]. `cargo run --release --example layout_soak -- --cases N`
//! draws as many cases as asked, from any part of the space.

#[path = "../../examples/shared/layoutgen/mod.rs"]
mod layoutgen;
#[path = "../../examples/shared/sheets/mod.rs"]
mod sheets;
#[path = "../../examples/shared/xorshift.rs"]
mod xorshift;

use layoutgen::check::{check, run_binary, write_group};
use layoutgen::{generate, Case, Space};

/// Cases per yearbook run (consecutive seeds, so each has a year of its own).
const PER_GROUP: usize = 30;
const GROUPS: u64 = 10;

fn group(space: &Space, first_seed: u64) -> Vec<Case> {
    (0..PER_GROUP)
        .map(|i| generate(first_seed + i as u64, space))
        .collect()
}

/// Runs yearbook on each group and lists every case that did not come out as planted.
fn failures(space: &Space, groups: u64, first_seed: u64) -> Vec<String> {
    let bin = assert_cmd::cargo::cargo_bin("yearbook");
    let mut out = Vec::new();
    for gi in 0..groups {
        let seed = first_seed + gi * PER_GROUP as u64;
        let cases = group(space, seed);
        let dir = tempfile::tempdir().expect("tempdir");
        write_group(dir.path(), &cases).expect("write cases");
        let (code, stderr) = run_binary(&bin, dir.path());
        for (i, diffs) in check(dir.path(), &cases, code, &stderr) {
            let c = &cases[i];
            out.push(format!(
                "seed {} ({}, year {}, dimensions {:?}):\n  {}",
                c.seed,
                c.file_name,
                c.truth.year,
                c.used,
                diffs.join("\n  ")
            ));
        }
    }
    out
}

#[test]
fn generated_layouts_come_out_as_planted() {
    let found = failures(&Space::passing(), GROUPS, 1);
    assert!(
        found.is_empty(),
        "{} of {} cases differ:\n{}",
        found.len(),
        GROUPS as usize * PER_GROUP,
        found.join("\n")
    );
}

#[test]
fn a_seed_gives_the_same_workbook_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let space = Space::full();
    for seed in 0..24 {
        let a = generate(seed, &space);
        let b = generate(seed, &space);
        let (pa, pb) = (dir.path().join("a"), dir.path().join("b"));
        a.write(&pa).expect("write");
        b.write(&pb).expect("write");
        assert_eq!(
            std::fs::read(&pa).expect("read"),
            std::fs::read(&pb).expect("read"),
            "seed {seed}"
        );
    }
}

//! The stores of `.cache/`: what one run keeps for the next, the link policy and pruning.

use crate::common::*;

fn project() -> Project {
    let p = pipeline_project();
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![
            vec![S("甲项目"), S("新建"), N(6000.0)],
            vec![S("乙项目"), S("续建"), N(8000.0)],
        ],
    );
    p
}

#[cfg(unix)]
fn links(p: &Project, rel: &str) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p.path(rel)).expect("output").nlink()
}

#[cfg(unix)]
#[test]
fn no_links_writes_every_file_anew_but_keeps_the_caches() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let book = "out/t/2022-12/tables/t.xlsx";
    let wrote = std::fs::read(p.path(book)).unwrap();
    p.cmd()
        .args(["run", "p.toml", "--no-links"])
        .assert()
        .code(0);
    // Not a second name of the replaced folder's file, the same bytes all the same.
    assert_eq!(links(&p, book), 1);
    assert_eq!(std::fs::read(p.path(book)).unwrap(), wrote);
    // The parse cache was still used.
    let manifest: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).unwrap();
    assert_eq!(manifest["inputs"][0]["cached"], true, "{manifest}");
    // Without the switch, an unchanged file is linked again.
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert_eq!(links(&p, book), 2);
}

/// Sets a file's modification time `days` ago.
fn age(path: &std::path::Path, days: u64) {
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(when))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn entries_no_run_has_used_for_a_month_are_removed_and_used_ones_kept() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let cache = p.path("out/t/.cache");
    let settings: Vec<String> = entries(&cache)
        .into_iter()
        .filter(|n| n.len() == 16)
        .collect();
    assert_eq!(settings.len(), 1, "{:?}", entries(&cache));
    let parse = cache.join(&settings[0]);
    let used = entries(&parse);
    assert_eq!(used.len(), 1, "{used:?}");
    // Left by workbooks no longer read, by charts no longer drawn, and by an earlier version.
    std::fs::write(parse.join("old.bin"), "x").unwrap();
    std::fs::write(parse.join("recent.bin"), "x").unwrap();
    std::fs::write(cache.join("charts/old.png"), "x").unwrap();
    std::fs::create_dir(cache.join("0123456789abcdef")).unwrap();
    std::fs::write(cache.join("0123456789abcdef/e.bin"), "x").unwrap();
    age(&parse.join("old.bin"), 40);
    age(&parse.join(&used[0]), 40);
    age(&cache.join("charts/old.png"), 40);
    age(&parse.join("recent.bin"), 3);
    let old_folder = std::fs::File::open(cache.join("0123456789abcdef"))
        .and_then(|f| {
            f.set_modified(
                std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 86_400),
            )
        })
        .is_ok();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let left = entries(&parse);
    assert!(!left.contains(&"old.bin".to_string()), "{left:?}");
    assert!(left.contains(&"recent.bin".to_string()), "{left:?}");
    assert!(left.contains(&used[0]), "{left:?}");
    assert!(!cache.join("charts/old.png").exists());
    assert!(!entries(&cache.join("charts")).is_empty());
    if old_folder {
        assert!(!cache.join("0123456789abcdef").exists());
    }
    // The entry the run used is marked as used, so it is kept another month.
    let modified = std::fs::metadata(parse.join(&used[0]))
        .unwrap()
        .modified()
        .unwrap();
    let since = std::time::SystemTime::now()
        .duration_since(modified)
        .unwrap();
    assert!(since.as_secs() < 86_400, "{since:?}");
    // The run's outputs are whole.
    p.cmd().args(["run", "p.toml"]).assert().code(0);
}

/// More workbooks than a group the run folds at a time, one of them twice under another
/// folder, and a second table that cannot be made of partials (a count of distinct values).
fn many_books() -> Project {
    let p = Project::new();
    let pipeline = INVESTMENT_PIPELINE.to_string()
        + r#"
[[tables]]
name = "names"
dataset = "investment"
by = ["nature"]
measures = [{ name = "项目名称数", op = "count_distinct", field = "project" }]
"#;
    p.file("p.toml", pipeline);
    for i in 0..70u32 {
        let year = 2020 + i % 3;
        investment_book(
            &p,
            &format!("data/{year}年投资{i:02}.xlsx"),
            vec![
                vec![
                    S(Box::leak(format!("项目{i}").into_boxed_str())),
                    S("新建"),
                    N(f64::from(i) * 10.5),
                ],
                vec![S("共同项目"), S(["续建", "新建"][i as usize % 2]), N(7.25)],
            ],
        );
    }
    std::fs::create_dir_all(p.path("data/副本")).unwrap();
    std::fs::copy(
        p.path("data/2021年投资01.xlsx"),
        p.path("data/副本/2021年投资01.xlsx"),
    )
    .unwrap();
    p
}

#[test]
fn rows_folded_as_they_are_read_give_the_figures_of_all_rows_at_once() {
    let p = many_books();
    // Without the parse cache the rows are folded a group at a time; with it (a first run,
    // so nothing is reused) every row is held until the tables aggregate.
    p.cmd()
        .args(["run", "p.toml", "--no-cache", "--out", "folded"])
        .assert()
        .code(1);
    p.cmd()
        .args(["run", "p.toml", "--out", "held"])
        .assert()
        .code(1);
    for f in [
        "facts.csv",
        "tables/by_nature.csv",
        "tables/names.csv",
        "tables/t.xlsx",
        "data/investment.parquet",
        "rejected.csv",
        "index.html",
    ] {
        let a = std::fs::read(p.path(&format!("folded/t/2022-12/{f}"))).expect(f);
        let b = std::fs::read(p.path(&format!("held/t/2022-12/{f}"))).expect(f);
        assert!(a == b, "{f} differs");
    }
    let facts = p.read("folded/t/2022-12/facts.csv");
    // 2021 and 2022 have 23 workbooks of two projects each; the copy in 2021 is counted once.
    assert!(
        facts.contains("2022,,by_nature,total,合计,项目个数,46,个"),
        "{facts}"
    );
    assert!(
        facts.contains("2021,,by_nature,total,合计,项目个数,46,个"),
        "{facts}"
    );
}

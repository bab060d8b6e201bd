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

//! The output folder against planted entries and interrupted runs: names that would lead a
//! write out of the folder, symbolic links where yearbook's own files and folders should be,
//! a run stopped in the middle of its commit, and a failure after the output is published.

use crate::common::*;
use std::path::Path;
use std::process::Output;

const FACTS: &str = "out/t/2022-12/facts.csv";

fn project() -> Project {
    let p = pipeline_project();
    investment(&p, "甲项目", 100.0);
    p
}

fn investment(p: &Project, name: &'static str, amount: f64) {
    investment_book(
        p,
        "data/2022年投资.xlsx",
        vec![vec![S(name), S("新建"), N(amount)]],
    );
}

fn run(p: &Project, fail_at: Option<&str>) -> Output {
    let mut c = p.cmd();
    c.args(["run", "p.toml"]);
    if let Some(stage) = fail_at {
        c.env("YEARBOOK_FAIL_AT", stage);
    }
    c.output().expect("run")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The exit code, with stderr when it is not the one expected.
fn code(o: &Output, want: i32) {
    assert_eq!(o.status.code(), Some(want), "{}", stderr(o));
}

/// The names in a folder, sorted (none when it is missing).
fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    n.sort();
    n
}

#[cfg(unix)]
fn link(to: &Path, at: &Path) {
    if std::fs::symlink_metadata(at).is_ok_and(|m| m.is_dir()) {
        std::fs::remove_dir_all(at).unwrap();
    } else {
        let _ = std::fs::remove_file(at);
    }
    std::os::unix::fs::symlink(to, at).unwrap();
}

/// A folder outside the output holding one file, which no run may touch.
fn elsewhere(p: &Project) -> std::path::PathBuf {
    p.file("elsewhere/keep.txt", "keep");
    p.path("elsewhere")
}

fn untouched(p: &Project) {
    assert_eq!(names(&p.path("elsewhere")), ["keep.txt"]);
    assert_eq!(p.read("elsewhere/keep.txt"), "keep");
}

#[test]
fn names_that_would_leave_the_output_folder_write_nothing_there() {
    let p = project();
    code(&run(&p, None), 0);
    let before = tree(&p.path("out/t/2022-12"));
    p.file("outside.csv", "keep");
    std::fs::create_dir_all(p.path("abs")).unwrap();
    let absolute = p.path("abs/ESCAPED").to_string_lossy().to_string();
    for (table, dataset) in [
        ("../../../../outside", "investment"),
        ("../../2022-12/facts", "investment"),
        (absolute.as_str(), "investment"),
        ("by_nature", "../../../../ds"),
    ] {
        let toml = INVESTMENT_PIPELINE
            .replace("name = \"by_nature\"", &format!("name = {table:?}"))
            .replace("datasets.investment", &format!("datasets.{dataset:?}"))
            .replace(
                "dataset = \"investment\"",
                &format!("dataset = {dataset:?}"),
            );
        p.file("p.toml", toml);
        let out = run(&p, None);
        // Refused when the pipeline loads (2) or, failing that, when the path is made (4).
        assert!(
            matches!(out.status.code(), Some(2 | 4)),
            "{table} {dataset}: {:?} {}",
            out.status.code(),
            stderr(&out)
        );
        assert_eq!(p.read("outside.csv"), "keep");
        assert!(
            names(&p.path("abs")).is_empty(),
            "{:?}",
            names(&p.path("abs"))
        );
        assert!(!p.path("ds.parquet").exists());
        assert_eq!(tree(&p.path("out/t/2022-12")), before, "{table} {dataset}");
        assert_eq!(names(&p.path("out/t")), [".cache", "2022-12", "latest"]);
    }
}

#[test]
fn a_dataset_name_that_would_leave_the_clean_data_folder_writes_nothing_there() {
    let p = project();
    let toml = INVESTMENT_PIPELINE
        .replace("datasets.investment", "datasets.\"../ds\"")
        .replace("dataset = \"investment\"", "dataset = \"../ds\"");
    p.file("p.toml", toml);
    let out = p
        .cmd()
        .args(["ingest", "p.toml", "--out", "clean", "data/2022年投资.xlsx"])
        .output()
        .expect("ingest");
    assert!(
        matches!(out.status.code(), Some(2 | 4)),
        "{:?} {}",
        out.status.code(),
        stderr(&out)
    );
    assert!(!p.path("ds").exists());
}

#[cfg(unix)]
#[test]
fn a_trash_linked_elsewhere_is_not_emptied_or_used() {
    let p = project();
    code(&run(&p, None), 0);
    let first_facts = p.read(FACTS);
    let dir = elsewhere(&p);
    link(&dir, &p.path("out/t/.cache/trash"));
    investment(&p, "乙项目", 7.0);
    let out = run(&p, None);
    code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains(".cache/trash is a symbolic link"), "{err}");
    assert!(
        err.contains("trash (a replaced folder is removed at once) is not used"),
        "{err}"
    );
    untouched(&p);
    assert_ne!(p.read(FACTS), first_facts, "the new output is not in place");
    assert_eq!(names(&p.path("out/t")), [".cache", "2022-12", "latest"]);
    let manifest: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).unwrap();
    let warnings = manifest["warnings"].to_string();
    assert!(warnings.contains(".cache/trash"), "{warnings}");
}

#[cfg(unix)]
#[test]
fn cache_folders_linked_elsewhere_are_not_used() {
    for folder in [".cache", ".cache/charts", ".cache/results", "parse cache"] {
        let p = project();
        code(&run(&p, None), 0);
        let first = tree(&p.path("out/t/2022-12"));
        let rel = match folder {
            // The parse cache's entries are in a folder named by a hash of its settings.
            "parse cache" => {
                let settings = names(&p.path("out/t/.cache"))
                    .into_iter()
                    .find(|n| n.len() == 16 && n.bytes().all(|b| b.is_ascii_hexdigit()))
                    .expect("the parse cache's folder");
                format!(".cache/{settings}")
            }
            f => f.to_string(),
        };
        let dir = elsewhere(&p);
        link(&dir, &p.path(&format!("out/t/{rel}")));
        let out = run(&p, None);
        code(&out, 1);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{rel} is a symbolic link")),
            "{folder}: {err}"
        );
        untouched(&p);
        // The outputs are those of a run without that cache; the manifest and the report
        // also list the warning.
        let shown = |n: &str| n != "manifest.json" && n != "index.html";
        let again: Vec<_> = tree(&p.path("out/t/2022-12"))
            .into_iter()
            .filter(|(n, _)| shown(n))
            .collect();
        let first: Vec<_> = first.iter().filter(|(n, _)| shown(n)).cloned().collect();
        assert_eq!(again, first, "{folder}");
    }
}

#[cfg(unix)]
#[test]
fn a_chart_cache_entry_linked_elsewhere_is_not_read() {
    let p = project();
    code(&run(&p, None), 0);
    let png = std::fs::read(p.path("out/t/2022-12/charts/by_nature.png")).unwrap();
    // A sealed entry of other bytes, elsewhere, linked in place of every cached chart.
    let mut planted = b"\x89PNG\r\n\x1a\nplanted".to_vec();
    let crc = crc32fast::hash(&planted);
    planted.extend(crc.to_le_bytes());
    p.file("planted.png", &planted);
    let entries = names(&p.path("out/t/.cache/charts"));
    assert!(!entries.is_empty());
    for e in &entries {
        link(
            &p.path("planted.png"),
            &p.path(&format!("out/t/.cache/charts/{e}")),
        );
    }
    code(&run(&p, None), 0);
    assert_eq!(
        std::fs::read(p.path("out/t/2022-12/charts/by_nature.png")).unwrap(),
        png
    );
    assert_eq!(std::fs::read(p.path("planted.png")).unwrap(), planted);
}

#[cfg(unix)]
#[test]
fn links_at_the_lock_latest_and_staging_entries_are_errors_naming_them() {
    for (entry, target_is_dir) in [
        (".latest.tmp", false),
        ("latest", false),
        (".lock", false),
        (".staging-2022-12-1", true),
        (".old-2022-12-1", true),
    ] {
        let p = project();
        code(&run(&p, None), 0);
        let before = tree(&p.path("out/t/2022-12"));
        let dir = elsewhere(&p);
        let to = if target_is_dir {
            dir
        } else {
            p.path("elsewhere/keep.txt")
        };
        if entry == ".old-2022-12-1" {
            // As a run stopped between its renames leaves it, but a link: not put back.
            std::fs::remove_dir_all(p.path("out/t/2022-12")).unwrap();
        }
        link(&to, &p.path(&format!("out/t/{entry}")));
        investment(&p, "乙项目", 7.0);
        let out = run(&p, None);
        code(&out, 4);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "out/t/{entry} is a symbolic link, where yearbook keeps"
            )),
            "{entry}: {err}"
        );
        untouched(&p);
        if entry != ".old-2022-12-1" {
            assert_eq!(tree(&p.path("out/t/2022-12")), before, "{entry}");
        } else {
            assert!(!p.path("out/t/2022-12").exists());
        }
        assert!(!p.path("out/t/.lock").exists() || entry == ".lock");
    }
}

#[test]
fn a_period_folder_left_aside_by_a_stopped_run_is_put_back() {
    let p = project();
    code(&run(&p, None), 0);
    let first_facts = p.read(FACTS);
    let before = tree(&p.path("out/t/2022-12"));
    // What a run killed between its two renames leaves: the lock, its staging folder, and
    // the previous period folder renamed aside.
    std::fs::rename(p.path("out/t/2022-12"), p.path("out/t/.old-2022-12-99999")).unwrap();
    std::fs::create_dir_all(p.path("out/t/.staging-2022-12-99999/tables")).unwrap();
    // Above the largest process id Linux gives, so no live process holds the lock.
    p.file("out/t/.lock", "4194305\n");
    investment(&p, "乙项目", 7.0);
    // The next run fails before its own commit, and the previous output is back.
    let out = run(&p, Some("tables"));
    code(&out, 4);
    assert!(stderr(&out).contains("restored"), "{}", stderr(&out));
    assert_eq!(tree(&p.path("out/t/2022-12")), before);
    assert_eq!(p.read("out/t/latest").trim(), "2022-12");
    assert_eq!(names(&p.path("out/t")), [".cache", "2022-12", "latest"]);
    // And one that succeeds replaces it as usual.
    code(&run(&p, None), 0);
    assert_ne!(p.read(FACTS), first_facts, "the new output is not in place");
}

#[test]
fn a_run_killed_between_the_two_renames_loses_nothing() {
    let p = project();
    code(&run(&p, None), 0);
    let first_facts = p.read(FACTS);
    let before = tree(&p.path("out/t/2022-12"));
    investment(&p, "乙项目", 7.0);
    let killed = run(&p, Some("between-renames"));
    assert_eq!(killed.status.code(), Some(137), "{}", stderr(&killed));
    assert!(!p.path("out/t/2022-12").exists());
    assert!(names(&p.path("out/t"))
        .iter()
        .any(|n| n.starts_with(".old-2022-12-")));
    let out = run(&p, Some("tables"));
    code(&out, 4);
    assert_eq!(tree(&p.path("out/t/2022-12")), before);
    code(&run(&p, None), 0);
    assert_ne!(p.read(FACTS), first_facts, "the new output is not in place");
    assert_eq!(names(&p.path("out/t")), [".cache", "2022-12", "latest"]);
}

#[test]
fn the_commit_without_an_exchange_replaces_the_folder_and_keeps_the_trash() {
    let p = project();
    code(&run(&p, None), 0);
    let first_facts = p.read(FACTS);
    investment(&p, "乙项目", 7.0);
    code(&run(&p, Some("no-exchange")), 0);
    assert_ne!(p.read(FACTS), first_facts, "the new output is not in place");
    let trash = names(&p.path("out/t/.cache/trash"));
    assert!(
        trash.len() == 1 && trash[0].starts_with(".old-2022-12-"),
        "{trash:?}"
    );
    assert_eq!(names(&p.path("out/t")), [".cache", "2022-12", "latest"]);
}

#[test]
fn a_failure_after_the_commit_reports_the_output_as_published() {
    let p = project();
    code(&run(&p, None), 0);
    let first_facts = p.read(FACTS);
    investment(&p, "乙项目", 7.0);
    let out = run(&p, Some("latest"));
    code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("the output is published in"), "{err}");
    assert!(err.contains("`latest` was not updated"), "{err}");
    assert!(err.contains("injected failure at stage `latest`"), "{err}");
    assert!(!err.contains("error:"), "{err}");
    assert_ne!(p.read(FACTS), first_facts, "the new output is not in place");
    assert_eq!(p.read("out/t/latest").trim(), "2022-12");
    assert_eq!(names(&p.path("out/t")), [".cache", "2022-12", "latest"]);
}

//! Running the batch: atomic output, re-runs, the lock, the parse cache, exit codes.

use crate::common::*;

fn project() -> Project {
    let p = Project::new();
    p.file("p.toml", INVESTMENT_PIPELINE);
    p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("二道区2022年重点项目")],
                vec![S("单位：万元")],
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("甲项目"), S("新建"), N(6000.0)],
                vec![S("乙项目"), S("续建"), N(8000.0)],
            ],
        )],
    );
    p.xlsx(
        "data/2021年投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("二道区2021年重点项目")],
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("丙项目"), S("新建"), N(5000.0)],
            ],
        )],
    );
    p
}

/// A workbook with one 项目 sheet: the plain header and one project row, no title rows.
fn one_project(p: &Project, rel: &str, row: Vec<C>) {
    p.xlsx(
        rel,
        &[SheetSpec::new(
            "项目",
            vec![vec![S("项目名称"), S("建设性质"), S("总投资")], row],
        )],
    );
}

#[test]
fn run_writes_the_period_folder_and_latest() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    for f in [
        "facts.csv",
        "rejected.csv",
        "manifest.json",
        "tables/t.xlsx",
        "tables/by_nature.csv",
        "tables/by_nature.parquet",
        "data/investment.parquet",
    ] {
        assert!(
            p.path(&format!("out/t/2022-12/{f}")).is_file(),
            "{f} missing"
        );
    }
    assert_eq!(p.read("out/t/latest").trim(), "2022-12");
    let leftovers: Vec<_> = std::fs::read_dir(p.path("out/t"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".staging") || n.starts_with(".old") || n == ".lock")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_replaced_output_folder_is_removed_by_the_next_run() {
    let p = project();
    let names = |rel: &str| -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(p.path(rel))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        n.sort();
        n
    };
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert!(names("out/t/.cache/trash").is_empty());
    // Each re-run moves the folder it replaces aside and removes the one the run before moved.
    for _ in 0..2 {
        p.cmd().args(["run", "p.toml"]).assert().code(0);
        let trash = names("out/t/.cache/trash");
        assert_eq!(trash.len(), 1, "{trash:?}");
        assert!(trash[0].starts_with(".old-2022-12-"), "{trash:?}");
        assert_eq!(names("out/t"), [".cache", "2022-12", "latest"]);
    }
    // Without the caches the replaced folder is removed at once.
    p.cmd()
        .args(["run", "p.toml", "--no-cache"])
        .assert()
        .code(0);
    assert_eq!(names("out/t"), [".cache", "2022-12", "latest"]);
}

#[test]
fn a_re_run_keeps_unchanged_files_but_never_an_edited_one() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let csv = "out/t/2022-12/tables/by_nature.csv";
    let wrote = p.read(csv);
    // An analyst edits a table in place; the next run must not carry the edit over.
    std::fs::write(p.path(csv), "edited\n").unwrap();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert_eq!(p.read(csv), wrote);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let links = |rel: &str| std::fs::metadata(p.path(rel)).unwrap().nlink();
        // The unchanged workbook is the replaced folder's file (now in the trash), the edited
        // table a new one; neither shares its bytes with another period.
        assert_eq!(links("out/t/2022-12/tables/t.xlsx"), 2);
        assert_eq!(links(csv), 1);
        // Once the trash is emptied by the run after, every file has one name again.
        p.cmd().args(["run", "p.toml"]).assert().code(0);
        assert_eq!(links(csv), 2);
        p.cmd()
            .args(["run", "p.toml", "--no-cache"])
            .assert()
            .code(0);
        assert_eq!(links("out/t/2022-12/tables/t.xlsx"), 1);
        assert_eq!(links(csv), 1);
        // A file replaced by a symbolic link to the same bytes is written, not linked as a link.
        std::fs::copy(p.path(csv), p.path("elsewhere.csv")).unwrap();
        std::fs::remove_file(p.path(csv)).unwrap();
        std::os::unix::fs::symlink(p.path("elsewhere.csv"), p.path(csv)).unwrap();
        p.cmd().args(["run", "p.toml"]).assert().code(0);
        let kind = std::fs::symlink_metadata(p.path(csv)).unwrap().file_type();
        assert!(kind.is_file(), "{kind:?}");
        assert_eq!(p.read(csv), wrote);
    }
}

#[test]
fn tables_are_byte_identical_on_a_second_run() {
    let p = project();
    p.cmd()
        .args(["run", "p.toml", "--no-cache"])
        .assert()
        .code(0);
    let first: Vec<_> = tree(&p.path("out/t/2022-12"))
        .into_iter()
        .filter(|(n, _)| n != "manifest.json")
        .collect();
    p.cmd()
        .args(["run", "p.toml", "--no-cache"])
        .assert()
        .code(0);
    let second: Vec<_> = tree(&p.path("out/t/2022-12"))
        .into_iter()
        .filter(|(n, _)| n != "manifest.json")
        .collect();
    assert_eq!(first.len(), second.len());
    for ((n1, b1), (n2, b2)) in first.iter().zip(&second) {
        assert_eq!(n1, n2);
        assert!(b1 == b2, "{n1} differs between runs");
    }
}

#[test]
fn a_failed_run_leaves_the_previous_output_intact() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let before = tree(&p.path("out/t/2022-12"));
    // Change an input, then make the run fail while writing tables.
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![vec![S("丁项目"), S("新建"), N(1.0)]],
    );
    for stage in ["tables", "manifest"] {
        let out = p
            .cmd()
            .args(["run", "p.toml"])
            .env("YEARBOOK_FAIL_AT", stage)
            .assert()
            .code(4);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(stderr.contains("injected failure"), "{stderr}");
        assert_eq!(
            tree(&p.path("out/t/2022-12")),
            before,
            "output changed after a failure at {stage}"
        );
        let names: Vec<_> = std::fs::read_dir(p.path("out/t"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with(".staging") || n == ".lock"),
            "{names:?}"
        );
    }
}

#[test]
fn a_live_lock_stops_a_second_run_and_a_stale_one_is_cleared() {
    let p = project();
    std::fs::create_dir_all(p.path("out/t")).unwrap();
    // Our own test process is alive: the lock is live.
    p.file("out/t/.lock", format!("{}\n", std::process::id()));
    let out = p.cmd().args(["run", "p.toml"]).assert().code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("another run"));
    // A process id that cannot exist: stale.
    p.file("out/t/.lock", "4194304999\n");
    let out = p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("stale lock"));
    assert!(!p.path("out/t/.lock").exists());
}

#[test]
fn only_changed_workbooks_are_parsed_again() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let cold = p.read("out/t/2022-12/facts.csv");
    p.xlsx(
        "data/2021年投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("二道区2021年重点项目")],
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("丙项目"), S("新建"), N(5500.0)],
            ],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let manifest: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).unwrap();
    let cached: Vec<(String, bool)> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_string(),
                i["cached"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cached,
        vec![
            ("data/2021年投资.xlsx".to_string(), false),
            ("data/2022年投资.xlsx".to_string(), true)
        ]
    );
    // A warm run gives the same tables as a cold one.
    let warm = p.read("out/t/2022-12/facts.csv");
    p.cmd()
        .args(["run", "p.toml", "--no-cache"])
        .assert()
        .code(0);
    assert_eq!(warm, p.read("out/t/2022-12/facts.csv"));
    assert_ne!(cold, warm);
}

#[test]
fn strict_turns_a_rejected_row_into_a_failed_run() {
    let p = project();
    one_project(
        &p,
        "data/2020年投资.xlsx",
        vec![S("戊项目"), S("新建"), S("待核实")],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    p.cmd()
        .args(["run", "p.toml", "--strict", "--out", "strict-out"])
        .assert()
        .code(3);
    assert!(!p.path("strict-out/t/2022-12").exists());
}

#[test]
fn period_option_selects_the_folder_and_rows() {
    let p = project();
    p.cmd()
        .args(["run", "p.toml", "--period", "2021-12"])
        .assert()
        .code(0);
    let facts = p.read("out/t/2021-12/facts.csv");
    assert!(!facts.contains("\n2022,"), "{facts}");
    p.cmd()
        .args(["run", "p.toml", "--period", "2021-13"])
        .assert()
        .code(2);
}

#[test]
fn changed_ingestion_settings_invalidate_the_cache() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    // Only a table changes: the datasets are the same, so the cache still holds.
    p.file(
        "p.toml",
        INVESTMENT_PIPELINE.replace("title = \"项目情况\"", "title = \"项目情况表\""),
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    // The table's kept result is not reused under its old title.
    assert!(p.read("out/t/2022-12/index.html").contains("项目情况表"));
    let cached = |p: &Project| -> Vec<bool> {
        let m: serde_json::Value =
            serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).unwrap();
        m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["cached"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(cached(&p), vec![true, true]);
    // A new synonym changes how workbooks are read: everything is parsed again.
    p.file(
        "p.toml",
        INVESTMENT_PIPELINE.replace(
            "synonyms = [\"建设性质\"]",
            "synonyms = [\"建设性质\", \"项目性质\"]",
        ),
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert_eq!(cached(&p), vec![false, false]);
}

#[test]
fn damaged_cache_entries_are_parsed_again() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let cold = p.read("out/t/2022-12/facts.csv");
    // Cut one entry short and fill the other with noise, as a full disk or a stray edit might.
    let cache = p.path("out/t/.cache");
    let entries: Vec<_> = tree(&cache)
        .into_iter()
        .map(|(rel, _)| cache.join(rel))
        .filter(|e| e.extension().is_some_and(|x| x == "bin"))
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let bytes = std::fs::read(&entries[0]).unwrap();
    std::fs::write(&entries[0], &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(&entries[1], vec![0xff; 4096]).unwrap();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let m: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).unwrap();
    let cached: Vec<bool> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["cached"].as_bool().unwrap())
        .collect();
    assert_eq!(cached, vec![false, false]);
    assert_eq!(cold, p.read("out/t/2022-12/facts.csv"));
}

/// Runs, renames a workbook (now first in input order) and runs again; the manifest's entry
/// for it.
fn run_renamed(p: &Project, from: &str, to: &str) -> serde_json::Value {
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    std::fs::rename(p.path(from), p.path(to)).unwrap();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let mut m: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).unwrap();
    let first = m["inputs"][0].take();
    assert_eq!(first["path"], to);
    first
}

#[test]
fn a_renamed_workbook_comes_from_the_cache_under_its_new_name() {
    use polars::prelude::*;
    let p = project();
    let first = run_renamed(&p, "data/2021年投资.xlsx", "data/2021年投资（终）.xlsx");
    assert_eq!(first["cached"], true);
    let file = std::fs::File::open(p.path("out/t/2022-12/data/investment.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    let files: Vec<String> = df
        .column("file")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    assert!(
        files.contains(&"data/2021年投资（终）.xlsx".to_string()),
        "{files:?}"
    );
    assert!(
        !files.contains(&"data/2021年投资.xlsx".to_string()),
        "{files:?}"
    );
}

#[test]
fn a_re_run_aggregates_only_the_datasets_whose_workbooks_changed() {
    let p = sample_project();
    let run = |args: &[&str]| {
        let out = p
            .cmd()
            .args(["run", "pipelines/erdao.toml"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}"); // the sample's three bad cells
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    run(&[]);
    // Nothing changed: every table comes from the last run.
    let log = run(&[]);
    assert!(log.contains("reused=14 aggregated=0"), "{log}");
    // One subsidy workbook renamed: its dataset's key changes, the others' do not.
    std::fs::rename(
        p.path("sample-data/2021/2021年中小微企业房租水电费补助发放情况.xlsx"),
        p.path("sample-data/2021/2021年房租水电费补助.xlsx"),
    )
    .unwrap();
    let log = run(&[]);
    assert!(log.contains("reused=12 aggregated=2"), "{log}");
    let warm = outputs(&p, "out/erdao/2022-12");
    run(&["--no-cache", "--out", "cold"]);
    let cold = outputs(&p, "cold/erdao/2022-12");
    assert_eq!(
        warm.iter().map(|(r, _)| r).collect::<Vec<_>>(),
        cold.iter().map(|(r, _)| r).collect::<Vec<_>>()
    );
    for ((rel, w), (_, c)) in warm.iter().zip(&cold) {
        assert!(w == c, "{rel} differs between the re-run and a cold run");
    }
    // The store holds this run's results only: one per table, one per dataset's data file
    // with its digest, and the partials of the 13 tables whose measures add up exactly.
    let kept = tree(&p.path("out/erdao/.cache/results"));
    let count = |ext: &str| kept.iter().filter(|k| k.0.ends_with(ext)).count();
    assert_eq!(
        (
            count(".table"),
            count(".parquet"),
            count(".sha256"),
            count(".partials"),
            kept.len()
        ),
        (14, 7, 7, 13, 41),
        "{:?}",
        kept.iter().map(|k| &k.0).collect::<Vec<_>>()
    );
    // Another period aggregates every table again, from the same data.
    let log = run(&["--period", "2021-12"]);
    assert!(log.contains("reused=0 aggregated=14"), "{log}");
    run(&["--no-cache", "--out", "cold", "--period", "2021-12"]);
    assert!(outputs(&p, "out/erdao/2021-12") == outputs(&p, "cold/erdao/2021-12"));
}

#[test]
fn a_renamed_workbook_whose_year_came_from_its_name_is_read_again() {
    let p = project();
    // No year in the sheet name or the title: it comes from the file name.
    one_project(
        &p,
        "data/2020年投资.xlsx",
        vec![S("丁项目"), S("新建"), N(3000.0)],
    );
    let first = run_renamed(&p, "data/2020年投资.xlsx", "data/2019年投资.xlsx");
    assert_eq!(first["cached"], false);
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(
        facts.contains("\n2019,") && !facts.contains("\n2020,"),
        "{facts}"
    );
}

#[test]
fn damaged_results_are_computed_again() {
    let p = sample_project();
    let run = |out: &str, args: &[&str]| {
        p.cmd()
            .args(["run", "pipelines/erdao.toml", "--out", out])
            .args(args)
            .assert()
            .code(1);
    };
    run("out", &[]);
    let results = p.path("out/erdao/.cache/results");
    for (i, (rel, bytes)) in tree(&results).into_iter().enumerate() {
        let damaged = if i % 2 == 0 {
            bytes[..bytes.len() / 2].to_vec()
        } else {
            let mut b = bytes;
            b[0] ^= 0xff;
            b
        };
        std::fs::write(results.join(rel), damaged).unwrap();
    }
    run("out", &[]);
    run("cold", &["--no-cache"]);
    assert!(outputs(&p, "out/erdao/2022-12") == outputs(&p, "cold/erdao/2022-12"));
}

#[test]
fn a_workbook_rewritten_to_the_same_size_and_modification_time_is_read_again() {
    let p = project();
    let rel = "data/2020年投资.xlsx";
    let write = |total: f64| one_project(&p, rel, vec![S("丁项目"), S("新建"), N(total)]);
    write(3000.0);
    let first = std::fs::read(p.path(rel)).unwrap();
    // Another figure whose workbook has the same size, so only the change time tells.
    let other = (3001..4000)
        .map(f64::from)
        .find(|&t| {
            write(t);
            let bytes = std::fs::read(p.path(rel)).unwrap();
            bytes.len() == first.len() && bytes != first
        })
        .expect("a figure giving a workbook of the same size");
    std::fs::write(p.path(rel), &first).unwrap();
    let modified = std::fs::metadata(p.path(rel)).unwrap().modified().unwrap();
    // A stamp is kept only for a file left alone for a while.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert!(p.read("out/t/2022-12/facts.csv").contains(",3000"));
    write(other);
    let file = std::fs::File::options()
        .write(true)
        .open(p.path(rel))
        .unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    assert_eq!(std::fs::read(p.path(rel)).unwrap().len(), first.len());
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(
        facts.contains(&format!(",{other}")) && !facts.contains(",3000"),
        "{facts}"
    );
}

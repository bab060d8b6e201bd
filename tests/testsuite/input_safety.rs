//! Inputs as they arrive from other offices: the same file name in two folders, names that are
//! not UTF-8, the same workbook twice, things that are not files, and small files that would
//! cost gigabytes. Every input is read once, or named with the reason it was not.

use crate::common::*;
use std::path::Path;

fn manifest(p: &Project, dir: &str) -> serde_json::Value {
    serde_json::from_str(&p.read(&format!("{dir}/t/2022-12/manifest.json"))).expect("manifest")
}

fn input_paths(m: &serde_json::Value) -> Vec<String> {
    m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect()
}

/// An investment workbook whose title row gives the year, so that any file name will do.
fn titled_book(p: &Project, rel: &str, project: &'static str, amount: f64) {
    p.xlsx(
        rel,
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("2022年重点项目")],
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S(project), S("新建"), N(amount)],
            ],
        )],
    );
}

fn stderr_of(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).to_string()
}

#[test]
fn the_same_file_name_in_two_folders_is_read_twice_under_names_that_differ() {
    let p = Project::new();
    p.file(
        "pipe/p.toml",
        INVESTMENT_PIPELINE.replace(
            r#"include = ["data/**/*.xlsx", "data/**/*.xls", "data/**/*.ods"]"#,
            r#"include = ["../districtA/2022/*.xlsx", "../districtB/2022/*.xlsx"]"#,
        ),
    );
    titled_book(&p, "districtA/2022/投资.xlsx", "甲项目", 100.0);
    titled_book(&p, "districtB/2022/投资.xlsx", "乙项目", 200.0);
    p.cmd()
        .args(["run", "pipe/p.toml", "--out", "out"])
        .assert()
        .code(0);
    let m = manifest(&p, "out");
    assert_eq!(
        input_paths(&m),
        ["districtA/2022/投资.xlsx", "districtB/2022/投资.xlsx"]
    );
    assert_eq!(m["accounting"]["rows_kept"], 2);
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,2"), "{facts}");
}

#[cfg(unix)]
fn gbk_name(dir: &Path, name: &str) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let (bytes, _, bad) = encoding_rs::GBK.encode(name);
    assert!(!bad);
    dir.join(std::ffi::OsStr::from_bytes(&bytes))
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_are_decoded_for_display_and_every_file_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let p = pipeline_project();
    // As unzipped from an archive made on Chinese Windows: GBK bytes in the names.
    let rows = [
        ("2022年甲.xlsx", "甲项目"),
        ("2022年乙.xlsx", "乙项目"),
        ("2022年丙.xlsx", "丙项目"),
    ];
    for (i, (name, project)) in rows.iter().enumerate() {
        titled_book(&p, "tmp.xlsx", project, 10.0 * (i + 1) as f64);
        std::fs::create_dir_all(p.path("data")).unwrap();
        std::fs::rename(p.path("tmp.xlsx"), gbk_name(&p.path("data"), name)).unwrap();
    }
    // Two names that no encoding reads: they show the same text, so the second is numbered.
    for (i, raw) in [&b"\xfe.xlsx"[..], b"\xff.xlsx"].into_iter().enumerate() {
        titled_book(&p, "tmp.xlsx", ["丁项目", "戊项目"][i], 1.0);
        std::fs::rename(
            p.path("tmp.xlsx"),
            p.path("data").join(std::ffi::OsStr::from_bytes(raw)),
        )
        .unwrap();
    }
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let m = manifest(&p, "out");
    assert_eq!(
        input_paths(&m),
        [
            "data/2022年丙.xlsx",
            "data/2022年乙.xlsx",
            "data/2022年甲.xlsx",
            "data/\u{fffd}.xlsx",
            "data/\u{fffd}.xlsx [2]",
        ]
    );
    assert_eq!(m["accounting"]["rows_kept"], 5);
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,5"), "{facts}");
}

#[test]
fn a_file_reached_by_two_globs_or_a_link_is_one_input() {
    let p = Project::new();
    p.file(
        "p.toml",
        INVESTMENT_PIPELINE.replace(
            r#"include = ["data/**/*.xlsx", "data/**/*.xls", "data/**/*.ods"]"#,
            r#"include = ["data/**/*.xlsx", "./data/*.xlsx", "data/x/../*.xlsx"]"#,
        ),
    );
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲"), S("新建"), N(1.0)]],
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink("../2022年投资.xlsx", p.path("data/x/link.xlsx"))
        .or_else(|_| {
            std::fs::create_dir_all(p.path("data/x"))?;
            std::os::unix::fs::symlink("../2022年投资.xlsx", p.path("data/x/link.xlsx"))
        })
        .unwrap();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let m = manifest(&p, "out");
    assert_eq!(input_paths(&m), ["data/2022年投资.xlsx"]);
    assert_eq!(m["duplicates"].as_array().unwrap().len(), 0);
}

#[test]
fn the_same_workbook_twice_is_read_once_and_named_as_a_duplicate() {
    let p = pipeline_project();
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![
            vec![S("甲"), S("新建"), N(100.0)],
            vec![S("乙"), S("续建"), N(50.0)],
        ],
    );
    std::fs::create_dir_all(p.path("data/sub")).unwrap();
    std::fs::copy(
        p.path("data/2022年投资.xlsx"),
        p.path("data/sub/2022年投资.xlsx"),
    )
    .unwrap();
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("data/sub/2022年投资.xlsx: the same bytes as data/2022年投资.xlsx"),
        "{stderr}"
    );
    let m = manifest(&p, "out");
    assert_eq!(input_paths(&m), ["data/2022年投资.xlsx"]);
    let d = &m["duplicates"][0];
    assert_eq!(d["path"], "data/sub/2022年投资.xlsx");
    assert_eq!(d["same_as"], "data/2022年投资.xlsx");
    assert_eq!(d["sha256"], m["inputs"][0]["sha256"]);
    assert!(m["warnings"].to_string().contains("the same bytes as"));
    assert_eq!(m["accounting"]["rows_kept"], 2);
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,2"), "{facts}");
    // A second run takes both from the parse cache and still counts them once.
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let m = manifest(&p, "out");
    assert_eq!(m["accounting"]["rows_kept"], 2);
    assert_eq!(m["duplicates"].as_array().unwrap().len(), 1);
}

#[test]
fn a_star_in_an_include_glob_stays_in_its_folder() {
    let p = Project::new();
    p.file(
        "p.toml",
        INVESTMENT_PIPELINE.replace(
            r#"include = ["data/**/*.xlsx", "data/**/*.xls", "data/**/*.ods"]"#,
            r#"include = ["data/*.xlsx"]"#,
        ),
    );
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲"), S("新建"), N(1.0)]],
    );
    investment_book(
        &p,
        "data/old/2022年投资.xlsx",
        vec![vec![S("乙"), S("新建"), N(2.0)]],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert_eq!(input_paths(&manifest(&p, "out")), ["data/2022年投资.xlsx"]);
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_among_the_inputs_is_a_file_error_not_a_hang() {
    let p = pipeline_project();
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲"), S("新建"), N(1.0)]],
    );
    let fifo = p.path("data/2022年管道.xlsx");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", p.path("data/2022年零.xlsx")).unwrap();
    let out = p
        .cmd()
        .args(["run", "p.toml"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1);
    assert!(!stderr_of(&out).contains("panicked"));
    let errors = manifest(&p, "out")["errors"].to_string();
    assert!(
        errors.contains("data/2022年管道.xlsx: a named pipe (FIFO), not a regular file"),
        "{errors}"
    );
    assert!(
        errors.contains("data/2022年零.xlsx: a character device, not a regular file"),
        "{errors}"
    );
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,1"), "{facts}");
}

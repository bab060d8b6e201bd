//! Split ingestion: `yearbook ingest` writes shares of the inputs into one partitioned Parquet
//! folder, and `yearbook run --from-parquet` gives the same outputs as a direct run.

use crate::common::*;

fn book(p: &Project, name: &str, year: &'static str, rows: Vec<Vec<C>>) {
    let mut all = vec![
        vec![S(year)],
        vec![S("项目名称"), S("建设性质"), S("总投资"), S("完成投资")],
    ];
    all.extend(rows);
    p.xlsx(name, &[SheetSpec::new("项目", all)]);
}

fn project() -> Project {
    let p = Project::new();
    p.file("p.toml", INVESTMENT_PIPELINE);
    book(
        &p,
        "data/2021年投资.xlsx",
        "2021年重点项目",
        vec![
            vec![S("甲"), S("新建"), N(100.0), N(10.0)],
            vec![S("乙"), S("续建"), N(200.0), N(20.0)],
        ],
    );
    book(
        &p,
        "data/2022年投资.xlsx",
        "2022年重点项目",
        vec![
            vec![S("甲"), S("续建"), N(100.0), N(30.0)],
            vec![S("丙"), S("新建"), N(50.0), S("abc")],
            vec![S("丁"), S("新建"), N(80.0), N(8.0)],
        ],
    );
    p
}

fn parts(p: &Project, dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![p.path(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(p.path(dir)).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn shares_ingested_apart_aggregate_like_a_direct_run() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    for f in ["data/2021年投资.xlsx", "data/2022年投资.xlsx"] {
        let code = p
            .cmd()
            .args(["ingest", "p.toml", "--out", "clean", f])
            .output()
            .expect("ingest")
            .status
            .code();
        assert!(matches!(code, Some(0 | 1)), "{f}: {code:?}");
    }
    let files = parts(&p, "clean");
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(files
        .iter()
        .any(|f| f.starts_with("investment/year=2022/month=__HIVE_DEFAULT_PARTITION__/part-")));
    assert_eq!(
        files.iter().filter(|f| f.starts_with("_ingest/")).count(),
        2
    );

    p.cmd()
        .args(["run", "p.toml", "--from-parquet", "clean", "--out", "again"])
        .assert()
        .code(1);
    for f in [
        "facts.csv",
        "rejected.csv",
        "tables/by_nature.csv",
        "tables/t.xlsx",
    ] {
        let a = std::fs::read(p.path(&format!("out/t/2022-12/{f}"))).expect(f);
        let b = std::fs::read(p.path(&format!("again/t/2022-12/{f}"))).expect(f);
        assert!(a == b, "{f} differs");
    }
    let m = |dir: &str| -> serde_json::Value {
        serde_json::from_str(&p.read(&format!("{dir}/t/2022-12/manifest.json"))).unwrap()
    };
    assert_eq!(m("out")["accounting"], m("again")["accounting"]);
    assert!(p.read("again/t/2022-12/rejected.csv").contains("abc"));

    // Ingesting a share again replaces its parts.
    p.cmd()
        .args(["ingest", "p.toml", "--out", "clean", "data/2022年投资.xlsx"])
        .assert()
        .code(1);
    assert_eq!(parts(&p, "clean"), files);
}

/// Runs yearbook expecting a usage error (exit 2); returns what it printed on stderr.
fn usage_error(p: &Project, args: &[&str]) -> String {
    let out = p.cmd().args(args).output().expect("yearbook");
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_list_file_and_a_stranger_in_it() {
    let p = project();
    p.file("other.xlsx", "");
    p.file(
        "list.txt",
        "# share 1\ndata/2021年投资.xlsx\n\nother.xlsx\n",
    );
    let ingest = [
        "ingest",
        "p.toml",
        "--out",
        "clean",
        "--files-from",
        "list.txt",
    ];
    let err = usage_error(&p, &ingest);
    assert!(
        err.contains("error: not inputs of p.toml: other.xlsx"),
        "{err}"
    );
    p.file("list.txt", "data/2021年投资.xlsx\n");
    p.cmd().args(ingest).assert().success();
    assert!(parts(&p, "clean")
        .iter()
        .any(|f| f.starts_with("investment/year=2021/")));
}

#[test]
fn from_parquet_needs_an_ingested_folder() {
    let p = project();
    std::fs::create_dir_all(p.path("empty")).unwrap();
    let err = usage_error(&p, &["run", "p.toml", "--from-parquet", "empty"]);
    assert!(
        err.contains("is not a clean-data folder written by `yearbook ingest`"),
        "{err}"
    );
}

#[test]
fn a_damaged_part_is_named() {
    let p = project();
    p.cmd()
        .args(["ingest", "p.toml", "--out", "clean", "data/2021年投资.xlsx"])
        .assert()
        .success();
    let part = parts(&p, "clean")
        .into_iter()
        .find(|f| f.ends_with(".parquet"))
        .expect("a part");
    p.file(&format!("clean/{part}"), "not parquet");
    let err = usage_error(&p, &["run", "p.toml", "--from-parquet", "clean"]);
    assert!(
        err.contains("error: cannot read") && err.contains(&part),
        "{err}"
    );
}

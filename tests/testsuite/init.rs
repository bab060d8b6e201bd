//! `yearbook init FOLDER` then `yearbook run` with no edit: folders whose headers vary from
//! year to year and from the dictionary's, and the shipped sample.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// facts.csv as (year, month, table, dimension, key, metric) -> value (the unit, the
/// eighth field, left out).
fn facts(text: &str) -> BTreeMap<[String; 6], String> {
    let mut got = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() == 8 {
            got.insert(
                [f[0], f[1], f[2], f[3], f[4], f[5]]
                    .map(|s| s.trim_start_matches('\u{feff}').to_string()),
                f[6].to_string(),
            );
        }
    }
    got
}

/// The generated pipeline, parsed.
fn pipeline(p: &Project, rel: &str) -> toml::Value {
    toml::from_str(&p.read(rel)).expect("init writes TOML")
}

/// The table of `dataset` grouped by `by` (None: the totals table), and the name of its
/// measure over `field` (None: the row count).
fn measure(
    pl: &toml::Value,
    dataset: &str,
    by: Option<&str>,
    field: Option<&str>,
) -> (String, String) {
    let tables = pl["tables"].as_array().expect("tables");
    let t = tables
        .iter()
        .find(|t| {
            t["dataset"].as_str() == Some(dataset)
                && t.get("period").is_none()
                && match by {
                    None => t.get("by").is_none(),
                    Some(b) => t
                        .get("by")
                        .and_then(|v| v.as_array())
                        .is_some_and(|a| a.len() == 1 && a[0].as_str() == Some(b)),
                }
        })
        .unwrap_or_else(|| panic!("no table of {dataset} by {by:?}"));
    let m = t["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| match field {
            None => m["op"].as_str() == Some("count"),
            Some(f) => m["op"].as_str() == Some("sum") && m["field"].as_str() == Some(f),
        })
        .unwrap_or_else(|| panic!("no measure over {field:?} in {}", t["name"]));
    (
        t["name"].as_str().unwrap().to_string(),
        m["name"].as_str().unwrap().to_string(),
    )
}

fn dataset_fields(pl: &toml::Value, dataset: &str) -> BTreeMap<String, String> {
    pl["datasets"][dataset]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no dataset {dataset}"))
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Two years of 投资, 补贴 and 税收 workbooks whose headers differ between the years and from
/// the dictionary's, with titles, unit lines, totals and a lock file.
fn district(p: &Project) {
    p.xlsx(
        "data/2022/投资.xlsx",
        &[SheetSpec::new(
            "2022年投资",
            vec![
                vec![S("某区2022年重点项目建设情况")],
                vec![S("单位：万元")],
                vec![
                    S("序号"),
                    S("项目名称"),
                    S("类别"),
                    S("总投资"),
                    S("2022年计划投资"),
                    S("完成投资"),
                    S("带动就业人数"),
                ],
                vec![S("合计"), E, E, N(1600.0), N(700.0), N(410.0), N(90.0)],
                vec![
                    N(1.0),
                    S("甲项目"),
                    S("产业"),
                    N(1000.0),
                    N(400.0),
                    N(300.0),
                    N(50.0),
                ],
                vec![
                    N(2.0),
                    S("乙项目"),
                    S("民生"),
                    N(500.0),
                    N(200.0),
                    N(60.0),
                    N(30.0),
                ],
                vec![
                    N(3.0),
                    S("丙项目"),
                    S("产业"),
                    N(100.0),
                    N(100.0),
                    N(50.0),
                    N(10.0),
                ],
            ],
        )],
    );
    p.xlsx(
        "data/2023/投资.xlsx",
        &[SheetSpec::new(
            "投资",
            vec![
                vec![S("某区2023年重点项目建设情况")],
                vec![
                    S("项目"),
                    S("项目类别"),
                    S("计划总投资（万元）"),
                    S("2023年计划投资（万元）"),
                    S("本年完成投资（万元）"),
                    S("带动就业人数（人）"),
                ],
                vec![
                    S("甲项目"),
                    S("产业"),
                    N(1000.0),
                    N(300.0),
                    N(250.5),
                    N(40.0),
                ],
                vec![
                    S("丁项目"),
                    S("民生"),
                    N(800.0),
                    N(500.0),
                    N(120.0),
                    N(20.0),
                ],
                vec![S("戊项目"), S("民生"), N(200.0), N(200.0), N(80.0), N(5.0)],
                vec![S("注：数据来源区发改局")],
            ],
        )],
    );
    // 类别 is no dictionary dataset's identifying field: a new dataset, named from the sheet.
    p.xlsx(
        "data/2022/补贴.xlsx",
        &[SheetSpec::new(
            "补贴",
            vec![
                vec![S("2022年补贴发放情况")],
                vec![S("街道"), S("类别"), S("户数"), S("金额（元）")],
                vec![S("东街道"), S("房租"), N(10.0), N(50000.0)],
                vec![S("东街道"), S("水电"), N(5.0), N(12000.0)],
                vec![S("西街道"), S("房租"), N(8.0), N(40000.0)],
                vec![S("西街道"), S("水电"), N(2.0), N(3000.0)],
                vec![S("合　计"), E, N(25.0), N(105000.0)],
            ],
        )],
    );
    p.xlsx(
        "data/2023/补贴.xlsx",
        &[SheetSpec::new(
            "2023年补贴",
            vec![
                vec![S("2023年补贴发放情况")],
                vec![S("金额单位：元")],
                vec![S("街道（镇）"), S("类别"), S("受益户数"), S("补助金额")],
                vec![S("东街道"), S("房租"), N(12.0), N(60000.0)],
                vec![S("西街道"), S("房租"), N(9.0), N(45000.0)],
                vec![S("西街道"), S("水电"), N(3.0), N(6000.0)],
            ],
        )],
    );
    // A tax sheet with 类别, 金额, 办理笔数 under a generic sheet name: named from its title.
    p.xlsx(
        "data/2022/税收.xlsx",
        &[SheetSpec::new(
            "Sheet1",
            vec![
                vec![S("2022年税收情况")],
                vec![S("单位：万元")],
                vec![S("类别"), S("金额"), S("办理笔数")],
                vec![S("增值税"), N(300.0), N(12.0)],
                vec![S("所得税"), N(200.0), N(8.0)],
                vec![S("增值税"), N(100.0), N(4.0)],
                vec![S("合计"), N(600.0), N(24.0)],
            ],
        )],
    );
    p.xlsx(
        "data/2023/税收.xlsx",
        &[SheetSpec::new(
            "Sheet1",
            vec![
                vec![S("2023年税收情况")],
                vec![S("类别"), S("金额（万元）"), S("笔数")],
                vec![S("增值税"), N(350.0), N(15.0)],
                vec![S("所得税"), N(250.0), N(9.0)],
                vec![S("所得税"), N(50.0), N(1.0)],
            ],
        )],
    );
    // Excel's lock file for an open workbook: never an input.
    p.file("data/2023/~$投资.xlsx", b"\x00\x01 lock");
}

#[test]
fn init_then_run_finds_the_totals_in_folders_with_varied_headers() {
    let p = Project::new();
    district(&p);
    let out = p.cmd().args(["init", "data"]).assert();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert_eq!(out.get_output().status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("dataset 补贴"), "{stdout}");
    assert!(stdout.contains("next: yearbook run"), "{stdout}");
    let pl = pipeline(&p, "data/pipeline.toml");
    let text = p.read("data/pipeline.toml");

    // Inputs: only xlsx is present; lock files and the output folder are left out.
    assert_eq!(
        pl["inputs"]["include"].as_array().unwrap().len(),
        1,
        "{text}"
    );
    let exclude: Vec<&str> = pl["inputs"]["exclude"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(exclude.contains(&"**/~$*"), "{text}");
    assert!(exclude.contains(&"out/**"), "{text}");

    // Known headers keep the dictionary's names wherever they appear; the rest are named
    // after the header with an inferred kind.
    let inv = dataset_fields(&pl, "investment");
    assert_eq!(inv["category"], "text", "{text}");
    assert_eq!(inv["annual_plan"], "money", "{text}");
    assert_eq!(inv["带动就业人数"], "count", "{text}");
    assert!(!inv.contains_key("seq") || inv["seq"] == "text");
    let sub = dataset_fields(&pl, "补贴");
    assert_eq!(sub["amount"], "money", "{text}");
    assert_eq!(sub["households"], "count", "{text}");
    let tax = dataset_fields(&pl, "税收");
    assert_eq!(tax["transactions"], "count", "{text}");
    assert_eq!(tax["amount"], "money", "{text}");
    assert_eq!(tax["category"], "text", "{text}");
    // Measures are named in Chinese after the headers; money shows 2 decimals.
    for t in pl["tables"].as_array().unwrap() {
        for m in t["measures"].as_array().unwrap() {
            let name = m["name"].as_str().unwrap();
            assert!(
                name.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{name}"
            );
            assert_ne!(name, "行数");
        }
    }
    let (_, plan) = measure(&pl, "investment", None, Some("annual_plan"));
    assert_eq!(plan, "本年计划投资");
    assert!(
        text.contains("field = \"total_investment\", decimals = 2"),
        "{text}"
    );
    // Year prefixes are not kept in synonyms.
    assert!(!text.contains("\"2022年计划投资\""), "{text}");
    assert!(text.contains("# From"), "{text}");

    let run = p.cmd().args(["run", "data/pipeline.toml"]).assert();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert_eq!(run.get_output().status.code(), Some(0), "{stderr}");
    let got = facts(&p.read("data/out/data/2023-12/facts.csv"));
    let check =
        |year: &str, ds: &str, by: Option<&str>, key: &str, field: Option<&str>, want: &str| {
            let (table, metric) = measure(&pl, ds, by, field);
            let k = [year, "", &table, by.unwrap_or("total"), key, &metric].map(String::from);
            assert_eq!(got.get(&k).map(String::as_str), Some(want), "{k:?}\n{text}");
        };
    check("2022", "investment", None, "合计", None, "3");
    check(
        "2022",
        "investment",
        None,
        "合计",
        Some("total_investment"),
        "1600.0000",
    );
    check(
        "2023",
        "investment",
        None,
        "合计",
        Some("annual_plan"),
        "1000.0000",
    );
    check(
        "2023",
        "investment",
        None,
        "合计",
        Some("completed"),
        "450.5000",
    );
    check(
        "2023",
        "investment",
        None,
        "合计",
        Some("带动就业人数"),
        "65",
    );
    check(
        "2022",
        "investment",
        Some("category"),
        "产业",
        Some("completed"),
        "350.0000",
    );
    check("2023", "investment", Some("category"), "民生", None, "2");
    // 元 in the header and on a 单位 line, shown in 万元.
    check("2022", "补贴", None, "合计", Some("amount"), "10.5000");
    check("2023", "补贴", None, "合计", Some("amount"), "11.1000");
    check("2023", "补贴", None, "合计", Some("households"), "24");
    check(
        "2022",
        "补贴",
        Some("area"),
        "东街道",
        Some("households"),
        "15",
    );
    check("2022", "税收", None, "合计", Some("amount"), "600.0000");
    check("2023", "税收", None, "合计", Some("transactions"), "25");
    check(
        "2023",
        "税收",
        Some("category"),
        "所得税",
        Some("amount"),
        "300.0000",
    );

    // The clean data holds every data row, with the amounts as read.
    use polars::prelude::*;
    let file = std::fs::File::open(p.path("data/out/data/2023-12/data/税收.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), 6, "{df}");
    let tx: i64 = df
        .column("transactions")
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .sum()
        .unwrap();
    assert_eq!(tx, 49);

    // A second run reads its workbooks only, not the first run's tables.
    p.cmd().args(["run", "data/pipeline.toml"]).assert().code(0);
    let m: serde_json::Value =
        serde_json::from_str(&p.read("data/out/data/2023-12/manifest.json")).unwrap();
    let inputs: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(inputs.len(), 6, "{inputs:?}");
    assert!(
        inputs
            .iter()
            .all(|i| !i.contains("out/") && !i.contains("~$")),
        "{inputs:?}"
    );
}

#[test]
fn init_never_overwrites_without_force_and_skips_earlier_output() {
    let p = Project::new();
    district(&p);
    p.cmd().args(["init", "data"]).assert().code(0);
    p.cmd().args(["run", "data/pipeline.toml"]).assert().code(0);
    let first = p.read("data/pipeline.toml");
    p.file("data/pipeline.toml", "# mine\n");
    let out = p.cmd().args(["init", "data"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(p.read("data/pipeline.toml"), "# mine\n");
    // With --force, the output the first run wrote (xlsx tables included) is not surveyed.
    p.cmd().args(["init", "data", "--force"]).assert().code(0);
    assert_eq!(p.read("data/pipeline.toml"), first);
}

#[test]
fn init_names_new_datasets_safely_and_says_what_it_guessed() {
    let p = Project::new();
    p.xlsx(
        "d/2022年 报表.xlsx",
        &[SheetSpec::new(
            "2022年 其他.情况",
            vec![
                vec![S("指标名称"), S("指标值")],
                vec![S("甲"), N(1.0)],
                vec![S("乙"), N(2.0)],
            ],
        )],
    );
    let out = p
        .cmd()
        .args(["init", "d", "--output", "p.toml"])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("dataset 其他 (其他, new)"), "{stdout}");
    assert!(stdout.contains("read as a count"), "{stdout}");
    let text = p.read("p.toml");
    assert!(text.contains("include = [\"d/**/*.xlsx\"]"), "{text}");
    assert!(text.contains("inferred: whole numbers"), "{text}");
    p.cmd().args(["validate", "p.toml"]).assert().code(0);
}

fn repo(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Published figures (by their number in sample-data/README.md) that init's default tables
/// cover: (dataset, grouping field, key, summed field or None for the count). The others
/// need a filter (5000万元以上, 限办改即办, …) or a rate, which init does not guess.
/// (figure, dataset, grouping field, key, summed field).
type Covered = (
    u32,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
);

const COVERED: [Covered; 20] = [
    (5, "services", Some("service_type"), "项目手续办理", None),
    (6, "services", Some("service_type"), "企业帮办", None),
    (10, "funds", Some("fund_type"), "专项债券", Some("amount")),
    (
        11,
        "funds",
        Some("fund_type"),
        "中央预算内资金",
        Some("amount"),
    ),
    (
        12,
        "funds",
        Some("fund_type"),
        "中央补助资金",
        Some("amount"),
    ),
    (
        13,
        "funds",
        Some("fund_type"),
        "农发行专项基金",
        Some("amount"),
    ),
    (14, "funds", Some("fund_type"), "省预算内资金", None),
    (
        15,
        "funds",
        Some("fund_type"),
        "省预算内资金",
        Some("amount"),
    ),
    (16, "subsidy", None, "合计", Some("households")),
    (17, "subsidy", None, "合计", Some("amount")),
    (
        18,
        "funds",
        Some("fund_type"),
        "工会贴息贷款",
        Some("quota"),
    ),
    (
        19,
        "funds",
        Some("fund_type"),
        "工会贴息贷款",
        Some("amount"),
    ),
    (20, "funds", Some("fund_type"), "区级政策奖励资金", None),
    (
        21,
        "funds",
        Some("fund_type"),
        "区级政策奖励资金",
        Some("amount"),
    ),
    (22, "financing", None, "合计", None),
    (23, "financing", None, "合计", Some("enterprises")),
    (24, "financing", None, "合计", Some("amount")),
    (25, "tax_relief", None, "合计", Some("amount")),
    (
        31,
        "tax_service",
        Some("mode"),
        "电子税务局",
        Some("transactions"),
    ),
    (32, "services", Some("service_type"), "用工服务走访", None),
];

/// Figure number -> published value, from the README's figures table.
fn published() -> BTreeMap<u32, String> {
    let readme = std::fs::read_to_string(repo("sample-data/README.md")).unwrap();
    let mut out = BTreeMap::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() == 10 {
            if let Ok(n) = cells[0].parse::<u32>() {
                out.insert(n, cells[9].to_string());
            }
        }
    }
    out
}

#[test]
fn init_on_the_sample_reproduces_the_published_figures_its_tables_cover() {
    let p = Project::new();
    copy_dir(&repo("sample-data"), &p.path("sample-data"));
    std::fs::remove_file(p.path("sample-data/README.md")).unwrap();
    p.cmd().args(["init", "sample-data"]).assert().code(0);
    let pl = pipeline(&p, "sample-data/pipeline.toml");
    // The synthetic older years carry three deliberately bad cells.
    p.cmd()
        .args(["run", "sample-data/pipeline.toml"])
        .assert()
        .code(1);
    let dir = "sample-data/out/sample-data/2022-12";
    let got = facts(&p.read(&format!("{dir}/facts.csv")));
    let want = published();
    let mut wrong = Vec::new();
    for (n, ds, by, key, field) in COVERED {
        let (table, metric) = measure(&pl, ds, by, field);
        let k = ["2022", "", &table, by.unwrap_or("total"), key, &metric].map(String::from);
        if got.get(&k) != want.get(&n) {
            wrong.push(format!(
                "#{n} {k:?}: expected {:?}, got {:?}",
                want.get(&n),
                got.get(&k)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The second run reads the 41 workbooks and the portal export again, and nothing the
    // first one wrote.
    let before = p.read(&format!("{dir}/facts.csv"));
    p.cmd()
        .args(["run", "sample-data/pipeline.toml"])
        .assert()
        .code(1);
    let m: serde_json::Value =
        serde_json::from_str(&p.read(&format!("{dir}/manifest.json"))).unwrap();
    let inputs = m["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 42);
    assert!(inputs.iter().any(|i| i["path"]
        .as_str()
        .unwrap()
        .ends_with("长春市分县地区生产总值（门户导出）.xlsx")));
    assert!(inputs
        .iter()
        .all(|i| !i["path"].as_str().unwrap().contains("out/")));
    assert_eq!(p.read(&format!("{dir}/facts.csv")), before);
}

#[test]
fn init_writes_a_pipeline_that_validates() {
    let p = Project::new();
    p.xlsx(
        "data/2022年重点项目.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("二道区2022年重点项目")],
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("甲"), S("新建"), N(6000.0)],
            ],
        )],
    );
    p.cmd()
        .args(["init", "data", "--output", "starter.toml"])
        .assert()
        .code(0);
    let text = p.read("starter.toml");
    assert!(text.contains("[datasets.investment]"), "{text}");
    p.cmd().args(["validate", "starter.toml"]).assert().code(0);
    p.cmd()
        .args(["init", "data", "--output", "starter.toml"])
        .assert()
        .code(2);
}

#[test]
fn inspect_without_a_pipeline_uses_the_built_in_dictionary() {
    let p = Project::new();
    p.xlsx(
        "data/2022年减免退税.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("序号"), S("税种"), S("2022年1-6月金额（万元）")],
                vec![N(1.0), S("增值税"), N(12.5)],
            ],
        )],
    );
    let out = p
        .cmd()
        .args(["inspect", "data/2022年减免退税.xlsx"])
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("table: tax_relief (减免退税)"), "{text}");
    assert!(
        text.contains("`2022年1-6月金额（万元）` -> amount (money, unit 万元)"),
        "{text}"
    );
    assert!(text.contains("`序号` -> seq (text)"), "{text}");
    assert!(!text.contains("not mapped"), "{text}");
}

#[test]
fn init_names_a_workbook_it_cannot_read_and_exits_1() {
    let p = Project::new();
    district(&p);
    p.file("data/2023/坏.xlsx", b"PK\x03\x04 not really a workbook");
    let out = p.cmd().args(["init", "data"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("workbooks that could not be read:\n  2023/坏.xlsx"),
        "{stdout}"
    );
    // The pipeline is written all the same, for the workbooks that could be read.
    assert!(p
        .read("data/pipeline.toml")
        .contains("[datasets.investment]"));
}

#[test]
fn a_header_naming_another_year_than_the_tables_is_read_with_a_warning() {
    let p = Project::new();
    p.xlsx(
        "data/2023年投资.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("项目名称"), S("总投资"), S("2022年完成投资")],
                vec![S("甲"), N(100.0), N(40.0)],
            ],
        )],
    );
    p.cmd().args(["init", "data"]).assert().code(0);
    let out = p.cmd().args(["run", "data/pipeline.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let m = p.read("data/out/data/2023-12/manifest.json");
    assert!(
        m.contains(
            "header `2022年完成投资` (C) names 2022, but the table's year is 2023 (from file name)"
        ),
        "{stderr}\n{m}"
    );
}

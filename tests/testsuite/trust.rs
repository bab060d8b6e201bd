//! Layouts from other offices' workbooks that once gave wrong figures with exit 0: each test
//! states the figures a statistician expects, and every remaining doubt is a warning in
//! stderr, manifest.json and index.html, with exit 1.

use crate::common::*;

fn manifest(p: &Project, period: &str) -> serde_json::Value {
    serde_json::from_str(&p.read(&format!("out/t/{period}/manifest.json"))).expect("manifest")
}

fn warnings(p: &Project, period: &str) -> Vec<String> {
    manifest(p, period)["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The value of one figure in facts.csv: (year, month or "", table, key, metric); the
/// eighth field is its unit.
fn fact(
    p: &Project,
    period: &str,
    year: i32,
    month: &str,
    table: &str,
    key: &str,
    metric: &str,
) -> Option<String> {
    let facts = p.read(&format!("out/t/{period}/facts.csv"));
    facts.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split(',').collect();
        (f.len() == 8
            && f[0] == year.to_string()
            && f[1] == month
            && f[2] == table
            && f[4] == key
            && f[5] == metric)
            .then(|| f[6].to_string())
    })
}

/// A funds dataset whose rows are grouped by type.
const FUNDS: &str = r#"
name = "t"

[inputs]
include = ["data/**/*.xlsx"]

[output]
dir = "out"

[datasets.funds]
identify = ["item", "amount"]

[[datasets.funds.fields]]
name = "kind"
kind = "text"
synonyms = ["类型", "资金类型"]

[[datasets.funds.fields]]
name = "item"
kind = "text"
synonyms = ["项目名称", "项目"]

[[datasets.funds.fields]]
name = "amount"
kind = "money"
synonyms = ["金额", "拨付金额"]

[[tables]]
name = "by_kind"
dataset = "funds"
by = ["kind"]
measures = [{ name = "金额", op = "sum", field = "amount" }, { name = "笔数", op = "count" }]
"#;

fn funds_sheet(subtotal: f64) -> SheetSpec {
    SheetSpec::new(
        "资金",
        vec![
            vec![S("二道区2022年政策资金拨付情况")],
            vec![S("单位：万元")],
            vec![S("类型"), S("项目名称"), S("金额")],
            vec![S("创业担保贷款贴息"), S("甲公司"), N(100.0)],
            vec![S("创业担保贷款贴息"), S("乙公司"), N(50.0)],
            vec![S("创业担保贷款贴息小计"), E, N(150.0)],
            vec![S("政策奖励资金"), S("丙公司"), N(30.0)],
            vec![S("政策奖励资金小计"), E, N(subtotal)],
            vec![S("合计"), E, N(180.0)],
            vec![S("合计划生育服务站"), S("丁站"), N(0.0)],
        ],
    )
}

#[test]
fn subtotals_with_long_group_names_are_totals_and_each_is_checked() {
    let p = Project::new();
    p.file("p.toml", FUNDS);
    p.xlsx("data/2022年资金.xlsx", &[funds_sheet(30.0)]);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let f = |key: &str, metric: &str| fact(&p, "2022-12", 2022, "", "by_kind", key, metric);
    // Each group once, the 合计 not doubled; a name that only begins with 合计 is data.
    assert_eq!(f("合计", "金额").as_deref(), Some("180.0000"));
    assert_eq!(f("合计", "笔数").as_deref(), Some("4"));
    assert_eq!(f("创业担保贷款贴息", "金额").as_deref(), Some("150.0000"));
    assert_eq!(f("政策奖励资金", "金额").as_deref(), Some("30.0000"));
    assert_eq!(f("合计划生育服务站", "笔数").as_deref(), Some("1"));
    assert_eq!(f("创业担保贷款贴息小计", "金额"), None);
    assert_eq!(manifest(&p, "2022-12")["skipped_by_reason"]["total"], 3);

    // A wrong 小计 among several total rows is named with its row, column and both figures.
    let q = Project::new();
    q.file("p.toml", FUNDS);
    q.xlsx("data/2022年资金.xlsx", &[funds_sheet(40.0)]);
    let out = q.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let expected = "total `政策奖励资金小计` row 8 (金额) says 40.0000万元 but the data rows of its group (rows 7-7) sum to 30.0000万元";
    assert!(stderr.contains(expected), "{stderr}");
    assert!(warnings(&q, "2022-12").iter().any(|w| w.contains(expected)));
    assert!(q.read("out/t/2022-12/index.html").contains(expected));
}

#[test]
fn a_rejected_row_in_a_group_does_not_get_its_subtotal_checked_against_the_next_group() {
    let p = Project::new();
    p.file("p.toml", FUNDS);
    let sheet = SheetSpec::new(
        "资金",
        vec![
            vec![S("类型"), S("项目名称"), S("金额")],
            vec![S("创业担保贷款贴息"), S("甲公司"), N(100.0)],
            vec![S("创业担保贷款贴息"), S("乙公司"), S("待定")],
            vec![S("小计"), E, N(150.0)],
            vec![S("政策奖励资金"), S("丙公司"), N(30.0)],
            vec![S("小计"), E, N(30.0)],
        ],
    );
    p.xlsx("data/2022年资金.xlsx", &[sheet]);
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    // The rejection is the one doubt: the first 小计 is not compared with rows 5-5.
    assert_eq!(
        warnings(&p, "2022-12"),
        vec!["1 rows rejected; see rejected.csv".to_string()]
    );
}

#[test]
fn subtotals_above_their_groups_are_checked_against_the_rows_below_only() {
    let p = Project::new();
    p.file("p.toml", FUNDS);
    // The second 小计 equals the group above it, not its own group below.
    let sheet = SheetSpec::new(
        "资金",
        vec![
            vec![S("类型"), S("项目名称"), S("金额")],
            vec![S("小计"), E, N(150.0)],
            vec![S("创业担保贷款贴息"), S("甲公司"), N(100.0)],
            vec![S("创业担保贷款贴息"), S("乙公司"), N(50.0)],
            vec![S("小计"), E, N(150.0)],
            vec![S("政策奖励资金"), S("丙公司"), N(30.0)],
        ],
    );
    p.xlsx("data/2022年资金.xlsx", &[sheet]);
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let expected = "total `小计` row 5 (金额) says 150.0000万元 but the data rows of its group (rows 6-6) sum to 30.0000万元";
    let w = warnings(&p, "2022-12");
    assert!(w.iter().any(|x| x.ends_with(expected)), "{w:?}");
    assert_eq!(w.len(), 1, "{w:?}");
}

/// An investment dataset with planned and completed amounts, in 元 unless a header says.
const PLANNED: &str = r#"
name = "t"

[inputs]
include = ["data/**/*.xlsx"]

[output]
dir = "out"

[datasets.investment]
money_unit = "元"
identify = ["project", "completed"]

[[datasets.investment.fields]]
name = "project"
kind = "text"
synonyms = ["项目名称"]
required = true

[[datasets.investment.fields]]
name = "planned"
kind = "money"
synonyms = ["计划投资", "计划投资额"]

[[datasets.investment.fields]]
name = "completed"
kind = "money"
synonyms = ["完成投资", "完成投资额"]

[[tables]]
name = "sums"
dataset = "investment"
measures = [
  { name = "计划投资", op = "sum", field = "planned" },
  { name = "完成投资", op = "sum", field = "completed" },
]
"#;

#[test]
fn a_unit_in_the_parent_header_applies_to_its_children() {
    let p = Project::new();
    p.file("p.toml", PLANNED);
    p.xlsx(
        "data/2022年项目.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("二道区2022年重点项目")],
                vec![S("项目名称"), S("投资额（万元）"), E],
                vec![E, S("计划"), S("完成")],
                vec![S("甲"), N(1000.0), N(400.0)],
                vec![S("乙"), N(500.0), N(250.5)],
            ],
        )
        .merge(1, 0, 2, 0)
        .merge(1, 1, 1, 2)],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let f = |metric: &str| fact(&p, "2022-12", 2022, "", "sums", "合计", metric);
    assert_eq!(f("计划投资").as_deref(), Some("1500.0000"));
    assert_eq!(f("完成投资").as_deref(), Some("650.5000"));
    let shown = inspect(&p, "data/2022年项目.xlsx");
    assert!(
        shown.contains("column C `投资额（万元）/完成` -> completed (money, unit 万元)"),
        "{shown}"
    );
}

#[test]
fn a_row_of_parents_alone_above_the_labels_is_a_header_row() {
    let p = Project::new();
    p.file("p.toml", PLANNED);
    // Every field is named in the bottom row; the top row holds the unit of two of them.
    p.xlsx(
        "data/2022年项目.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("二道区2022年重点项目")],
                vec![S("单位：万元")],
                vec![E, S("投资额（千元）"), E],
                vec![S("项目名称"), S("计划投资"), S("完成投资")],
                vec![S("甲"), N(1000.0), N(400.0)],
                vec![S("乙"), N(500.0), N(250.5)],
            ],
        )
        .merge(2, 1, 2, 2)],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let f = |metric: &str| fact(&p, "2022-12", 2022, "", "sums", "合计", metric);
    assert_eq!(f("计划投资").as_deref(), Some("150.0000"));
    assert_eq!(f("完成投资").as_deref(), Some("65.0500"));
    let sheet = &manifest(&p, "2022-12")["inputs"][0]["sheets"][0];
    assert_eq!(sheet["skipped"]["header"], 2, "{sheet}");
    assert_eq!(sheet["skipped"]["title"], 2, "{sheet}");
}

const LOANS: &str = r#"
name = "t"

[inputs]
include = ["data/**/*.xlsx"]

[output]
dir = "out"

[datasets.loans]
identify = ["street", "households"]

[[datasets.loans.fields]]
name = "street"
kind = "text"
synonyms = ["街道"]

[[datasets.loans.fields]]
name = "households"
kind = "count"
synonyms = ["户数", "发放情况户数"]

[[datasets.loans.fields]]
name = "amount"
kind = "money"
synonyms = ["金额", "发放情况金额"]

[[tables]]
name = "disbursed"
dataset = "loans"
measures = [
  { name = "发放户数", op = "sum", field = "households" },
  { name = "发放金额", op = "sum", field = "amount" },
]
"#;

#[test]
fn a_synonym_naming_parent_and_child_beats_the_bare_child() {
    let p = Project::new();
    p.file("p.toml", LOANS);
    p.xlsx(
        "data/2022年创业贷款.xlsx",
        &[SheetSpec::new(
            "贷款",
            vec![
                vec![S("街道"), S("申请情况"), E, S("发放情况"), E],
                vec![E, S("户数"), S("金额"), S("户数"), S("金额")],
                vec![S("东风"), N(10.0), N(100.0), N(8.0), N(80.0)],
                vec![S("八里堡"), N(5.0), N(50.0), N(4.0), N(40.0)],
            ],
        )
        .merge(0, 0, 1, 0)
        .merge(0, 1, 0, 2)
        .merge(0, 3, 0, 4)],
    );
    // The disbursed figures, not the applied ones.
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let f = |metric: &str| fact(&p, "2022-12", 2022, "", "disbursed", "合计", metric);
    assert_eq!(f("发放户数").as_deref(), Some("12"));
    assert_eq!(f("发放金额").as_deref(), Some("120.0000"));
    // The column left out is named, with the one taken and why.
    let why = "header 申请情况/户数 (B) names field `households` only by its child header (`户数`); \
               发放情况/户数 (D) is used instead, whose parent and child headers joined (`发放情况户数`) name the field";
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains(why), "{stderr}");
    assert!(warnings(&p, "2022-12").iter().any(|w| w.contains(why)));
    let shown = inspect(&p, "data/2022年创业贷款.xlsx");
    assert!(shown.contains(why), "{shown}");
}

#[test]
fn full_width_year_and_month_cells_are_read() {
    let p = pipeline_project();
    p.xlsx(
        "data/历年投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("年份"), S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("２０２２"), S("甲"), S("新建"), N(100.0)],
                vec![S("\u{3000}2022年\u{a0}"), S("乙"), S("新建"), N(40.0)],
                vec![S("２０２１年"), S("丙"), S("续建"), N(50.0)],
            ],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let a = &manifest(&p, "2022-12")["accounting"];
    assert_eq!(
        (a["rows_kept"].as_u64(), a["rows_rejected"].as_u64()),
        (Some(3), Some(0))
    );
    let f = |y: i32| fact(&p, "2022-12", y, "", "by_nature", "合计", "总投资");
    assert_eq!(f(2022).as_deref(), Some("140.0000"));
    assert_eq!(f(2021).as_deref(), Some("50.0000"));

    // A 月份 column gives each row its month, as the year column its year.
    let q = pipeline_project();
    q.xlsx(
        "data/月度投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![
                    S("年份"),
                    S("月份"),
                    S("项目名称"),
                    S("建设性质"),
                    S("总投资"),
                ],
                vec![N(2024.0), N(5.0), S("甲"), S("新建"), N(100.0)],
                vec![S("２０２４"), S("６月"), S("乙"), S("新建"), N(50.0)],
            ],
        )],
    );
    q.cmd().args(["run", "p.toml"]).assert().code(0);
    let f = |key: &str| fact(&q, "2024-06", 2024, "6", "by_nature", key, "总投资");
    assert_eq!(f("合计").as_deref(), Some("150.0000"));
}

const PROGRESS: &str = r#"
name = "t"

[inputs]
include = ["data/**/*.xlsx"]

[output]
dir = "out"

[datasets.investment]
identify = ["project", "completed"]

[[datasets.investment.fields]]
name = "project"
kind = "text"
synonyms = ["项目名称"]
required = true

[[datasets.investment.fields]]
name = "total_investment"
kind = "money"
synonyms = ["总投资"]

[[datasets.investment.fields]]
name = "completed"
kind = "money"
synonyms = ["完成投资"]

[[tables]]
name = "annual"
dataset = "investment"
measures = [
  { name = "项目个数", op = "count" },
  { name = "完成投资", op = "sum", field = "completed" },
]
growth = true

[[tables]]
name = "ytd"
dataset = "investment"
measures = [{ name = "完成投资", op = "sum", field = "completed" }]
period = "ytd"

[[tables]]
name = "monthly"
dataset = "investment"
measures = [{ name = "完成投资", op = "sum", field = "completed" }]
period = "monthly"
"#;

/// A list of projects under a title and one header naming the period of `完成投资`.
fn progress(
    p: &Project,
    rel: &str,
    title: &'static str,
    header: &'static str,
    rows: &[(&'static str, f64)],
) {
    let mut all = vec![
        vec![S(title)],
        vec![S("单位：万元")],
        vec![S("项目名称"), S("总投资"), S(header)],
    ];
    for (name, done) in rows {
        all.push(vec![S(name), N(1000.0), N(*done)]);
    }
    p.xlsx(rel, &[SheetSpec::new("项目", all)]);
}

#[test]
fn january_cumulative_header_is_read_as_completed_investment() {
    let p = Project::new();
    p.file("p.toml", PROGRESS);
    let projects = |v: [f64; 3]| [("甲", v[0]), ("乙", v[1]), ("丙", v[2])];
    progress(
        &p,
        "data/2024年1月.xlsx",
        "二道区2024年1月重点项目",
        "1月累计完成投资",
        &projects([10.0, 20.0, 30.0]),
    );
    progress(
        &p,
        "data/2024年2月.xlsx",
        "二道区2024年1-2月重点项目",
        "1-2月累计完成投资",
        &projects([25.0, 45.0, 60.0]),
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let f = |table: &str, month: &str, metric: &str| {
        fact(&p, "2024-02", 2024, month, table, "合计", metric)
    };
    // Three projects, not six; 1—2月 is February's 1—N月 figure, not January's added to it.
    assert_eq!(f("annual", "2", "项目个数").as_deref(), Some("3"));
    assert_eq!(f("annual", "2", "完成投资").as_deref(), Some("130.0000"));
    assert_eq!(f("ytd", "1", "完成投资").as_deref(), Some("60.0000"));
    assert_eq!(f("ytd", "2", "完成投资").as_deref(), Some("130.0000"));
    assert_eq!(f("monthly", "1", "完成投资").as_deref(), Some("60.0000"));
    assert_eq!(f("monthly", "2", "完成投资").as_deref(), Some("70.0000"));
}

#[test]
fn a_filing_date_gives_no_period_and_conflicting_years_are_named() {
    let p = pipeline_project();
    p.xlsx(
        "data/2023年重点项目.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("二道区重点项目")],
                vec![S("填报单位：二道区发改局"), E, S("填报日期：2024年1月10日")],
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("甲"), S("新建"), N(100.0)],
            ],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    // The 2023 list is published as 2023, for the whole year.
    assert!(!p.path("out/t/2024-01").exists());
    assert_eq!(
        fact(&p, "2023-12", 2023, "", "by_nature", "合计", "总投资").as_deref(),
        Some("100.0000")
    );

    // A title that names another year than the file name: both are named.
    let q = pipeline_project();
    q.xlsx(
        "data/2023年重点项目.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("二道区2022年重点项目")],
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("甲"), S("新建"), N(100.0)],
            ],
        )],
    );
    let out = q.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let said = "the title rows give the year 2022 but the file name gives 2023; 2022 (from the title rows) is used";
    assert!(stderr.contains(said), "{stderr}");
    assert!(warnings(&q, "2022-12").iter().any(|w| w.contains(said)));
}

#[test]
fn data_ending_in_june_is_labelled_1_to_6_and_compared_with_the_same_months() {
    let p = Project::new();
    p.file("p.toml", PROGRESS);
    let two = |a: f64, b: f64| [("甲", a), ("乙", b)];
    // No month in the titles or file names: only the headers say 1-6月 and 1-12月.
    progress(
        &p,
        "data/投资_2023_06.xlsx",
        "二道区2023年重点项目",
        "1-6月完成投资",
        &two(100.0, 60.0),
    );
    progress(
        &p,
        "data/投资_2023_12.xlsx",
        "二道区2023年重点项目",
        "1-12月完成投资",
        &two(300.0, 200.0),
    );
    progress(
        &p,
        "data/投资_2024_06.xlsx",
        "二道区2024年重点项目",
        "1-6月完成投资",
        &two(120.0, 90.0),
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert!(!p.path("out/t/2024-12").exists());
    let f =
        |y: i32, month: &str, metric: &str| fact(&p, "2024-06", y, month, "annual", "合计", metric);
    assert_eq!(f(2023, "", "完成投资").as_deref(), Some("500.0000"));
    assert_eq!(f(2024, "6", "完成投资").as_deref(), Some("210.0000"));
    // 210 against 1—6月 2023 (160), not the whole of 2023 (500).
    assert_eq!(f(2024, "6", "完成投资同比").as_deref(), Some("31.2500"));
    let csv = p.read("out/t/2024-06/tables/annual.csv");
    let html = p.read("out/t/2024-06/index.html");
    for shown in [&csv, &html] {
        assert!(shown.contains("2024年1—6月"), "{shown}");
        assert!(!shown.contains("2024年1—12月"), "{shown}");
        assert!(!shown.contains("2024年1-12月"), "{shown}");
        assert!(!shown.contains("2024年完成投资"), "{shown}");
    }
}

#[test]
fn a_year_mixing_cumulative_and_single_months_is_a_warning() {
    let p = Project::new();
    p.file("p.toml", PROGRESS);
    let two = |a: f64, b: f64| [("甲", a), ("乙", b)];
    progress(
        &p,
        "data/2024年1-2月.xlsx",
        "二道区2024年1-2月重点项目",
        "完成投资",
        &two(20.0, 10.0),
    );
    progress(
        &p,
        "data/2024年3月.xlsx",
        "二道区2024年3月重点项目",
        "本月完成投资",
        &two(5.0, 5.0),
    );
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let said = "dataset `investment`, 2024: the files mix 1—N月 values (data/2024年1-2月.xlsx sheet `项目` 2月) \
                with single-month or annual values (data/2024年3月.xlsx sheet `项目` 3月)";
    assert!(stderr.contains(said), "{stderr}");
    assert!(warnings(&p, "2024-03").iter().any(|w| w.contains(said)));
}

/// Two 1—N月 workbooks of which the second holds single-month figures under a 1—N月 title, so
/// that the series falls.
fn falling_progress() -> Project {
    let p = Project::new();
    p.file("p.toml", PROGRESS);
    let two = |a: f64, b: f64| [("甲", a), ("乙", b)];
    progress(
        &p,
        "data/2024年1-2月.xlsx",
        "二道区2024年1-2月重点项目",
        "完成投资",
        &two(20.0, 10.0),
    );
    progress(
        &p,
        "data/2024年1-3月.xlsx",
        "二道区2024年1-3月重点项目",
        "完成投资",
        &two(5.0, 5.0),
    );
    p
}

#[test]
fn a_falling_cumulative_series_is_a_warning() {
    let p = falling_progress();
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let said = "dataset `investment`, field `completed`: the 1—N月 figure falls from 30.0000万元 in 2024年1-2月 to 10.0000万元 in 2024年1-3月";
    assert!(stderr.contains(said), "{stderr}");
    assert!(warnings(&p, "2024-03").iter().any(|w| w.contains(said)));
}

#[test]
fn every_warning_printed_is_in_the_manifest_and_the_page() {
    let p = pipeline_project();
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![
            vec![S("甲"), S("新建"), N(100.0)],
            vec![S("乙"), S("新建"), S("一百")],
        ],
    );
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let listed = warnings(&p, "2022-12");
    assert!(!listed.is_empty());
    let html = p.read("out/t/2022-12/index.html");
    for w in &listed {
        assert!(stderr.contains(w.as_str()), "{w} not printed: {stderr}");
        assert!(html.contains(w.as_str()), "{w} not in index.html");
    }
    let printed = stderr.lines().filter(|l| l.contains("WARN")).count();
    assert_eq!(printed, listed.len(), "{stderr}");
    assert!(listed
        .iter()
        .any(|w| w == "1 rows rejected; see rejected.csv"));
}

#[test]
fn a_group_whose_cumulative_figure_falls_is_a_warning() {
    let p = Project::new();
    let pipeline = PROGRESS.replacen(
        "[[tables]]",
        r#"[[datasets.investment.fields]]
name = "nature"
kind = "text"
synonyms = ["建设性质"]

[[tables]]
name = "ytd_by_nature"
dataset = "investment"
by = ["nature"]
measures = [{ name = "完成投资", op = "sum", field = "completed" }]
period = "ytd"

[[tables]]
name = "monthly_by_nature"
dataset = "investment"
by = ["nature"]
measures = [{ name = "完成投资", op = "sum", field = "completed" }]
period = "monthly"

[[tables]]"#,
        1,
    );
    p.file("p.toml", pipeline);
    let book = |rel: &str, title: &'static str, rows: [(&'static str, &'static str, f64); 2]| {
        let mut all = vec![
            vec![S(title)],
            vec![S("项目名称"), S("建设性质"), S("总投资"), S("完成投资")],
        ];
        for (name, nature, done) in rows {
            all.push(vec![S(name), S(nature), N(1000.0), N(done)]);
        }
        p.xlsx(rel, &[SheetSpec::new("项目", all)]);
    };
    book(
        "data/2024年1-2月.xlsx",
        "二道区2024年1-2月重点项目",
        [("甲", "新建", 20.0), ("乙", "续建", 10.0)],
    );
    // The total rises, but 续建 falls.
    book(
        "data/2024年1-3月.xlsx",
        "二道区2024年1-3月重点项目",
        [("甲", "新建", 30.0), ("乙", "续建", 8.0)],
    );
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let listed = warnings(&p, "2024-03");
    for said in [
        "table `ytd_by_nature`, 续建: 完成投资 falls from 10.0000万元 in 2024年1-2月 to 8.0000万元 in 2024年1-3月",
        "table `monthly_by_nature`, 续建: 完成投资 of 2024年3月 is -2.0000万元",
    ] {
        assert!(stderr.contains(said), "{stderr}");
        assert!(listed.iter().any(|w| w.contains(said)), "{listed:?}");
    }
    assert!(!stderr.contains("新建: 完成投资"), "{stderr}");
}

#[test]
fn a_year_to_date_range_in_the_month_column_of_a_plain_table_is_rejected_not_added() {
    let p = pipeline_project();
    p.xlsx(
        "data/投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("2024年项目投资")],
                vec![S("月份"), S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("1-1月"), S("甲"), S("新建"), N(100.0)],
                vec![S("1-2月"), S("甲"), S("新建"), N(250.0)],
            ],
        )],
    );
    // Neither row is taken as a single month: both are rejected, naming why.
    let shown = inspect(&p, "data/投资.xlsx");
    assert!(shown.contains("0 kept + 2 rejected"), "{shown}");
    assert!(
        shown.contains("a 1—N月 period in the month column"),
        "{shown}"
    );
}

#[test]
fn a_run_of_ingested_parts_doubts_what_a_direct_run_doubts() {
    let p = falling_progress();
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    // Each month's workbook ingested on its own machine, then aggregated together.
    for f in ["data/2024年1-2月.xlsx", "data/2024年1-3月.xlsx"] {
        p.cmd()
            .args(["ingest", "p.toml", "--out", "clean", f])
            .assert()
            .code(0);
    }
    p.cmd()
        .args(["run", "p.toml", "--from-parquet", "clean", "--out", "again"])
        .assert()
        .code(1);
    let direct = warnings(&p, "2024-03");
    let again: serde_json::Value =
        serde_json::from_str(&p.read("again/t/2024-03/manifest.json")).expect("manifest");
    let again: Vec<String> = again["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect();
    assert!(!direct.is_empty());
    assert_eq!(direct, again);
}

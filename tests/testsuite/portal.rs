//! Portal exports as first-class inputs: runs on them alone, tables stacked in one sheet, the
//! 频度 row, region tables, notes and sources carried with the series, the metadata sheet of
//! database exports. Fixtures have the shapes of the national portal's downloads.

use crate::common::*;

/// A provinces × years table with its metadata lines and footer.
fn provinces() -> SheetSpec {
    SheetSpec::new(
        "分省年度数据",
        vec![
            vec![S("数据库：分省年度数据")],
            vec![S("指标：地区生产总值(亿元)")],
            vec![S("时间：最近2年")],
            vec![S("地区"), S("2019年"), S("2018年")],
            vec![S("北京市"), N(35371.28), N(33105.97)],
            vec![S("天津市"), N(14104.28), N(13362.92)],
            vec![S("注：1.本表按当年价格计算。")],
            vec![S("2.2018年数据为根据第四次全国经济普查资料修订后\n数据。")],
            vec![S("数据来源：国家统计局")],
        ],
    )
}

/// Months across, newest first, up to April 2020.
fn months() -> SheetSpec {
    SheetSpec::new(
        "月度数据",
        vec![
            vec![S("数据库：月度数据")],
            vec![S("指标"), S("2020年4月"), S("2020年3月")],
            vec![S("工业增加值同比增长(%)"), N(3.9), N(-1.1)],
        ],
    )
}

fn portal_only(sheets: &[SheetSpec]) -> Project {
    let p = Project::new();
    p.file("p.toml", INVESTMENT_PIPELINE);
    p.xlsx("data/portal.xlsx", sheets);
    p
}

fn series_lines(p: &Project, period: &str) -> Vec<String> {
    p.read(&format!("out/t/{period}/data/series.csv"))
        .lines()
        .map(str::to_string)
        .collect()
}

/// The value of a column in the series.csv lines whose indicator, period and column match.
fn lines_of<'a>(lines: &'a [String], starts: &str) -> Vec<&'a String> {
    lines.iter().filter(|l| l.starts_with(starts)).collect()
}

#[test]
fn a_run_on_portal_exports_alone_reports_their_latest_period() {
    let p = portal_only(&[provinces(), months()]);
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The latest month with a value, not a period from elsewhere.
    let html = p.read("out/t/2020-04/index.html");
    assert!(
        html.contains("<td>数据期</td><td>2018年—2020年4月</td>"),
        "{html}"
    );
    assert!(html.contains("<td>2018年—2019年</td>"), "{html}");
    assert_eq!(p.read("out/t/latest").trim(), "2020-04");

    // validate reads the same batch: the same period, and no error.
    let v = p
        .cmd()
        .args(["validate", "p.toml"])
        .output()
        .expect("validate");
    let text = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{text}");
    assert!(text.contains("period 2020-04"), "{text}");

    // A period named on the command line names the folder; the page still shows the
    // series' own span as their 数据期.
    p.cmd()
        .args(["run", "p.toml", "--period", "2022-12"])
        .assert()
        .code(0);
    let html = p.read("out/t/2022-12/index.html");
    assert!(
        html.contains("<td>数据期</td><td>2018年—2020年4月</td>"),
        "{html}"
    );
}

#[test]
fn a_second_table_stacked_below_a_periods_down_table_is_read_on_its_own() {
    let sheet = SheetSpec::new(
        "Sheet1",
        vec![
            vec![S("指标"), S("增加值_累计同比"), S("增加值_当期同比")],
            vec![S("地区"), S("全国"), S("全国")],
            vec![S("单位"), S("%"), S("%")],
            vec![S("2020-02"), N(-13.5), E],
            vec![S("2020-03"), N(-8.4), N(-1.1)],
            vec![S("2020-04"), N(-4.9), N(3.9)],
            // The header repeated inside the table is still the same table.
            vec![S("指标"), S("增加值_累计同比"), S("增加值_当期同比")],
            vec![S("2020-05"), N(-2.8), N(4.4)],
            vec![E],
            // Another table: other series, and a helper column without a header.
            vec![S("指标"), S("发电量_当期值")],
            vec![S("单位"), S("亿千瓦时")],
            vec![S("2020-02"), N(8.5), N(19.0)],
            vec![S("2020-03"), N(5181.0), S("/")],
            vec![S("2020-04"), N(5268.0), S("20年4月")],
        ],
    );
    let p = portal_only(&[sheet]);
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines = series_lines(&p, "2020-05");
    // The first table: 2 series × 4 months.
    assert_eq!(lines_of(&lines, "增加值_").len(), 8);
    // The second: its own series names, unit and no cumulative flag; its values only.
    let power = lines_of(&lines, "发电量_当期值,");
    assert_eq!(power.len(), 3, "{lines:#?}");
    assert!(power[0].starts_with("发电量_当期值,,亿千瓦时,2020-02,month,2020,2,,false,8.5,"));
    // The helper column is no series (exit 0 above: nobody warned about its text).
    assert_eq!(lines.len(), 1 + 8 + 3, "{lines:#?}");
    let text = inspect(&p, "data/portal.xlsx");
    assert!(
        text.contains("wide table (periods in rows), header rows 10-11"),
        "{text}"
    );
}

#[test]
fn a_quarterly_series_down_a_monthly_column_is_quarterly() {
    let sheet = SheetSpec::new(
        "Sheet1",
        vec![
            vec![
                S("指标"),
                S("国内生产总值_累计同比"),
                S("工业增加值_当期同比"),
            ],
            vec![S("地区"), S("全国"), S("全国")],
            vec![S("频度"), S("季"), S("月")],
            vec![S("单位"), S("%"), S("%")],
            vec![S("2020-01"), E, N(-4.3)],
            vec![S("2020-02"), E, N(-25.9)],
            vec![S("2020-03"), N(-6.8), N(-1.1)],
            vec![S("2020-04"), E, N(3.9)],
            vec![S("2020-05"), E, N(4.4)],
            vec![S("2020-06"), N(-1.6), N(4.8)],
        ],
    );
    let p = portal_only(&[sheet]);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let lines = series_lines(&p, "2020-06");
    let gdp = lines_of(&lines, "国内生产总值_累计同比,");
    assert_eq!(gdp.len(), 2, "{gdp:#?}");
    assert!(gdp[0].starts_with("国内生产总值_累计同比,全国,%,2020-03,quarter,2020,,1,true,-6.8,"));
    assert!(gdp[1].starts_with("国内生产总值_累计同比,全国,%,2020-06,quarter,2020,,2,true,-1.6,"));
    assert_eq!(lines_of(&lines, "工业增加值_当期同比,").len(), 6);

    // A value at a month that ends no quarter stays monthly, and is reported.
    let odd = SheetSpec::new(
        "Sheet1",
        vec![
            vec![S("指标"), S("国内生产总值_累计同比")],
            vec![S("频度"), S("季度")],
            vec![S("2020-03"), N(-6.8)],
            vec![S("2020-04"), N(1.0)],
            vec![S("2020-06"), N(-1.6)],
        ],
    );
    let p = portal_only(&[odd]);
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("declared quarterly (B2) but has 1 values at other months (B4)"),
        "{stderr}"
    );
}

#[test]
fn a_region_table_without_an_indicator_line_takes_its_title_or_says_so() {
    let titled = SheetSpec::new(
        "Sheet1",
        vec![
            vec![S("各地区地区生产总值（亿元）")],
            vec![S("地区"), S("2019年"), S("2018年")],
            vec![S("北京市"), N(35371.28), N(33105.97)],
        ],
    );
    let p = portal_only(&[titled]);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let lines = series_lines(&p, "2019-12");
    assert!(
        lines[1].starts_with("各地区地区生产总值,北京市,亿元,2019年,"),
        "{lines:#?}"
    );

    let bare = SheetSpec::new(
        "地区生产总值",
        vec![
            vec![S("地区"), S("2019年"), S("2018年")],
            vec![S("北京市"), N(35371.28), N(33105.97)],
            vec![S("天津市"), N(14104.28), N(13362.92)],
        ],
    );
    let p = portal_only(&[bare]);
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no `指标：` line or title above the table names the indicator; the sheet name `地区生产总值` is used"),
        "{stderr}"
    );
    let lines = series_lines(&p, "2019-12");
    assert!(!lines.iter().skip(1).any(|l| l.starts_with("地区,")));
    assert_eq!(lines_of(&lines, "地区生产总值,").len(), 4);
}

#[test]
fn footers_and_metadata_travel_with_the_series() {
    let p = portal_only(&[provinces(), months()]);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let notes = "注：1.本表按当年价格计算。 2.2018年数据为根据第四次全国经济普查资料修订后 数据。";
    let lines = series_lines(&p, "2020-04");
    assert_eq!(
        lines[0],
        "indicator,region,unit,period,frequency,year,month,quarter,cumulative,value,symbol,role,variant,file,sheet,row,column,source,notes"
    );
    let beijing = lines_of(&lines, "地区生产总值,北京市,亿元,2019年,");
    assert!(
        beijing[0].ends_with(&format!(",5,B,国家统计局,{notes}")),
        "{beijing:?}"
    );
    // A table without a footer has neither.
    assert!(lines_of(&lines, "工业增加值同比增长,")[0].ends_with(",,"));

    // The Parquet file holds the same columns.
    let file = std::fs::File::open(p.path("out/t/2020-04/data/series.parquet")).expect("open");
    use polars::prelude::SerReader;
    let frame = polars::prelude::ParquetReader::new(file)
        .finish()
        .expect("parquet");
    let notes_col = frame.column("notes").expect("notes").str().expect("text");
    assert_eq!(notes_col.get(0), Some(notes));
    let source = frame.column("source").expect("source").str().expect("text");
    assert_eq!(source.get(0), Some("国家统计局"));

    // The manifest keeps each table's metadata lines and footer.
    let m: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2020-04/manifest.json")).expect("manifest");
    let table = &m["inputs"][0]["sheets"][0]["wide_tables"][0];
    assert_eq!(table["metadata"][1][1], "地区生产总值(亿元)");
    assert_eq!(table["source"], "国家统计局");
    assert_eq!(table["notes"], notes);
    assert_eq!(table["periods"], "2018年—2019年");

    // index.html lists each series table with its source and notes, and links the files.
    let html = p.read("out/t/2020-04/index.html");
    assert!(html.contains("<a href=\"data/series.csv\">"), "{html}");
    assert!(html.contains("<a href=\"data/series.parquet\">"), "{html}");
    assert!(
        html.contains("<td>地区生产总值</td><td>2018年—2019年</td><td class=\"n\">2</td><td class=\"n\">4</td><td>国家统计局</td>"),
        "{html}"
    );
    assert!(html.contains(notes), "{html}");
}

/// A database export: the data sheet with 指标/地区/频度/单位 rows, and its metadata sheet.
fn database_export() -> Vec<SheetSpec> {
    vec![
        SheetSpec::new(
            "Sheet1",
            vec![
                vec![
                    S("指标"),
                    S("工业增加值_当期同比"),
                    S("国内生产总值_累计同比"),
                ],
                vec![S("地区"), S("全国"), S("全国")],
                vec![S("单位"), S("-"), E],
                vec![S("2020-03"), N(-1.1), N(-6.8)],
                vec![S("2020-04"), N(3.9), E],
                vec![S("2020-05"), N(4.4), E],
                vec![S("2020-06"), N(4.8), N(-1.6)],
            ],
        ),
        SheetSpec::new(
            "Sheet2",
            vec![
                vec![
                    S("指标名称"),
                    S("地区名称"),
                    S("地区编码"),
                    S("频度"),
                    S("单位"),
                    S("开始时间"),
                    S("结束时间"),
                    S("数据来源"),
                    S("备注"),
                ],
                vec![
                    S("工业增加值_当期同比"),
                    S("全国"),
                    S("000000"),
                    S("月"),
                    S("%"),
                    S("1990-01"),
                    S("2020-06"),
                    S("国家统计局"),
                    S("1月份数据不单独发布。"),
                ],
                vec![
                    S("国内生产总值_累计同比"),
                    S("全国"),
                    S("000000"),
                    S("季"),
                    S("%"),
                    S("1992-03"),
                    S("2020-06"),
                    S("国家统计局"),
                ],
            ],
        ),
    ]
}

#[test]
fn the_metadata_sheet_of_a_database_export_is_joined_to_its_series() {
    let p = portal_only(&database_export());
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // No "no table recognised" for the metadata sheet, and no warning at all.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("no table"), "{stderr}");
    let lines = series_lines(&p, "2020-06");
    // The unit `-` in the data sheet is none; the metadata sheet's % fills it in, with its
    // source and notes.
    assert!(
        lines_of(&lines, "工业增加值_当期同比,全国,%,2020-03,month,")[0]
            .ends_with(",国家统计局,1月份数据不单独发布。"),
        "{lines:#?}"
    );
    // Its 季 makes the GDP series quarterly.
    let gdp = lines_of(&lines, "国内生产总值_累计同比,全国,%,");
    assert_eq!(gdp.len(), 2, "{gdp:#?}");
    assert!(gdp[1].contains(",2020-06,quarter,2020,,2,true,-1.6,"));
    assert!(gdp[1].ends_with(",国家统计局,"));
    let m: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2020-06/manifest.json")).expect("manifest");
    let sheet2 = &m["inputs"][0]["sheets"][1];
    assert_eq!(sheet2["series_listed"], 2);
    assert_eq!(sheet2["rows_kept"], 2);
    assert_eq!(sheet2["skipped"]["header"], 1);
    let html = p.read("out/t/2020-06/index.html");
    assert!(
        html.contains("工业增加值_当期同比（全国）：1月份数据不单独发布。 数据来源：国家统计局"),
        "{html}"
    );
    let text = inspect(&p, "data/portal.xlsx");
    assert!(!text.contains("no table recognised"), "{text}");
    assert!(
        text.contains("metadata sheet: 2 series listed (first: 工业增加值_当期同比)"),
        "{text}"
    );
}

#[test]
fn a_dash_unit_is_no_unit_and_a_footer_line_break_is_a_space() {
    let sheet = SheetSpec::new(
        "年度数据",
        vec![
            vec![S("数据库：年度数据")],
            vec![S("指标"), S("单位"), S("2019年"), S("2018年")],
            vec![S("人口自然增长率"), S("-"), N(3.34), N(3.81)],
            vec![S("注：本表数据\r\n  为抽样调查推算数。")],
        ],
    );
    let p = portal_only(&[sheet]);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let lines = series_lines(&p, "2019-12");
    assert!(
        lines[1].starts_with("人口自然增长率,,,2019年,year,"),
        "{lines:#?}"
    );
    assert!(
        lines[1].ends_with(",,注：本表数据 为抽样调查推算数。"),
        "{lines:#?}"
    );
    let text = inspect(&p, "data/portal.xlsx");
    assert!(
        text.contains("footer: 注：本表数据 为抽样调查推算数。\n"),
        "{text}"
    );
}

/// The investment pipeline with series tables and charts appended.
fn series_pipeline(extra: &str) -> String {
    format!("{INVESTMENT_PIPELINE}\n{extra}")
}

const GDP_TABLE: &str = r#"
[[tables]]
name = "gdp"
title = "地区生产总值"
dataset = "series"
indicators = ["地区生产总值"]
by = ["region"]
growth = true

[[charts]]
name = "gdp_latest"
table = "gdp"
kind = "bar"
periods = 1
"#;

const IVA_TABLE: &str = r#"
[[tables]]
name = "iva"
title = "工业增加值增速"
dataset = "series"
indicators = ["工业增加值同比增长"]
from = "2020-03"

[[charts]]
name = "iva_line"
table = "iva"
kind = "line"
"#;

#[test]
fn series_feed_tables_and_charts() {
    let p = portal_only(&[provinces(), months()]);
    p.file(
        "p.toml",
        series_pipeline(&format!("{GDP_TABLE}{IVA_TABLE}")),
    );
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The provinces' notes speak of revised figures: growth across them is warned about.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("table `gdp`: 同比 is computed from the values as published"),
        "{stderr}"
    );
    // The CSV keeps full precision (6.8% and 5.5% as printed).
    let gdp = p.read("out/t/2020-04/tables/gdp.csv");
    assert_eq!(
        gdp.lines().collect::<Vec<_>>(),
        [
            "地区,2018年地区生产总值(亿元),2019年地区生产总值(亿元),2018年地区生产总值同比(%),2019年地区生产总值同比(%)",
            "北京市,33105.97,35371.28,,6.842602708816559",
            "天津市,13362.92,14104.28,,5.547889233790215",
        ]
    );
    // Months from `from` on, one row each; the unit % makes the values percentages.
    let iva = p.read("out/t/2020-04/tables/iva.csv");
    assert_eq!(
        iva.lines().collect::<Vec<_>>(),
        [
            "年份,月份,工业增加值同比增长(%)",
            "2020,3,-1.1",
            "2020,4,3.9"
        ]
    );
    for f in [
        "gdp_latest.svg",
        "gdp_latest.png",
        "iva_line.svg",
        "iva_line.png",
    ] {
        assert!(p.path(&format!("out/t/2020-04/charts/{f}")).exists(), "{f}");
    }
    let svg = p.read("out/t/2020-04/charts/gdp_latest.svg");
    assert!(svg.contains("天津市") && svg.contains("35,371.28"), "{svg}");
    let facts = p.read("out/t/2020-04/facts.csv");
    assert!(facts.contains("gdp,"), "{facts}");
}

#[test]
fn series_tables_refuse_what_they_cannot_show_rightly() {
    // Two sheets hold the same indicator and month with different values: no silent pick.
    let other = SheetSpec::new(
        "同比",
        vec![
            vec![S("指标"), S("2020年4月"), S("2020年3月")],
            vec![S("工业增加值同比增长(%)"), N(4.0), N(-1.1)],
        ],
    );
    let p = portal_only(&[months(), other]);
    p.file("p.toml", series_pipeline(IVA_TABLE));
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("工业增加值同比增长 2020年4月 is 3.9 in data/portal.xlsx `月度数据` B3 but 4 in data/portal.xlsx `同比` B2; choose a `variant`"),
        "{stderr}"
    );
    assert!(!p.path("out/t/2020-04").exists());
    // With the variant named, the table is the 当期 sheet's.
    p.file(
        "p.toml",
        series_pipeline(
            "[[tables]]\nname = \"iva\"\ndataset = \"series\"\nindicators = [\"工业增加值同比增长\"]\nvariant = \"同比\"\n",
        ),
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    // Table CSVs keep full precision: 4.0 is written 4.
    assert!(
        p.read("out/t/2020-04/tables/iva.csv")
            .lines()
            .any(|l| l == "2020,4,4"),
        "{}",
        p.read("out/t/2020-04/tables/iva.csv")
    );

    // Annual and monthly values together need a frequency; misspelt keys are named.
    let p = portal_only(&[provinces(), months()]);
    p.file(
        "p.toml",
        series_pipeline(
            "[[tables]]\nname = \"mixed\"\ndataset = \"series\"\nindicators = [\"地区生产总值\", \"工业增加值同比增长\"]\nby = [\"indicator\"]\n",
        ),
    );
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("several frequencies (year, month); choose one with `frequency`"),
        "{stderr}"
    );
    p.file(
        "p.toml",
        series_pipeline(
            "[[tables]]\nname = \"bad\"\ndataset = \"series\"\nindicators = [\"地区生产总值\"]\nby = [\"regoin\"]\nmeasures = [{ name = \"x\", op = \"count\" }]\nfrom = \"2019-13\"\n",
        ),
    );
    let out = p
        .cmd()
        .args(["validate", "p.toml"])
        .output()
        .expect("validate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for want in [
        "unknown series dimension `regoin` (did you mean `region`?)",
        "`measures` is for a dataset's table",
        "expected a year such as 2015 or a month such as \"2019-06\"",
    ] {
        assert!(stderr.contains(want), "{want}\n{stderr}");
    }
}

#[test]
fn cumulative_monthly_series_are_differenced_into_single_months() {
    // 1—N月 values, newest first; 1—2月 published together, as the national portal does.
    let retail = SheetSpec::new(
        "月度数据",
        vec![
            vec![S("数据库：月度数据")],
            vec![S("指标"), S("2020年4月"), S("2020年3月"), S("2020年2月")],
            vec![
                S("社会消费品零售总额累计值(亿元)"),
                N(106758.0),
                N(78580.0),
                N(52130.0),
            ],
        ],
    );
    let p = portal_only(&[retail]);
    p.file(
        "p.toml",
        series_pipeline(
            "[[tables]]\nname = \"retail\"\ndataset = \"series\"\nindicators = [\"社会消费品零售总额累计值\"]\nsingle_months = true\n",
        ),
    );
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // February has no January to subtract: left empty, and said.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("table `retail`: no 1—N月 value of the month before to subtract for 2020年2月; those months are left empty"),
        "{stderr}"
    );
    let csv = p.read("out/t/2020-04/tables/retail.csv");
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "年份,月份,社会消费品零售总额当月(亿元)",
            "2020,2,",
            "2020,3,26450",
            "2020,4,28178",
        ],
        "{csv}"
    );

    // Rates and single-month values are refused, naming why.
    p.file(
        "p.toml",
        series_pipeline(
            "[[tables]]\nname = \"iva\"\ndataset = \"series\"\nindicators = [\"工业增加值同比增长\"]\nsingle_months = true\n",
        ),
    );
    p.xlsx("data/portal.xlsx", &[months()]);
    let out = p.cmd().args(["run", "p.toml"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot difference rates (%)"), "{stderr}");
}

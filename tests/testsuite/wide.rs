//! Wide tables (periods in the header row or down the first column), as the statistics
//! portals export them: unpivoted into data/series.csv, metadata and footers kept apart.

use crate::common::*;

/// A bureau sheet so that the batch has a period to report on.
fn investment_sheet() -> SheetSpec {
    SheetSpec::new(
        "项目",
        vec![
            vec![S("2022年重点项目")],
            vec![S("项目名称"), S("建设性质"), S("总投资"), S("完成投资")],
            vec![S("甲项目"), S("新建"), N(100.0), N(10.0)],
        ],
    )
}

fn portal_sheets() -> Vec<SheetSpec> {
    vec![
        SheetSpec::new(
            "分省年度数据",
            vec![
                vec![S("数据库：分省年度数据")],
                vec![S("指标：地区生产总值(亿元)")],
                vec![S("时间：最近2年")],
                vec![S("地区"), S("2019年"), S("2018年")],
                vec![S("北京市"), N(35371.28), N(33105.97)],
                vec![S("天津市"), N(14104.28), S("…")],
                vec![S("#其中：滨海新区"), N(1.5), E],
                vec![S("注：1.本表按当年价格计算。")],
                vec![S("\u{3000}\u{3000}2.2018年数据为修订后数据。")],
                vec![S("数据来源：国家统计局")],
            ],
        ),
        SheetSpec::new(
            "月度数据",
            vec![
                vec![S("数据库：月度数据")],
                vec![S("时间：最近3个月")],
                vec![S("指标"), S("2020年4月"), S("2020年3月"), S("2020年2月")],
                vec![S("工业增加值同比增长(%)"), N(3.9), N(-1.1), E],
                vec![S("工业增加值累计增长(%)"), N(-4.9), N(-8.4), N(-13.5)],
            ],
        ),
        SheetSpec::new(
            "年度数据",
            vec![
                vec![S("指标"), N(2023.0), N(2022.0)],
                vec![S("国内生产总值指数(1978年=100)"), N(4713.5), N(4478.4)],
            ],
        ),
        SheetSpec::new(
            "季度",
            vec![
                vec![
                    S("指标"),
                    S("2023年第三季度"),
                    S("2023年1-6月"),
                    S("2023年一季度"),
                ],
                vec![S("社会消费品零售总额(亿元)"), N(3.0), N(2.0), S("-")],
            ],
        ),
        SheetSpec::new(
            "Sheet1",
            vec![
                vec![S("指标"), S("增加值_累计同比"), S("增加值_当期同比")],
                vec![S("地区"), S("全国"), S("全国")],
                vec![S("频度"), S("月"), S("月")],
                vec![S("单位"), S("%"), S("%")],
                vec![S("2020-02"), N(-13.5), E],
                vec![S("2020-03"), N(-8.4), N(-1.1)],
                vec![S("2020-04"), N(-4.9), N(3.9)],
            ],
        ),
    ]
}

fn project() -> Project {
    let p = Project::new();
    p.file("p.toml", INVESTMENT_PIPELINE);
    p.xlsx("data/2022年投资.xlsx", &[investment_sheet()]);
    p.xlsx("data/portal.xlsx", &portal_sheets());
    p
}

#[test]
fn portal_layouts_are_unpivoted_into_series() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().success();
    let csv = p.read("out/t/2022-12/data/series.csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "indicator,region,unit,period,frequency,year,month,quarter,cumulative,value,symbol,role,variant,file,sheet,row,column,source,notes"
    );
    let expect = [
        "地区生产总值,北京市,亿元,2019年,year,2019,,,false,35371.28,,item,当期,data/portal.xlsx,分省年度数据,5,B,国家统计局,注：1.本表按当年价格计算。 2.2018年数据为修订后数据。",
        "地区生产总值,天津市,亿元,2018年,year,2018,,,false,,…,item,当期,data/portal.xlsx,分省年度数据,6,C,国家统计局,注：1.本表按当年价格计算。 2.2018年数据为修订后数据。",
        "地区生产总值,其中：滨海新区,亿元,2019年,year,2019,,,false,1.5,,breakdown,当期,data/portal.xlsx,分省年度数据,7,B,国家统计局,注：1.本表按当年价格计算。 2.2018年数据为修订后数据。",
        "工业增加值同比增长,,%,2020年2月,month,2020,2,,false,,,item,当期,data/portal.xlsx,月度数据,4,D,,",
        "工业增加值累计增长,,%,2020年4月,month,2020,4,,true,-4.9,,item,当期,data/portal.xlsx,月度数据,5,B,,",
        "国内生产总值指数(1978年=100),,,2023,year,2023,,,false,4713.5,,item,当期,data/portal.xlsx,年度数据,2,B,,",
        "社会消费品零售总额,,亿元,2023年第三季度,quarter,2023,,3,false,3,,item,当期,data/portal.xlsx,季度,2,B,,",
        "社会消费品零售总额,,亿元,2023年1-6月,month,2023,6,,true,2,,item,当期,data/portal.xlsx,季度,2,C,,",
        "社会消费品零售总额,,亿元,2023年一季度,quarter,2023,,1,false,,-,item,当期,data/portal.xlsx,季度,2,D,,",
        "增加值_累计同比,全国,%,2020-02,month,2020,2,,true,-13.5,,item,当期,data/portal.xlsx,Sheet1,5,B,,",
        "增加值_当期同比,全国,%,2020-03,month,2020,3,,false,-1.1,,item,当期,data/portal.xlsx,Sheet1,6,C,,",
    ];
    for e in expect {
        assert!(lines.contains(&e), "missing line {e}\n{csv}");
    }
    // 3 rows × 2 years + 2 × 3 months + 2 years + 3 quarters + 3 months × 2 series.
    assert_eq!(lines.len() - 1, 6 + 6 + 2 + 3 + 6);

    // Every row is accounted for: metadata lines are titles, footers notes.
    let m: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).expect("manifest");
    let acc = &m["accounting"];
    let read = acc["rows_read"].as_u64().unwrap();
    let sum = ["rows_kept", "rows_rejected", "rows_skipped"]
        .iter()
        .map(|k| acc[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(read, sum);
    let sheets = &m["inputs"][1]["sheets"];
    assert_eq!(sheets[0]["name"], "分省年度数据");
    assert_eq!(sheets[0]["rows_kept"], 3);
    assert_eq!(sheets[0]["wide_values"], 6);
    assert_eq!(sheets[0]["skipped"]["title"], 3);
    assert_eq!(sheets[0]["skipped"]["note"], 3);
    assert!(p.path("out/t/2022-12/data/series.parquet").exists());
}

#[test]
fn inspect_shows_metadata_periods_and_footer() {
    let p = project();
    let out = p
        .cmd()
        .args(["inspect", "--pipeline", "p.toml", "data/portal.xlsx"])
        .output()
        .expect("inspect");
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "wide table (periods in columns), header row 4; variant 当期",
        "metadata 指标: 地区生产总值(亿元)",
        "periods: 2 (year), 2019年 .. 2018年",
        "series: 3; values: 6 (2 missing; 0 in 合计 rows, 2 in # 其中 rows)",
        "footer: 数据来源：国家统计局",
        "wide table (periods in rows), header rows 1-4; variant 当期",
        "periods: 3 (month, quarter), 2023年第三季度 .. 2023年一季度",
        "rows: 10 read = 3 kept + 0 rejected + 7 skipped (title 3, header 1, note 3)",
    ] {
        assert!(text.contains(want), "missing `{want}` in\n{text}");
    }
}

#[test]
fn wide_tables_can_be_turned_off() {
    let p = project();
    let off = INVESTMENT_PIPELINE.replace(
        "include = [\"data/**/*.xlsx\", \"data/**/*.xls\", \"data/**/*.ods\"]",
        "include = [\"data/**/*.xlsx\"]\nwide_tables = false",
    );
    p.file("p.toml", off);
    // Exit 1: done, with a warning for each sheet where no table was recognised.
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    assert!(!p.path("out/t/2022-12/data/series.csv").exists());
    let m: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).expect("manifest");
    assert_eq!(m["inputs"][1]["sheets"][0]["skipped"]["no_table"], 10);
}

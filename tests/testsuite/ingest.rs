//! Ingestion rules, one test each, on small fixtures driven through the binary.

use crate::common::*;

fn manifest(p: &Project, period: &str) -> serde_json::Value {
    serde_json::from_str(&p.read(&format!("out/t/{period}/manifest.json"))).expect("manifest")
}

fn facts(p: &Project, period: &str) -> String {
    p.read(&format!("out/t/{period}/facts.csv"))
}

/// A realistic sheet: title, unit line, two-row merged header, 合计, 其中, notes, a bad cell.
fn realistic(p: &Project) {
    p.xlsx(
        "data/2022年投资.xlsx",
        &[
            SheetSpec::new(
                "项目",
                vec![
                    vec![S("二道区2022年重点项目情况表")],
                    vec![E, E, E, S("单位：万元")],
                    vec![S("项目名称"), S("建设性质"), S("投资情况"), E],
                    vec![E, E, S("总投资"), S("完成投资")],
                    vec![S("合  计"), E, N(7300.0), N(300.0)],
                    vec![S("其中：新建"), E, N(6000.0), E],
                    vec![S("\u{3000}\u{3000}续建"), E, N(1300.0), E],
                    vec![S("甲项目"), S("新建"), N(6000.0), N(100.0)],
                    vec![S("乙项目"), S("续建"), S("1,300"), S("待核实")],
                    vec![],
                    vec![S("注：数据为快报数。")],
                    vec![S("填报人：张三")],
                ],
            )
            .merge(2, 0, 3, 0)
            .merge(2, 1, 3, 1)
            .merge(2, 2, 2, 3),
            SheetSpec::new(
                "草稿",
                vec![
                    vec![S("项目名称"), S("总投资")],
                    vec![S("不应计入"), N(99999.0)],
                ],
            )
            .hidden(),
        ],
    );
}

#[test]
fn inspect_shows_the_detected_layout() {
    let p = pipeline_project();
    realistic(&p);
    let text = inspect(&p, "data/2022年投资.xlsx");
    insta::assert_snapshot!(text.replace(|c: char| c == '\r', ""));
}

#[test]
fn header_two_rows_with_merged_parent_and_title_rows_above() {
    let p = pipeline_project();
    realistic(&p);
    let text = inspect(&p, "data/2022年投资.xlsx");
    assert!(text.contains("header rows 3-4"), "{text}");
    assert!(
        text.contains("column D `投资情况/完成投资` -> completed"),
        "{text}"
    );
    assert!(text.contains("title: 二道区2022年重点项目情况表"), "{text}");
}

#[test]
fn header_is_found_within_fifteen_rows_only() {
    let p = pipeline_project();
    let mut near = vec![vec![S("说明")]; 12];
    near.push(vec![S("项目名称"), S("总投资")]);
    near.push(vec![S("甲"), N(1.0)]);
    let mut far = vec![vec![S("说明")]; 16];
    far.push(vec![S("项目名称"), S("总投资")]);
    far.push(vec![S("甲"), N(1.0)]);
    p.xlsx("data/2022年近.xlsx", &[SheetSpec::new("s", near)]);
    p.xlsx("data/2022年远.xlsx", &[SheetSpec::new("s", far)]);
    assert!(inspect(&p, "data/2022年近.xlsx").contains("header row 13"));
    let text = inspect(&p, "data/2022年远.xlsx");
    assert!(text.contains("no table recognised"), "{text}");
    assert!(text.contains("no_table 18"), "{text}");
}

#[test]
fn header_text_is_normalised_and_last_year_is_a_different_field() {
    let p = pipeline_project();
    p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![
                    S("项 目\n名 称"),
                    S("总投资（万元）"),
                    S("本年累计\n完成投资"),
                    S("上年完成投资"),
                ],
                vec![S("甲"), N(10.0), N(2.0), N(1.0)],
            ],
        )],
    );
    let text = inspect(&p, "data/2022年投资.xlsx");
    assert!(
        text.contains("`项 目\n名 称` -> project") || text.contains("-> project"),
        "{text}"
    );
    assert!(text.contains("-> completed"), "{text}");
    assert!(text.contains("`上年完成投资` -> last_year"), "{text}");
    assert!(text.contains("unit 万元"), "{text}");
}

#[test]
fn the_same_field_twice_warns_and_uses_the_first_column() {
    let p = pipeline_project();
    p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("项目名称"), S("总投资"), S("计划总投资")],
                vec![S("甲"), N(10.0), N(99.0)],
            ],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let m = manifest(&p, "2022-12");
    assert!(
        m["warnings"].to_string().contains("计划总投资"),
        "{}",
        m["warnings"]
    );
    assert!(facts(&p, "2022-12").contains("total,合计,总投资,10.0000"));
}

#[test]
fn money_unit_header_beats_unit_line_beats_default_and_counts_are_not_scaled() {
    let p = Project::new();
    p.file(
        "p.toml",
        INVESTMENT_PIPELINE.replace(
            "kind = \"money\"\nsynonyms = [\"完成投资\"]",
            "kind = \"count\"\nsynonyms = [\"完成投资\"]",
        ),
    );
    p.xlsx(
        "data/2022年a.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("单位：元")],
                vec![S("项目名称"), S("总投资（亿元）"), S("完成投资")],
                vec![S("甲"), N(11.73), N(5.0)],
            ],
        )],
    );
    p.xlsx(
        "data/2022年b.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("单位：元")],
                vec![S("项目名称"), S("总投资")],
                vec![S("乙"), N(1.0)],
            ],
        )],
    );
    p.xlsx(
        "data/2022年c.xlsx",
        &[SheetSpec::new(
            "s",
            vec![vec![S("项目名称"), S("总投资")], vec![S("丙"), N(2.0)]],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    // 11.73亿元 + 1元 + 2万元 = 117302.0001万元, exactly.
    assert!(
        facts(&p, "2022-12").contains("total,合计,总投资,117302.0001"),
        "{}",
        facts(&p, "2022-12")
    );
}

#[test]
fn numbers_as_text_and_dashes_are_read_and_a_bad_value_rejects_the_row() {
    let p = pipeline_project();
    p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("项目名称"), S("建设性质"), S("总投资"), S("完成投资")],
                vec![S("甲"), S("新建"), S("1,234.5"), S("—")],
                vec![S("乙"), S("新建"), S("１２３"), S("-")],
                vec![S("丙"), S("新建"), S("(34.5)"), N(1.0)],
                vec![S("丁"), S("新建"), N(5.0), S("待核实")],
            ],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    assert!(
        facts(&p, "2022-12").contains("total,合计,总投资,1323.0000"),
        "{}",
        facts(&p, "2022-12")
    );
    let rejected = p.read("out/t/2022-12/rejected.csv");
    assert_eq!(
        rejected.lines().nth(1),
        Some("data/2022年投资.xlsx,项目,5,D,完成投资,待核实,\"expected an amount for field `completed`, found text \"\"待核实\"\"\",found_text")
    );
}

#[test]
fn totals_breakdowns_blanks_and_notes_are_skipped_and_counted() {
    let p = pipeline_project();
    realistic(&p);
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let m = manifest(&p, "2022-12");
    let sheet = &m["inputs"][0]["sheets"][0];
    let sk = &sheet["skipped"];
    assert_eq!(
        (
            sk["title"].as_u64(),
            sk["header"].as_u64(),
            sk["total"].as_u64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(
        (
            sk["breakdown"].as_u64(),
            sk["blank"].as_u64(),
            sk["note"].as_u64()
        ),
        (Some(2), Some(1), Some(2))
    );
    assert_eq!(sheet["rows_kept"].as_u64(), Some(1));
    assert_eq!(sheet["rows_rejected"].as_u64(), Some(1));
    // The hidden sheet's rows are counted, never read as data.
    assert_eq!(
        m["inputs"][0]["sheets"][1]["skipped"]["hidden_sheet"].as_u64(),
        Some(2)
    );
    assert!(!facts(&p, "2022-12").contains("99999"));
}

#[test]
fn a_project_named_like_a_total_is_kept() {
    let p = pipeline_project();
    p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("项目名称"), S("总投资")],
                vec![S("合计划生育服务中心改造项目"), N(1.0)],
                vec![S("合计"), N(1.0)],
            ],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert!(facts(&p, "2022-12").contains("total,合计,项目个数,1"));
}

#[test]
fn year_from_column_sheet_title_and_file_name_in_that_order() {
    let p = pipeline_project();
    let header = || vec![S("项目名称"), S("总投资")];
    p.xlsx(
        "data/a.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("年份"), S("项目名称"), S("总投资")],
                vec![N(2019.0), S("甲"), N(1.0)],
                vec![S("2020年"), S("乙"), N(2.0)],
            ],
        )],
    );
    p.xlsx(
        "data/2016年b.xlsx",
        &[SheetSpec::new(
            "2017年",
            vec![vec![S("2018年项目")], header(), vec![S("丙"), N(3.0)]],
        )],
    );
    p.xlsx(
        "data/2016年c.xlsx",
        &[SheetSpec::new(
            "s",
            vec![vec![S("2018年项目")], header(), vec![S("丁"), N(4.0)]],
        )],
    );
    p.xlsx(
        "data/投资_2021.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("重点项目")],
                header(),
                vec![S("2015年老旧小区改造"), N(5.0)],
                vec![S("注：2014年起统计")],
            ],
        )],
    );
    // Titles that contradict their file names are named (and make the run exit 1).
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("data/2016年c.xlsx: sheet `s`: the title rows give the year 2018 but the file name gives 2016; 2018 (from the title rows) is used"),
        "{stderr}"
    );
    let f = facts(&p, "2021-12");
    for (year, amount) in [
        (2019, "1.0000"),
        (2020, "2.0000"),
        (2017, "3.0000"),
        (2018, "4.0000"),
        (2021, "5.0000"),
    ] {
        assert!(
            f.contains(&format!("{year},,by_nature,total,合计,总投资,{amount}")),
            "{year}: {f}"
        );
    }
}

#[test]
fn month_and_cumulative_from_the_title() {
    let p = pipeline_project();
    p.xlsx(
        "data/x.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("二道区2022年1-5月重点项目")],
                vec![S("项目名称"), S("总投资")],
                vec![S("甲"), N(1.0)],
            ],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let m = manifest(&p, "2022-05");
    let sheet = &m["inputs"][0]["sheets"][0];
    assert_eq!(
        (
            sheet["year"].as_i64(),
            sheet["month"].as_u64(),
            sheet["cumulative"].as_bool()
        ),
        (Some(2022), Some(5), Some(true))
    );
}

#[test]
fn a_sheet_without_a_table_is_a_warning() {
    let p = pipeline_project();
    realistic(&p);
    p.xlsx(
        "data/2022年说明.xlsx",
        &[SheetSpec::new(
            "封面",
            vec![vec![S("二道区统计月报")], vec![S("2022年12月")]],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let m = manifest(&p, "2022-12");
    assert!(
        m["warnings"]
            .to_string()
            .contains("2022年说明.xlsx: sheet `封面`: no table recognised"),
        "{}",
        m["warnings"]
    );
}

#[test]
fn unreadable_files_are_reported_and_the_batch_goes_on() {
    let p = pipeline_project();
    realistic(&p);
    p.file("data/truncated.xlsx", b"PK\x03\x04 not really a zip");
    p.file(
        "data/page.xlsx",
        "<!DOCTYPE html><html><table><tr><td>1</td></tr></table></html>",
    );
    p.file("data/empty.xls", b"");
    // Reporting systems often save an HTML table under an .xls name.
    p.file(
        "data/export.xls",
        "<html><body><table><tr><td>项目名称</td></tr></table></body></html>",
    );
    p.file("data/~$2022年投资.xlsx", b"lock");
    p.file("data/text.ods", "a,b,c\n1,2,3\n");
    std::fs::create_dir_all(p.path("data/folder.xlsx")).unwrap();
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let m = manifest(&p, "2022-12");
    let errors = m["errors"].to_string();
    for (file, why) in [
        ("truncated.xlsx", "corrupt or unreadable"),
        ("page.xlsx", "looks like HTML"),
        ("empty.xls", "empty file"),
        (
            "export.xls",
            "not a workbook: the content looks like HTML, not a legacy .xls (OLE) file",
        ),
        ("~$2022年投资.xlsx", "lock file"),
        ("text.ods", "plain text or CSV"),
    ] {
        assert!(
            errors.contains(file) && errors.contains(why),
            "{file}: {errors}"
        );
    }
    assert!(
        m["warnings"]
            .to_string()
            .contains("folder.xlsx: is a folder"),
        "{}",
        m["warnings"]
    );
    assert!(facts(&p, "2022-12").contains("total,合计,项目个数,1"));
}

#[test]
fn row_accounting_balances_for_every_file_and_sheet() {
    let p = pipeline_project();
    realistic(&p);
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let m = manifest(&p, "2022-12");
    let a = &m["accounting"];
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap();
    assert_eq!(
        n(a, "rows_read"),
        n(a, "rows_kept") + n(a, "rows_rejected") + n(a, "rows_skipped")
    );
    for f in m["inputs"].as_array().unwrap() {
        assert_eq!(
            n(f, "rows_read"),
            n(f, "rows_kept") + n(f, "rows_rejected") + n(f, "rows_skipped")
        );
    }
    let rejected = p.read("out/t/2022-12/rejected.csv");
    assert_eq!(rejected.lines().count() as u64 - 1, n(a, "rows_rejected"));
}

#[test]
fn clean_data_keeps_provenance() {
    use polars::prelude::*;
    let p = pipeline_project();
    realistic(&p);
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let file = std::fs::File::open(p.path("out/t/2022-12/data/investment.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), 1);
    let row = df.column("row").unwrap().get(0).unwrap();
    assert_eq!(row, AnyValue::UInt32(8));
    assert_eq!(
        df.column("total_investment").unwrap().get(0).unwrap(),
        AnyValue::Int64(6_000 * 1_000_000)
    );
}

#[test]
fn a_total_that_disagrees_with_the_rows_is_a_warning() {
    let p = pipeline_project();
    p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("单位：万元")],
                vec![S("项目名称"), S("总投资")],
                vec![S("合计"), N(7400.0)],
                vec![S("甲"), N(6000.0)],
                vec![S("乙"), N(1300.0)],
            ],
        )],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let warnings = manifest(&p, "2022-12")["warnings"].to_string();
    assert!(
        warnings.contains("sheet `项目`: 合计 row 3 (总投资) says 7400.0000万元 but the data rows sum to 7300.0000万元"),
        "{warnings}"
    );
}

#[test]
fn a_password_protected_workbook_is_reported() {
    let p = pipeline_project();
    realistic(&p);
    // An encrypted .xlsx is an OLE compound file, not a zip.
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(4096, 0);
    p.file("data/locked.xlsx", bytes);
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let errors = manifest(&p, "2022-12")["errors"].to_string();
    assert!(
        errors.contains("locked.xlsx: password-protected"),
        "{errors}"
    );
}

#[test]
fn a_stray_cell_at_the_sheet_corner_is_reported_not_allocated() {
    let p = pipeline_project();
    let path = p.path("data/2022年投资.xlsx");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "项目名称").unwrap();
    ws.write_string(0, 1, "总投资").unwrap();
    ws.write_string(1, 0, "甲项目").unwrap();
    ws.write_number(1, 1, 100.0).unwrap();
    // A dense grid to this cell would be 17 billion cells.
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    wb.save(&path).unwrap();
    let out = inspect(&p, "data/2022年投资.xlsx");
    assert!(
        out.contains("warning: 1 cells far outside the table were left out: XFD1048576 (\"x\")"),
        "{out}"
    );
    assert!(
        out.contains("rows: 3 read = 1 kept + 0 rejected + 2 skipped (header 1, stray 1)"),
        "{out}"
    );
}

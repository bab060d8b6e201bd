//! Every shortcut (src/shortcuts.rs) gives the outputs of the plain way, byte for byte: on
//! workbooks as bureaus save them (formulas in the 合计 row, merged title, unit and note lines,
//! number formats, frozen panes, rich text, a date column, sheets long enough to be scanned in
//! two halves), and on the shipped sample.

use crate::common::*;
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Formula, Workbook};
use yearbook::shortcuts::Shortcut;

const NATURES: [&str; 3] = ["新建", "续建", "改扩建"];

/// One month's investment workbook of `rows` projects, as a bureau's spreadsheet program
/// saves it. Amounts are whole fen, so that the 合计 row's saved values are exact.
fn bureau_book(p: &Project, year: i32, month: u32, rows: u32) {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2023, 1, 10).expect("date");
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let ws = wb.add_worksheet();
    ws.set_name("投资").expect("name");
    let border = Format::new().set_border(FormatBorder::Thin);
    let money = border.clone().set_num_format("#,##0.00");
    let date = border.clone().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
    let bold = Format::new().set_bold();
    let title = format!("{year}年1—{month}月固定资产投资项目情况");
    ws.merge_range(0, 0, 0, 5, &title, &bold).expect("title");
    ws.merge_range(1, 0, 1, 5, "单位：万元", &Format::new())
        .expect("unit");
    for (c, h) in [
        "序号",
        "项目名称",
        "建设性质",
        "总投资",
        "完成投资",
        "开工日期",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(2, c as u16, *h, &bold)
            .expect("header");
    }
    let first = 4u32;
    let (mut total, mut done) = (0i64, 0i64);
    for i in 0..rows {
        let r = first + i;
        // The same projects each month, more of them: a 1—N月 figure cannot fall.
        let fen_total = i64::from((i * 7919) % 900_000 + 100);
        let fen_done = fen_total / 3;
        total += fen_total;
        done += fen_done;
        ws.write_number_with_format(r, 0, f64::from(i + 1), &border)
            .expect("n");
        let name = format!("项目{month:02}-{i:04}");
        if i % 50 == 7 {
            // A name in two runs, the second in red, as a remark is often marked.
            let red = Format::new().set_font_color(Color::Red);
            ws.write_rich_string(r, 1, &[(&Format::new(), name.as_str()), (&red, "（重点）")])
                .expect("rich");
        } else {
            ws.write_string_with_format(r, 1, &name, &border)
                .expect("name");
        }
        ws.write_string_with_format(r, 2, NATURES[(i % 3) as usize], &border)
            .expect("nature");
        ws.write_number_with_format(r, 3, fen_total as f64 / 100.0, &money)
            .expect("total");
        ws.write_number_with_format(r, 4, fen_done as f64 / 100.0, &money)
            .expect("done");
        let start =
            ExcelDateTime::from_ymd(2021, 1 + (i % 12) as u8, 1 + (i % 28) as u8).expect("start");
        ws.write_datetime_with_format(r, 5, &start, &date)
            .expect("date");
    }
    let last = first + rows;
    ws.write_string_with_format(3, 0, "合计", &bold)
        .expect("合计");
    for (c, fen) in [(3u16, total), (4u16, done)] {
        let letter = ["D", "E"][usize::from(c - 3)];
        let sum = Formula::new(format!("=SUM({letter}{}:{letter}{last})", first + 1))
            .set_result(format!("{}.{:02}", fen / 100, fen % 100));
        ws.write_formula_with_format(3, c, sum, &money)
            .expect("sum");
    }
    ws.merge_range(last, 0, last, 5, "注：本表数据为快报数。", &Format::new())
        .expect("note");
    ws.set_freeze_panes(4, 0).expect("freeze");
    ws.set_column_width(1, 30).expect("width");
    let path = p.path(&format!("data/{year}年{month}月投资项目.xlsx"));
    std::fs::create_dir_all(path.parent().expect("folder")).expect("mkdir");
    wb.save(&path).expect("save");
}

/// Six months of 2022 and two of 2021; the two longest sheets hold over 128 KiB of rows.
fn bureau_project() -> Project {
    let p = Project::new();
    p.file("p.toml", INVESTMENT_PIPELINE);
    for (year, month, rows) in [
        (2021, 11, 40),
        (2021, 12, 45),
        (2022, 1, 30),
        (2022, 2, 35),
        (2022, 3, 50),
        (2022, 4, 60),
        (2022, 5, 900),
        (2022, 6, 1_000),
    ] {
        bureau_book(&p, year, month, rows);
    }
    p
}

/// Runs `args`, with the shortcuts `without` names switched off, and gives the exit code.
fn run(p: &Project, without: Option<&str>, args: &[&str]) -> i32 {
    let mut cmd = p.cmd();
    if let Some(names) = without {
        cmd.env(yearbook::shortcuts::ENV, names);
    }
    let out = cmd.args(args).output().expect("run");
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    out.status.code().unwrap_or(-1)
}

/// The published outputs: neither the manifest (timings) nor the caches (what a run keeps
/// depends on the shortcuts).
fn published(p: &Project, dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut all = outputs(p, dir);
    all.retain(|(rel, _)| !rel.contains(".cache/"));
    all
}

/// Asserts two output trees hold the same files with the same bytes, naming those that differ.
fn same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)], what: &str) {
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}: the same files");
    let differ: Vec<&str> = a
        .iter()
        .zip(b)
        .filter(|((_, x), (_, y))| x != y)
        .map(|((r, _), _)| r.as_str())
        .collect();
    assert!(differ.is_empty(), "{what}: {differ:?} differ");
}

#[test]
fn each_shortcut_gives_the_outputs_of_the_plain_way() {
    let p = bureau_project();
    let code = run(&p, None, &["run", "p.toml", "--no-cache", "--out", "base"]);
    assert_eq!(code, 0, "the corpus reads cleanly");
    let base = outputs(&p, "base");
    assert!(base.len() > 5, "{base:?}");
    let facts = String::from_utf8_lossy(
        &base
            .iter()
            .find(|(rel, _)| rel.ends_with("facts.csv"))
            .expect("facts.csv")
            .1,
    )
    .to_string();
    // June's workbook lists the year's 1,000 projects so far.
    assert!(facts.contains(",合计,项目个数,1000,个"), "{facts}");
    let names: Vec<&str> = Shortcut::ALL
        .iter()
        .map(|s| s.name())
        .chain(["all"])
        .collect();
    for name in names {
        let out = format!("without-{name}");
        assert_eq!(
            run(
                &p,
                Some(name),
                &["run", "p.toml", "--no-cache", "--out", &out]
            ),
            0
        );
        same(&base, &outputs(&p, &out), name);
    }
}

#[test]
fn with_the_caches_a_re_run_gives_the_same_outputs_either_way() {
    let p = bureau_project();
    for dir in ["fast", "plain"] {
        let without = (dir == "plain").then_some("all");
        assert_eq!(run(&p, without, &["run", "p.toml", "--out", dir]), 0);
    }
    same(&published(&p, "fast"), &published(&p, "plain"), "first run");
    // One workbook changes: a re-run reads it alone and adds its partials to the kept ones.
    bureau_book(&p, 2022, 3, 36);
    for dir in ["fast", "plain"] {
        let without = (dir == "plain").then_some("all");
        assert_eq!(run(&p, without, &["run", "p.toml", "--out", dir]), 0);
    }
    same(&published(&p, "fast"), &published(&p, "plain"), "re-run");
}

#[test]
fn the_sample_gives_the_same_outputs_without_any_shortcut() {
    let p = sample_project();
    for (dir, without) in [("fast", None), ("plain", Some("all"))] {
        let args = ["run", "pipelines/erdao.toml", "--no-cache", "--out", dir];
        assert_eq!(run(&p, without, &args), 1, "the sample's three bad cells");
    }
    let fast = outputs(&p, "fast");
    assert!(fast.len() > 20);
    same(&fast, &outputs(&p, "plain"), "sample");
}

#[test]
fn a_misspelt_shortcut_is_refused_with_the_name_meant() {
    let p = bureau_project();
    // What a run says on stderr when the variable holds `names`; it must refuse to start.
    let refused = |mut cmd: assert_cmd::Command, names: &str| {
        let out = cmd
            .env(yearbook::shortcuts::ENV, names)
            .args(["run", "p.toml", "--no-cache"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let stderr = refused(p.cmd(), "fold,partails");
    assert!(
        stderr.starts_with(
            "error: YEARBOOK_WITHOUT: `partails` is not the name of a shortcut; did you mean \
             `partials`? The names are plain-reader, without-calamine,"
        ),
        "{stderr}"
    );
    assert!(!p.path("out").exists(), "nothing written");
    let stderr = refused(p.cmd_zh(), "partails");
    assert!(
        stderr
            .starts_with("错误：YEARBOOK_WITHOUT：“partails”不是捷径的名称，是否应为“partials”？"),
        "{stderr}"
    );
}

#[test]
fn rows_folded_with_the_caches_meet_readings_the_parse_cache_gives_back() {
    let p = bureau_project();
    assert_eq!(run(&p, None, &["run", "p.toml", "--out", "cached"]), 0);
    // The results store is lost, the parse cache kept; one workbook changes. The re-run folds
    // the changed workbook's rows and takes the others' from the parse cache.
    std::fs::remove_dir_all(p.path("cached/t/.cache/results")).expect("results store");
    bureau_book(&p, 2022, 4, 61);
    assert_eq!(run(&p, None, &["run", "p.toml", "--out", "cached"]), 0);
    assert_eq!(
        run(&p, None, &["run", "p.toml", "--no-cache", "--out", "fresh"]),
        0
    );
    same(
        &published(&p, "cached"),
        &published(&p, "fresh"),
        "after the store was lost",
    );
}

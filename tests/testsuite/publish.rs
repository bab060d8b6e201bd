//! Publishable outputs: tables a bureau would print (NBS layout, decimals, growth per measure),
//! the report's contents and table rendering, analysts' files (units, integer months, Parquet
//! older readers can open) and the messages around `--period` and pipeline mistakes.

use crate::common::*;
use std::io::Read;

/// Two years of projects; 2022 has an amount with more decimals than the table shows.
fn project(tables: &str) -> Project {
    let p = Project::new();
    p.file("p.toml", format!("{INVESTMENT_PIPELINE}\n{tables}"));
    investment_book(
        &p,
        "data/2021年.xlsx",
        vec![
            vec![S("甲项目"), S("新建"), N(5000.0)],
            vec![S("乙项目"), S("续建"), N(1000.0)],
        ],
    );
    investment_book(
        &p,
        "data/2022年.xlsx",
        vec![
            vec![S("甲项目"), S("新建"), N(1234567.891234)],
            vec![S("乙项目"), S("续建"), N(1500.0)],
            vec![S("丙项目"), S("续建"), N(2500.0)],
        ],
    );
    p
}

fn stderr(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).to_string()
}

fn zip_part(path: &std::path::Path, part: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    zip.by_name(part).unwrap().read_to_string(&mut s).unwrap();
    s
}

const TOTALS: &str = r#"
[[tables]]
name = "totals"
title = "项目总体情况"
dataset = "investment"
measures = [
  { name = "项目个数", op = "count" },
  { name = "总投资", op = "sum", field = "total_investment" },
  { name = "总投资一位", op = "sum", field = "total_investment", decimals = 1 },
  { name = "新建占比", op = "rate", field = "nature", values = ["新建"] },
]
growth = ["项目个数", "总投资"]
"#;

#[test]
fn money_prints_with_two_decimals_unless_a_measure_says_otherwise() {
    let p = project(TOTALS);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let xlsx = p.path("out/t/2022-12/tables/t.xlsx");
    let styles = zip_part(&xlsx, "xl/styles.xml");
    assert!(styles.contains("formatCode=\"#,##0.00\""), "{styles}");
    assert!(styles.contains("formatCode=\"#,##0.0\""), "{styles}");
    assert!(!styles.contains("#,##0.0000"), "{styles}");
    // The CSV keeps every digit.
    let csv = p.read("out/t/2022-12/tables/totals.csv");
    assert!(csv.contains("1238567.891234"), "{csv}");
    // The report shows the table as printed: thousands separators, two decimals.
    let html = p.read("out/t/2022-12/index.html");
    assert!(html.contains("1,238,567.89"), "{html}");
    assert!(!html.contains("1238567.8912"), "{html}");
}

#[test]
fn a_table_without_dimensions_lists_its_measures_down_the_rows() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let p = project(TOTALS);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let xlsx = p.path("out/t/2022-12/tables/t.xlsx");
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let r = wb.worksheet_range("项目总体情况").unwrap();
    let s = |row: u32, col: u32| r.get_value((row, col)).cloned().unwrap_or(Data::Empty);
    assert_eq!(s(0, 0), Data::String("项目总体情况".into()));
    let header: Vec<Data> = (0..5).map(|c| s(1, c)).collect();
    assert_eq!(
        header,
        ["指标", "单位", "2021年", "2022年", "同比增长(%)"]
            .map(|t| Data::String(t.into()))
            .to_vec()
    );
    assert_eq!(s(2, 0), Data::String("项目个数".into()));
    assert_eq!(s(2, 1), Data::String("个".into()));
    assert_eq!(s(2, 3), Data::Float(3.0));
    assert_eq!(s(2, 4), Data::Float(50.0));
    assert_eq!(s(3, 1), Data::String("万元".into()));
    // A rate gets no 同比.
    assert_eq!(s(5, 0), Data::String("新建占比".into()));
    assert_eq!(s(5, 1), Data::String("%".into()));
    assert_eq!(s(5, 4), Data::Empty);
    assert_eq!(s(6, 0), Data::String("注：数据截至2022年1—12月。".into()));

    let sheet = zip_part(&xlsx, "xl/worksheets/sheet2.xml");
    for part in [
        "paperSize=\"9\"",
        "orientation=\"landscape\"",
        "fitToHeight=\"0\"",
        "horizontalCentered=\"1\"",
        "ySplit=\"2\"",
    ] {
        assert!(sheet.contains(part), "{part} in {sheet}");
    }
}

#[test]
fn growth_names_its_measures_and_never_takes_a_rate() {
    let p = project(TOTALS);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let csv = p.read("out/t/2022-12/tables/totals.csv");
    let header = csv.lines().next().unwrap();
    assert!(header.contains("项目个数同比(%)"), "{header}");
    assert!(header.contains("总投资同比(%)"), "{header}");
    assert!(!header.contains("总投资一位同比"), "{header}");
    assert!(!header.contains("新建占比同比"), "{header}");

    // `growth = true` gives 同比 to sums and counts only.
    let p = project(&TOTALS.replace(r#"growth = ["项目个数", "总投资"]"#, "growth = true"));
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let csv = p.read("out/t/2022-12/tables/totals.csv");
    let header = csv.lines().next().unwrap();
    assert!(header.contains("总投资一位同比(%)"), "{header}");
    assert!(!header.contains("新建占比同比"), "{header}");

    // Naming a rate is a pipeline error.
    let p = project(&TOTALS.replace(
        r#"growth = ["项目个数", "总投资"]"#,
        r#"growth = ["新建占比"]"#,
    ));
    let out = p.cmd().args(["validate", "p.toml"]).assert().code(2);
    let err = stderr(&out);
    assert!(
        err.contains("tables[1].growth[0]") && err.contains("新建占比"),
        "{err}"
    );
}

#[test]
fn rate_on_a_money_field_is_a_pipeline_error() {
    let p = project(
        r#"
[[tables]]
name = "bad"
dataset = "investment"
measures = [{ name = "比率", op = "rate", field = "total_investment", values = ["5000"] }]
"#,
    );
    let out = p.cmd().args(["validate", "p.toml"]).assert().code(2);
    let err = stderr(&out);
    assert!(
        err.contains("op `rate`") && err.contains("`total_investment` is money"),
        "{err}"
    );
}

#[test]
fn a_chart_of_a_table_that_failed_gets_no_unknown_table_error() {
    let p = project(
        r#"
[[tables]]
name = "broken"
dataset = "investment"
measures = [{ name = "和", op = "sum", field = "nosuch" }]

[[charts]]
name = "c"
table = "broken"
kind = "bar"
"#,
    );
    let out = p.cmd().args(["validate", "p.toml"]).assert().code(2);
    let err = stderr(&out);
    assert!(err.contains("nosuch"), "{err}");
    assert!(!err.contains("unknown table"), "{err}");
    assert!(err.contains("has 1 problem"), "{err}");
}

#[test]
fn a_period_without_data_is_an_error_naming_the_nearest_months() {
    let p = project("");
    for run in ["cold", "cached"] {
        let out = p
            .cmd()
            .args(["run", "p.toml", "--period", "2022-06"])
            .assert()
            .code(3);
        let err = stderr(&out);
        assert!(
            err.contains("--period 2022-06") && err.contains("2021-12 and 2022-12"),
            "{run}: {err}"
        );
        assert!(!p.path("out/t/2022-06").exists(), "{run}");
    }
    let out = p
        .cmd()
        .args(["run", "p.toml", "--period", "2023-01"])
        .assert()
        .code(3);
    let err = stderr(&out);
    assert!(err.contains("are 2022-12"), "{err}");
    p.cmd()
        .args(["run", "p.toml", "--period", "2021-12"])
        .assert()
        .code(0);
}

#[test]
fn facts_and_table_files_say_their_units_and_months_are_whole_numbers() {
    let p = project(
        r#"
[[tables]]
name = "ytd"
dataset = "investment"
period = "ytd"
layout = "long"
measures = [{ name = "总投资", op = "sum", field = "total_investment" }]
"#,
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let facts = p.read("out/t/2022-12/facts.csv");
    let mut lines = facts.lines();
    assert_eq!(
        lines.next(),
        Some("year,month,table,dimension,key,metric,value,unit")
    );
    assert!(
        facts.contains("2022,,by_nature,total,合计,项目个数,3,个"),
        "{facts}"
    );
    assert!(facts.contains(",总投资,1238567.8912,万元"), "{facts}");
    // A long table's month is a whole number, empty for annual rows.
    let csv = p.read("out/t/2022-12/tables/ytd.csv");
    for line in csv.lines().skip(1) {
        let month = line.split(',').nth(1).unwrap();
        assert!(
            month.is_empty() || month.parse::<u32>().is_ok(),
            "{line} in {csv}"
        );
    }
}

/// Runs python3 with pyarrow 12 or later on `script`; None when they are not installed.
fn pyarrow(script: &str, dir: &std::path::Path) -> Option<String> {
    let check = std::process::Command::new("python3")
        .args(["-c", "import pyarrow.parquet"])
        .output()
        .ok()?;
    if !check.status.success() {
        return None;
    }
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn parquet_files_open_in_older_arrow_readers_and_say_money_is_fen() {
    let p = project("");
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let dir = p.path("out/t/2022-12");
    let script = r#"
import glob, pyarrow, pyarrow.parquet as pq
for f in sorted(glob.glob('tables/*.parquet') + glob.glob('data/*.parquet')):
    s = pq.read_table(f).schema
    for field in s:
        assert 'view' not in str(field.type), (f, field)
s = pq.read_table('data/investment.parquet').schema
print(s.field('month').type)
print(s.field('total_investment').metadata[b'unit'].decode())
print(s.field('project').type)
"#;
    match pyarrow(script, &dir) {
        Some(out) => assert_eq!(out, "int32\nfen\nlarge_string\n"),
        None => cannot_run("python3 with pyarrow is not installed"),
    }
}

#[test]
fn the_report_has_contents_and_prints_a_table_per_page() {
    let p = project(TOTALS);
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let html = p.read("out/t/2022-12/index.html");
    assert!(html.contains("<nav class=\"toc\">"), "{html}");
    assert!(
        html.contains("<a href=\"#by_nature\">项目情况</a>"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"#totals\">项目总体情况</a>"),
        "{html}"
    );
    assert!(html.contains("section.table{break-before:page"), "{html}");
    // The dimension's label column stays on one line, under a two-row header.
    assert!(
        html.contains("<th class=\"k\" rowspan=\"2\">建设性质</th>"),
        "{html}"
    );
    assert!(html.contains("white-space:nowrap"), "{html}");
    assert!(html.contains("<td class=\"k\">续建</td>"), "{html}");
}

/// In a real browser, no label cell of index.html is narrower than its text: each stays on one
/// line (the label column was once squeezed to one character per line).
#[test]
fn the_report_label_column_is_as_wide_as_its_text() {
    let Some(browser) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        cannot_run("chromium is not installed (.ci/run installs it)");
        return;
    };
    let p = Project::new();
    p.file("p.toml", format!("{INVESTMENT_PIPELINE}\n{TOTALS}"));
    // A long label and many columns: the squeeze needs a table wider than the page. The two
    // years' books differ, as a copy of one workbook under another name is read once.
    for (rel, amount) in [
        ("data/2021年.xlsx", 123456789.0),
        ("data/2022年.xlsx", 987654321.0),
    ] {
        let mut rows = Vec::new();
        for (name, nature) in [("甲项目", "新建（含改扩建、技术改造）"), ("乙项目", "续建")]
        {
            rows.push(vec![S(name), S(nature), N(amount)]);
        }
        investment_book(&p, rel, rows);
    }
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let index = p.path("out/t/2022-12/index.html");
    let html = std::fs::read_to_string(&index).unwrap();
    // The page measures itself and writes what it found into the DOM.
    let probe = "<script>window.addEventListener('load',()=>{const bad=[];\
        for(const c of document.querySelectorAll('td.k,th.k')){\
        const lh=parseFloat(getComputedStyle(c).lineHeight)||20;\
        const tall=c.tagName=='TD'&&c.clientHeight>lh*1.8;\
        if(c.scrollWidth>c.clientWidth+1||tall)bad.push(c.textContent);}\
        const d=document.createElement('div');d.id='probe';\
        d.textContent='checked '+document.querySelectorAll('td.k').length+' squeezed ['+bad.join('|')+']';\
        document.body.appendChild(d);});</script>";
    let probed = p.path("out/t/2022-12/probe.html");
    std::fs::write(&probed, html.replace("</body>", &format!("{probe}</body>"))).unwrap();
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--window-size=800,1000",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", p.path("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", probed.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let at = dom
        .find("id=\"probe\"")
        .unwrap_or_else(|| panic!("no probe in {dom}"));
    let found = &dom[at..dom[at..].find("</div>").map_or(dom.len(), |e| at + e)];
    assert!(found.contains("squeezed []"), "{found}");
    assert!(!found.contains("checked 0 "), "{found}");
}

#[test]
fn inspect_on_a_missing_file_says_it_does_not_exist() {
    let p = pipeline_project();
    let out = p
        .cmd()
        .args(["inspect", "--pipeline", "p.toml", "nope.xlsx"])
        .output()
        .expect("inspect");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("error: the file does not exist"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn json_logs_carry_fatal_errors_and_the_summary_as_fields() {
    let p = pipeline_project();
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲项目"), S("新建"), N(100.0)]],
    );
    let line = |stderr: &[u8], message: &str| -> serde_json::Value {
        String::from_utf8_lossy(stderr)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["fields"]["message"] == message)
            .unwrap_or_else(|| panic!("no `{message}` line: {}", String::from_utf8_lossy(stderr)))
    };
    let out = p
        .cmd()
        .args(["--log-format", "json", "run", "missing.toml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let e = line(&out.stderr, "error");
    assert_eq!(e["level"], "ERROR");
    assert_eq!(e["fields"]["exit_code"], 2);
    assert!(e["fields"]["error"]
        .as_str()
        .is_some_and(|s| s.starts_with("cannot read pipeline file")));
    assert_eq!(e["fields"]["causes"].as_array().map(Vec::len), Some(1));

    let out = p
        .cmd()
        .args(["--log-format", "json", "run", "p.toml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let done = line(&out.stderr, "done");
    assert_eq!(done["fields"]["period"], "2022-12");
    assert_eq!(done["fields"]["rows_kept"], 1);
    assert_eq!(done["fields"]["warnings"], 0);
}

//! Hostile and careless pipelines, and outputs that could be misread: names that would become
//! paths outside OUT, names the disk refuses, huge synonym lists, CSV text a spreadsheet would
//! run as a formula, text longer than an XLSX cell, and dates no calendar here holds.

use crate::common::*;
use crate::hostile::{replace_in, rewrite_zip};
use std::time::Duration;

/// The investment pipeline with `from` replaced by `to`.
fn pipeline_with(from: &str, to: &str) -> String {
    assert!(INVESTMENT_PIPELINE.contains(from), "{from}");
    INVESTMENT_PIPELINE.replacen(from, to, 1)
}

fn one_project(p: &Project) {
    investment_book(
        p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲项目"), S("新建"), N(100.0)]],
    );
}

/// Runs `run` on a pipeline text and returns stderr, demanding exit 2 and nothing written.
fn refused(pipeline: &str) -> String {
    let p = Project::new();
    one_project(&p);
    p.file("p.toml", pipeline);
    let out = p.cmd().args(["run", "p.toml"]).assert().code(2);
    assert!(!p.path("out").exists(), "a refused pipeline wrote outputs");
    String::from_utf8_lossy(&out.get_output().stderr).to_string()
}

#[test]
fn names_that_would_leave_the_output_folder_are_refused_at_load() {
    let escapes = std::env::temp_dir().join(format!("yearbook-escape-{}", std::process::id()));
    let table = |name: &str| pipeline_with("name = \"by_nature\"", &format!("name = \"{name}\""));
    let cases = [
        (
            table(&format!("{}/ESCAPED", escapes.display())),
            "tables[0].name",
        ),
        (table("../../2022-12/facts"), "tables[0].name"),
        (
            INVESTMENT_PIPELINE
                .replace("datasets.investment", "datasets.\"../../x\"")
                .replace("dataset = \"investment\"", "dataset = \"../../x\""),
            "datasets.../../x",
        ),
        (pipeline_with("name = \"t\"", "name = \"..\""), "name"),
    ];
    for (text, key) in cases {
        let err = refused(&text);
        assert!(err.contains(&format!("{key}: ")), "{key} not named: {err}");
        assert!(
            err.contains("may use only letters, digits, `_` and `-`"),
            "{err}"
        );
    }
    assert!(!escapes.exists(), "a file was written outside OUT");
}

#[test]
fn names_the_disk_would_refuse_fail_at_once_with_exit_2() {
    let long = "p".repeat(300);
    let err = refused(&pipeline_with(
        "name = \"t\"",
        &format!("name = \"{long}\""),
    ));
    assert!(
        err.contains("name: is 300 characters long; at most 64"),
        "{err}"
    );
    let err = refused(&pipeline_with("name = \"by_nature\"", "name = \"a/b\""));
    assert!(err.contains("tables[0].name"), "{err}");
    assert!(err.contains("a folder separator"), "{err}");
    let err = refused(&pipeline_with(
        "name = \"by_nature\"",
        "name = \"a\\u0000b\"",
    ));
    assert!(err.contains("the control character U+0000"), "{err}");
    // Two tables whose files would be one where case is ignored.
    let twice = format!(
        "{INVESTMENT_PIPELINE}\n[[tables]]\nname = \"BY_NATURE\"\ndataset = \"investment\"\nmeasures = [{{ name = \"n\", op = \"count\" }}]\n"
    );
    let err = refused(&twice);
    assert!(err.contains("tables[1].name"), "{err}");
    // A dataset may not take the portal series' file.
    let series = INVESTMENT_PIPELINE
        .replace("datasets.investment", "datasets.series")
        .replace("dataset = \"investment\"", "dataset = \"series\"");
    let err = refused(&series);
    assert!(err.contains("taken by the portal series file"), "{err}");
}

#[test]
fn chinese_names_are_accepted() {
    let p = Project::new();
    one_project(&p);
    p.file(
        "p.toml",
        pipeline_with("name = \"t\"", "name = \"二道区\"").replacen(
            "name = \"by_nature\"",
            "name = \"项目情况\"",
            1,
        ),
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert!(p.path("out/二道区/2022-12/tables/项目情况.csv").is_file());
}

#[test]
fn validation_is_linear_in_the_number_of_synonyms() {
    // Quadratic checks took minutes on this many; a linear one takes seconds even unoptimised.
    let synonyms: Vec<String> = (0..300_000).map(|i| format!("\"总投资{i}\"")).collect();
    let p = Project::new();
    one_project(&p);
    p.file(
        "p.toml",
        pipeline_with(
            "synonyms = [\"总投资\", \"计划总投资\"]",
            &format!("synonyms = [\"总投资\", {}]", synonyms.join(", ")),
        ),
    );
    p.cmd()
        .args(["validate", "p.toml"])
        .timeout(Duration::from_secs(120))
        .assert()
        .code(0);
}

#[test]
fn csv_text_a_spreadsheet_would_evaluate_is_guarded_in_every_csv() {
    let p = pipeline_project();
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![
            vec![S("甲"), S("=HYPERLINK(\"http://x\",\"y\")"), N(100.0)],
            vec![S("乙"), S("@SUM(1)"), N(-5.0)],
            vec![S("丙"), S("新建"), S("=1+1")],
        ],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let csv = p.read("out/t/2022-12/tables/by_nature.csv");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
        "{csv}"
    );
    assert!(csv.contains("'@SUM(1),"), "{csv}");
    // A negative amount stays a number (table CSVs keep full precision).
    assert!(csv.contains(",-5\n"), "{csv}");
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains(",'@SUM(1),"), "{facts}");
    assert!(facts.contains(",-5.0000"), "{facts}");
    assert!(!facts.contains(",=") && !facts.contains(",@"), "{facts}");
    let rejected = p.read("out/t/2022-12/rejected.csv");
    assert!(rejected.contains(",'=1+1,"), "{rejected}");

    // Machine consumers may turn the guard off.
    p.file(
        "p.toml",
        pipeline_with("dir = \"out\"", "dir = \"out\"\ncsv_guard_formulas = false"),
    );
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains(",@SUM(1),"), "{facts}");
}

#[test]
fn text_longer_than_an_xlsx_cell_is_kept_and_shortened_in_the_xlsx_with_a_warning() {
    let p = pipeline_project();
    let path = p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("甲"), S("LONGTEXT"), N(1.0)],
                vec![S("乙"), S("新建"), N(2.0)],
            ],
        )],
    );
    let long = "长".repeat(40_000);
    let long_static: &'static str = Box::leak(long.clone().into_boxed_str());
    rewrite_zip(
        &path,
        replace_in("xl/sharedStrings.xml", "LONGTEXT", long_static),
    );
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let warning = "tables/t.xlsx: sheet `项目情况` of the XLSX, cell A7: a text of 40000 characters is cut to the 32767 a cell holds";
    assert!(stderr.contains(warning), "{stderr}");
    let m: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).expect("manifest");
    let warnings = m["warnings"].to_string();
    assert!(warnings.contains("cell A7"), "{warnings}");
    // The data and the CSV keep the whole text; the XLSX holds what a cell can.
    let csv = p.read("out/t/2022-12/tables/by_nature.csv");
    assert!(csv.contains(&long), "the CSV lost the long text");
    use calamine::{open_workbook, DataType as _, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook(p.path("out/t/2022-12/tables/t.xlsx")).expect("xlsx");
    let range = book.worksheet_range("项目情况").expect("sheet");
    // A7: after the title, the unit line, the two header rows, 合计 and 新建.
    let cut = range.get_value((6, 0)).and_then(|c| c.get_string());
    assert_eq!(cut.map(|s| s.chars().count()), Some(32_767));
    assert!(cut.is_some_and(|s| s.starts_with("长长")));
}

#[test]
fn dates_before_year_one_and_implausible_years_are_rejected_naming_the_cell() {
    let p = Project::new();
    p.file(
        "p.toml",
        pipeline_with(
            "[[datasets.investment.fields]]\nname = \"completed\"",
            "[[datasets.investment.fields]]\nname = \"start\"\nkind = \"date\"\nsynonyms = [\"开工日期\"]\n\n[[datasets.investment.fields]]\nname = \"completed\"",
        ),
    );
    let path = p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("项目名称"), S("建设性质"), S("总投资"), S("开工日期")],
                vec![S("甲"), S("新建"), N(1.0), S("NEGDATE")],
                vec![S("乙"), S("新建"), N(2.0), S("2022-05-01")],
                vec![S("丙"), S("新建"), N(3.0), S("3022-05-01")],
            ],
        )],
    );
    // An ISO date cell (`t="d"`), as some exporters write, with a year before 1.
    rewrite_zip(&path, |name, body| {
        if name != "xl/worksheets/sheet1.xml" {
            return Some(body);
        }
        let text = String::from_utf8(body).expect("utf-8");
        let cell = regex_cell(&text, "D2");
        Some(
            text.replace(&cell, "<c r=\"D2\" t=\"d\"><v>-1000-01-01</v></c>")
                .into_bytes(),
        )
    });
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let rejected = p.read("out/t/2022-12/rejected.csv");
    assert!(
        rejected.contains(",2,D,开工日期,'-1000-01-01,")
            && rejected.contains("a date outside the years 1900–2099 (-1000-01-01)"),
        "{rejected}"
    );
    assert!(rejected.contains(",4,D,开工日期,3022-05-01,"), "{rejected}");
}

/// The whole `<c r="REF" …>…</c>` element of a cell in sheet XML.
fn regex_cell(xml: &str, reference: &str) -> String {
    let start = xml
        .find(&format!("<c r=\"{reference}\""))
        .unwrap_or_else(|| panic!("no cell {reference} in {xml}"));
    let end = start
        + xml[start..]
            .find("</c>")
            .unwrap_or_else(|| panic!("cell {reference} does not end"))
        + "</c>".len();
    xml[start..end].to_string()
}

/// A name as a careless or hostile pipeline gives it: half of them from letters, digits and `_`
/// alone (so that whole pipelines load), the rest with separators, dots, NUL, spaces and
/// control characters mixed in.
fn name_strategy() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let safe = prop_oneof![
        proptest::char::range('a', 'c'),
        proptest::char::range('表', '衷'),
        proptest::char::range('0', '2'),
        Just('_'),
    ];
    let any = prop_oneof![
        Just('.'),
        Just('/'),
        Just('\\'),
        Just('\0'),
        Just(' '),
        Just('-'),
        Just(':'),
        Just('~'),
        Just('\n'),
        Just('\u{3000}'),
        proptest::char::range('a', 'c'),
        proptest::char::range('表', '衷'),
    ];
    prop_oneof![
        proptest::collection::vec(safe, 1..8),
        proptest::collection::vec(any, 0..12),
    ]
    .prop_map(|v| v.into_iter().collect())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

    /// Whatever names a pipeline gives, a pipeline that loads writes every file below its own
    /// folder in OUT; a name that is not a plain file name never loads. The `pipeline` target
    /// in fuzz/ checks the same on arbitrary pipeline text.
    #[test]
    fn no_pipeline_that_loads_names_a_path_outside_out(
        pipeline in name_strategy(),
        dataset in name_strategy(),
        table in name_strategy(),
        chart in name_strategy(),
    ) {
        use std::path::{Component, Path};
        let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
        let text = INVESTMENT_PIPELINE
            .replacen("name = \"t\"", &format!("name = {}", quoted(&pipeline)), 1)
            .replace("datasets.investment", &format!("datasets.{}", quoted(&dataset)))
            .replace("dataset = \"investment\"", &format!("dataset = {}", quoted(&dataset)))
            .replacen("name = \"by_nature\"", &format!("name = {}", quoted(&table)), 1)
            + &format!(
                "\n[[charts]]\nname = {}\ntable = {}\nkind = \"bar\"\n",
                quoted(&chart),
                quoted(&table)
            );
        let loaded = yearbook::config::load_str(&text, Path::new("p.toml"), Path::new("."));
        let plain = |n: &str| {
            !n.is_empty()
                && n.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        };
        let Ok(p) = loaded else {
            return Ok(());
        };
        let out = Path::new("OUT");
        for name in [&p.name, &p.datasets[0].name, &p.tables[0].name, &p.charts[0].spec.name] {
            proptest::prop_assert!(plain(name), "{name:?} loaded");
            for (folder, suffix) in [("tables", "csv"), ("data", "parquet"), ("charts", "png")] {
                let file = format!("{name}.{suffix}");
                let path = yearbook::emit::output_path(out, &[&p.name, "2022-12", folder, &file]);
                let path = path.map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
                proptest::prop_assert!(path.starts_with(out.join(&p.name)));
                proptest::prop_assert_eq!(path.components().count(), 5);
                proptest::prop_assert!(path.components().all(|c| matches!(c, Component::Normal(_))));
            }
        }
    }
}

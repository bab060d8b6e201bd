//! Pipeline files: every problem at once, with line, key path and suggestions; validate.

use crate::common::*;

const BAD: &str = r#"name = "t"
inptus = 3

[inputs]
include = ["data/*.xlsx"]
exlude = []

[datasets.investment]
identify = ["project", "totl"]

[[datasets.investment.fields]]
name = "project"
kind = "text"
required = "yes"

[[datasets.investment.fields]]
name = "total"
kind = "mony"
synonyms = ["总投资"]

[[tables]]
name = "a"
dataset = "investmnt"
measures = [{ name = "n", op = "count" }]

[[tables]]
name = "b"
dataset = "investment"
by = ["projct"]
measures = [{ name = "n", op = "cnt" }, { name = "s", op = "sum", field = "project", colour = 1 }]

[[charts]]
name = "c"
table = "bb"
kind = "pie"
"#;

#[test]
fn every_problem_is_reported_at_once() {
    let p = Project::new();
    p.file("bad.toml", BAD);
    let out = p.cmd().args(["validate", "bad.toml"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    insta::assert_snapshot!(stderr);
    assert!(!p.path("out").exists());
}

#[test]
fn syntax_errors_name_the_line() {
    let p = Project::new();
    p.file("bad.toml", "name = \"t\"\n[inputs\ninclude = []\n");
    let out = p.cmd().args(["run", "bad.toml"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.starts_with("error: bad.toml has 1 problem:\n  - line 2: invalid TOML"),
        "{stderr}"
    );
}

#[test]
fn a_missing_pipeline_file_is_a_usage_error() {
    let p = Project::new();
    let out = p.cmd().args(["validate", "nope.toml"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("error: cannot read pipeline file nope.toml")
            && stderr.contains("Caused by:"),
        "{stderr}"
    );
}

#[test]
fn no_inputs_at_all_is_an_error_and_validate_writes_nothing() {
    let p = Project::new();
    p.file("p.toml", INVESTMENT_PIPELINE);
    let out = p.cmd().args(["validate", "p.toml"]).assert().code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("no input files"));
    p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "s",
            vec![vec![S("项目名称"), S("总投资")], vec![S("甲"), N(1.0)]],
        )],
    );
    let out = p.cmd().args(["validate", "p.toml"]).assert().code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("every table aggregates"), "{stdout}");
    assert!(
        stdout.contains("note: input glob `data/**/*.xls` matched no file"),
        "{stdout}"
    );
    assert!(!p.path("out").exists());
}

#[test]
fn the_reference_example_is_a_valid_pipeline() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/pipeline.md"),
    )
    .unwrap();
    let start = doc.find("## A complete example").expect("example section");
    let body = &doc[start..];
    let open = body.find("```toml").expect("toml block") + "```toml".len();
    let close = body[open..].find("```").expect("end of block") + open;
    let p = Project::new();
    p.file("district.toml", &body[open..close]);
    p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "s",
            vec![
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S("甲"), S("新建"), N(6000.0)],
            ],
        )],
    );
    p.cmd().args(["validate", "district.toml"]).assert().code(0);
    p.cmd().args(["run", "district.toml"]).assert().code(0);
    assert!(p
        .path("out/district/2022-12/charts/projects_by_nature.png")
        .is_file());
}

#[test]
fn a_chart_named_like_another_tables_default_chart_is_refused() {
    let p = Project::new();
    // `by_nature` has no chart of its own, so it gets one named `by_nature`.
    let pipeline = format!(
        "{INVESTMENT_PIPELINE}\n[[tables]]\nname = \"all\"\ntitle = \"全部\"\ndataset = \"investment\"\nmeasures = [{{ name = \"n\", op = \"count\" }}]\n\n[[charts]]\nname = \"by_nature\"\ntable = \"all\"\nkind = \"bar\"\n"
    );
    p.file("p.toml", pipeline);
    let out = p.cmd().args(["validate", "p.toml"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("charts[0].name: chart name `by_nature` is the name of table `by_nature`'s default chart; choose another name"),
        "{stderr}"
    );
}

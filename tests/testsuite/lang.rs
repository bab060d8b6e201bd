//! The language of messages: Chinese when nothing is chosen, English with `--lang en` or
//! `YEARBOOK_LANG=en`; names a machine reads stay the same in both.

use crate::common::*;

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).to_string()
}

/// A command's exit code, standard output and standard error: in Chinese (nothing chosen) or,
/// with `en`, after `--lang en`.
fn said(p: &Project, en: bool, args: &[&str]) -> (Option<i32>, String, String) {
    let mut c = p.cmd_zh();
    if en {
        c.args(["--lang", "en"]);
    }
    let out = c.args(args).output().expect("run");
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// A pipeline whose field kind is misspelt.
fn misspelt(p: &Project) {
    p.file(
        "p.toml",
        INVESTMENT_PIPELINE.replacen(
            "name = \"last_year\"\nkind = \"money\"",
            "name = \"last_year\"\nkind = \"mony\"",
            1,
        ),
    );
}

#[test]
fn a_pipeline_problem_names_its_line_and_key_path_and_suggests_in_both_languages() {
    let p = Project::new();
    misspelt(&p);
    let (code, _, zh) = said(&p, false, &["validate", "p.toml"]);
    assert_eq!(code, Some(2));
    assert!(zh.starts_with("错误：p.toml 有 1 处问题："), "{zh}");
    assert!(
        zh.contains(
            "第38行：datasets.investment.fields[4].kind：未知的字段类型“mony”（是否应为“money”？）"
        ),
        "{zh}"
    );

    let (_, _, en) = said(&p, true, &["validate", "p.toml"]);
    assert!(en.starts_with("error: p.toml has 1 problem:"), "{en}");
    assert!(
        en.contains(
            "line 38: datasets.investment.fields[4].kind: unknown field kind `mony` (did you mean `money`?)"
        ),
        "{en}"
    );
}

#[test]
fn the_environment_chooses_the_language_and_the_flag_overrides_it() {
    let p = Project::new();
    misspelt(&p);
    // `validate` as a person runs it, with these variables set and these arguments first.
    let validate = |env: &[(&str, &str)], first: &[&str]| {
        let mut cmd = p.cmd_zh();
        cmd.envs(env.iter().copied());
        cmd.args(first)
            .args(["validate", "p.toml"])
            .output()
            .unwrap()
    };
    let env_en = validate(&[("YEARBOOK_LANG", "en_US.UTF-8")], &[]);
    assert!(text(&env_en.stderr).starts_with("error: "));
    let flag_zh = validate(&[("YEARBOOK_LANG", "en")], &["--lang", "zh"]);
    assert!(text(&flag_zh.stderr).starts_with("错误："));
    // The system locale does not switch the language: a server set to English writes what a
    // desk does.
    let locale = validate(&[("LANG", "en_US.UTF-8"), ("LC_ALL", "en_US.UTF-8")], &[]);
    assert!(text(&locale.stderr).starts_with("错误："));
    let unknown = validate(&[("YEARBOOK_LANG", "fr")], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("YEARBOOK_LANG=“fr”不是可用的语言，应为 zh 或 en"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn the_error_frame_and_its_causes_in_both_languages() {
    let p = Project::new();
    let (code, _, zh) = said(&p, false, &["run", "missing.toml"]);
    assert_eq!(code, Some(2));
    assert!(
        zh.starts_with("错误：无法读取流程文件 missing.toml\n\n原因：\n    "),
        "{zh}"
    );
    let (_, _, en) = said(&p, true, &["run", "missing.toml"]);
    assert!(
        en.starts_with("error: cannot read pipeline file missing.toml\n\nCaused by:\n    "),
        "{en}"
    );
}

/// A workbook with one money cell that is not a number, and another whose 合计 row disagrees
/// with the rows below it.
fn bad_cell_and_total(p: &Project) {
    p.file("p.toml", INVESTMENT_PIPELINE);
    let header = || vec![S("项目名称"), S("建设性质"), S("总投资"), S("完成投资")];
    p.xlsx(
        "data/2022年投资.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                header(),
                vec![S("甲"), S("新建"), N(100.0), S("待核实")],
                vec![S("乙"), S("新建"), N(200.0), N(1.0)],
            ],
        )],
    );
    p.xlsx(
        "data/2022年续建.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                header(),
                vec![S("合计"), E, N(12345.6), E],
                vec![S("丙"), S("续建"), N(100.0), N(1.0)],
                vec![S("丁"), S("续建"), N(200.0), N(1.0)],
            ],
        )],
    );
}

#[test]
fn a_cell_error_names_file_sheet_and_cell_in_both_languages() {
    let p = Project::new();
    bad_cell_and_total(&p);
    let (_, zh, _) = said(&p, false, &["validate", "p.toml"]);
    assert!(
        zh.contains(
            "拒收：文件 data/2022年投资.xlsx，工作表 项目，单元格 D2（完成投资）：字段“completed”应为金额，实际为文本“待核实”"
        ),
        "{zh}"
    );
    let (_, en, _) = said(&p, true, &["validate", "p.toml"]);
    assert!(
        en.contains(
            "rejected: data/2022年投资.xlsx: sheet `项目`, cell D2 (完成投资): expected an amount for field `completed`, found text \"待核实\""
        ),
        "{en}"
    );
}

#[test]
fn rejected_csv_gives_the_reason_in_the_language_chosen_beside_a_stable_code() {
    let p = Project::new();
    bad_cell_and_total(&p);
    p.cmd_zh().args(["run", "p.toml"]).assert().code(1);
    let zh = p.read("out/t/2022-12/rejected.csv");
    let mut lines = zh.lines();
    assert_eq!(
        lines.next(),
        Some("file,sheet,row,column,header,value,reason,reason_code")
    );
    assert_eq!(
        lines.next(),
        Some("data/2022年投资.xlsx,项目,2,D,完成投资,待核实,字段“completed”应为金额，实际为文本“待核实”,found_text")
    );
    // Another language is another reading: the parse cache does not hand back Chinese reasons.
    p.cmd_zh()
        .args(["--lang", "en", "run", "p.toml"])
        .assert()
        .code(1);
    let en = p.read("out/t/2022-12/rejected.csv");
    assert_eq!(
        en.lines().nth(1),
        Some("data/2022年投资.xlsx,项目,2,D,完成投资,待核实,\"expected an amount for field `completed`, found text \"\"待核实\"\"\",found_text")
    );
}

#[test]
fn a_warning_reads_the_same_on_stderr_in_the_manifest_and_in_the_report() {
    let p = Project::new();
    bad_cell_and_total(&p);
    let out = p.cmd_zh().args(["run", "p.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let warning = "文件 data/2022年续建.xlsx，工作表 项目：合计（第2行，总投资）为 12,345.60万元，但各数据行之和为 300.00万元";
    assert!(stderr.contains(warning), "{stderr}");
    assert!(
        stderr.contains("有 1 行被拒收；详见 rejected.csv"),
        "{stderr}"
    );
    assert!(
        stderr.contains("完成：期别 2022年1—12月 | 文件 2 个"),
        "{stderr}"
    );
    let manifest = p.read("out/t/2022-12/manifest.json");
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let warnings: Vec<&str> = m["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(warnings.contains(&warning), "{warnings:?}");
    let html = p.read("out/t/2022-12/index.html");
    assert!(html.contains(warning), "{html}");

    let out = p
        .cmd_zh()
        .args(["--lang", "en", "run", "p.toml"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    let warning = "data/2022年续建.xlsx: sheet `项目`: 合计 row 2 (总投资) says 12345.6000万元 but the data rows sum to 300.0000万元";
    assert!(stderr.contains(warning), "{stderr}");
    let m: serde_json::Value =
        serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).unwrap();
    assert!(
        m["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w.as_str() == Some(warning)),
        "{}",
        m["warnings"]
    );
    assert!(p.read("out/t/2022-12/index.html").contains(warning));
}

#[test]
fn json_logs_keep_their_field_names_in_chinese() {
    let p = Project::new();
    let out = p
        .cmd_zh()
        .args(["--log-format", "json", "run", "missing.toml"])
        .output()
        .unwrap();
    let line = text(&out.stderr);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON line");
    let f = &v["fields"];
    assert_eq!(f["message"], "error");
    assert_eq!(f["exit_code"], 2);
    assert_eq!(f["error"], "无法读取流程文件 missing.toml");
    assert_eq!(f["causes"].as_array().map(Vec::len), Some(1));

    bad_cell_and_total(&p);
    let out = p
        .cmd_zh()
        .args(["--log-format", "json", "run", "p.toml"])
        .output()
        .unwrap();
    let done = text(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "done")
        .expect("a done line");
    let f = &done["fields"];
    for key in [
        "period",
        "files",
        "unreadable",
        "rows_read",
        "rows_kept",
        "rows_rejected",
        "rows_skipped",
        "warnings",
        "outputs",
        "dir",
        "seconds",
    ] {
        assert!(f.get(key).is_some(), "no `{key}` in {f}");
    }
    assert_eq!(f["period"], "2022-12");
    assert_eq!(f["rows_rejected"], 1);
}

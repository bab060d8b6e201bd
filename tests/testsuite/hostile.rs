//! Broken and hostile inputs: each is reported with its file (and sheet and cell where they
//! apply), the rest of the batch is processed, and the row accounting still balances.

use crate::common::*;
use rust_xlsxwriter::{Formula, Workbook};
use std::io::{Read, Write};
use std::path::Path;

fn manifest(p: &Project) -> serde_json::Value {
    serde_json::from_str(&p.read("out/t/2022-12/manifest.json")).expect("manifest")
}

/// A good workbook, so that every test also shows the batch going on.
fn good(p: &Project) {
    investment_book(
        p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲项目"), S("新建"), N(100.0)]],
    );
}

/// Rewrites an xlsx zip part by part: `edit` returns the new bytes, or None to drop the part.
pub(crate) fn rewrite_zip(path: &Path, edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) {
    let bytes = std::fs::read(path).unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zout = zip::ZipWriter::new(&mut out);
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut body = Vec::new();
        f.read_to_end(&mut body).unwrap();
        if let Some(body) = edit(&name, body) {
            zout.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zout.write_all(&body).unwrap();
        }
    }
    zout.finish().unwrap();
    std::fs::write(path, out.into_inner()).unwrap();
}

pub(crate) fn replace_in(
    part: &'static str,
    from: &'static str,
    to: &'static str,
) -> impl Fn(&str, Vec<u8>) -> Option<Vec<u8>> {
    move |name, body| {
        if name != part {
            return Some(body);
        }
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains(from), "{name} lacks {from}: {text}");
        Some(text.replace(from, to).into_bytes())
    }
}

fn balanced(m: &serde_json::Value) {
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap();
    let a = &m["accounting"];
    assert_eq!(
        n(a, "rows_read"),
        n(a, "rows_kept") + n(a, "rows_rejected") + n(a, "rows_skipped"),
        "{a}"
    );
}

/// A sheet with a formula in the money column, written as a program that does not calculate
/// formulas writes it: with `<v>0</v>` and a request to recalculate on opening.
fn formula_workbook(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("项目").unwrap();
    for (c, h) in ["项目名称", "建设性质", "总投资"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "甲项目").unwrap();
    ws.write_number(1, 2, 100.0).unwrap();
    ws.write_string(2, 0, "乙项目").unwrap();
    ws.write_formula(2, 2, "=C2*2").unwrap();
    // A saved result that is not a placeholder is trusted.
    ws.write_string(3, 0, "丙项目").unwrap();
    ws.write_formula(3, 2, Formula::new("=C2*3").set_result("300"))
        .unwrap();
    wb.save(path).unwrap();
}

#[test]
fn formulas_without_a_computed_value_are_reported_not_read_as_zero() {
    let p = pipeline_project();
    good(&p);
    let placeholder = p.path("data/2022年占位.xlsx");
    formula_workbook(&placeholder);
    // The same sheet as other writers leave it: no saved value at all, no recalculation flag.
    let bare = p.path("data/2022年无值.xlsx");
    formula_workbook(&bare);
    rewrite_zip(&bare, |name, body| {
        let text = String::from_utf8(body).unwrap();
        Some(
            match name {
                "xl/worksheets/sheet1.xml" => text.replace("<f>C2*2</f><v>0</v>", "<f>C2*2</f>"),
                "xl/workbook.xml" => text.replace(r#" fullCalcOnLoad="1""#, ""),
                _ => text,
            }
            .into_bytes(),
        )
    });
    for file in ["data/2022年占位.xlsx", "data/2022年无值.xlsx"] {
        let out = inspect(&p, file);
        assert!(
            out.contains("warning: 1 formula cells have no computed value, as when a program writes a workbook without calculating it: C3 (=C2*2); they are not read as 0"),
            "{file}: {out}"
        );
        assert!(
            out.contains("rows: 4 read = 2 kept + 1 rejected + 1 skipped (header 1)"),
            "{file}: {out}"
        );
    }
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let rejected = p.read("out/t/2022-12/rejected.csv");
    for file in ["2022年占位.xlsx", "2022年无值.xlsx"] {
        assert!(
            rejected.contains(&format!(
                "data/{file},项目,3,C,总投资,'=C2*2,\"expected an amount for field `total_investment`, found a formula with no computed value\""
            )),
            "{rejected}"
        );
    }
    let m = manifest(&p);
    balanced(&m);
    // 甲 three times (100 each) and 丙 twice (300 each): nothing was read as 0.
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,5"), "{facts}");
    assert!(facts.contains("total,合计,总投资,900.0000"), "{facts}");
}

#[test]
fn broken_zip_parts_are_reported_and_the_batch_goes_on() {
    let p = pipeline_project();
    good(&p);
    // Three copies of a two-row sheet, each then damaged in its own way.
    let book = |rel: &str, project: &'static str, amount: f64| {
        let path = p.path(rel);
        write_xlsx(
            &path,
            &[SheetSpec::new(
                "项目",
                vec![
                    vec![S("项目名称"), S("总投资")],
                    vec![S(project), N(amount)],
                ],
            )],
        );
        path
    };
    let missing = book("data/2022年缺表.xlsx", "乙", 1.0);
    rewrite_zip(&missing, |name, body| {
        (name != "xl/worksheets/sheet1.xml").then_some(body)
    });
    let malformed = book("data/2022年坏格.xlsx", "乙", 1.0);
    rewrite_zip(
        &malformed,
        replace_in("xl/worksheets/sheet1.xml", "<v>1</v>", "<v>1</x>"),
    );
    // A declared dimension of the whole sheet allocates nothing: only real cells count.
    let wide = book("data/2022年大范围.xlsx", "丁", 2.0);
    rewrite_zip(
        &wide,
        replace_in(
            "xl/worksheets/sheet1.xml",
            r#"<dimension ref="A1:B2"/>"#,
            r#"<dimension ref="A1:XFD1048576"/>"#,
        ),
    );

    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let m = manifest(&p);
    balanced(&m);
    let all = format!("{}{}", m["errors"], m["warnings"]);
    // The shared string 1 (B1) and the number in B2 are both written `<v>1</v>`: the XML
    // breaks in the first of them.
    assert!(
        all.contains("data/2022年坏格.xlsx: sheet `项目`: sheet could not be read: Xml error: ill-formed document: start tag not closed: `</v>` not found before end of input, after cell A1"),
        "{all}"
    );
    assert!(
        all.contains("data/2022年缺表.xlsx: sheet `项目`: sheet could not be read: the sheet's part is missing from the file (a damaged or half-written workbook)"),
        "{all}"
    );
    let facts = p.read("out/t/2022-12/facts.csv");
    // 甲 (100) and 丁 (2) are read; the broken sheets give nothing.
    assert!(facts.contains("total,合计,总投资,102.0000"), "{facts}");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_in_the_input_folder_is_reported() {
    let p = pipeline_project();
    good(&p);
    std::os::unix::fs::symlink("loop.xlsx", p.path("data/loop.xlsx")).unwrap();
    std::fs::create_dir_all(p.path("data/sub")).unwrap();
    std::os::unix::fs::symlink("..", p.path("data/sub/up")).unwrap();
    let out = p
        .cmd()
        .args(["run", "p.toml"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors = manifest(&p)["errors"].to_string();
    // ELOOP; its text differs between C libraries.
    assert!(
        errors.contains("loop.xlsx: cannot read the file: ") && errors.contains("(os error 40)"),
        "{errors}"
    );
    assert!(p
        .read("out/t/2022-12/facts.csv")
        .contains("total,合计,项目个数,1"));
}

#[test]
fn workbooks_without_usable_tables_are_accounted_for() {
    let p = pipeline_project();
    good(&p);
    p.xlsx("data/2022年空.xlsx", &[SheetSpec::new("空", vec![])]);
    p.xlsx(
        "data/2022年隐藏.xlsx",
        &[
            SheetSpec::new("封面", vec![]),
            SheetSpec::new(
                "项目",
                vec![vec![S("项目名称"), S("总投资")], vec![S("乙"), N(5.0)]],
            )
            .hidden(),
        ],
    );
    p.xlsx(
        "data/2022年表头.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![vec![S("项目名称"), S("总投资")]],
        )],
    );
    p.xlsx(
        "data/2022年重名.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("项目名称"), S("总投资"), S("总投资")],
                vec![S("丙"), N(7.0), N(8.0)],
            ],
        )],
    );
    p.xlsx(
        "data/无年份.xlsx",
        &[SheetSpec::new(
            "项目",
            vec![vec![S("项目名称"), S("总投资")], vec![S("丁"), N(9.0)]],
        )],
    );

    let hidden = inspect(&p, "data/2022年隐藏.xlsx");
    assert!(
        hidden.contains("ignored: hidden sheets are not read (2 rows)"),
        "{hidden}"
    );
    let header = inspect(&p, "data/2022年表头.xlsx");
    assert!(
        header.contains("rows: 1 read = 0 kept + 0 rejected + 1 skipped (header 1)"),
        "{header}"
    );
    let twice = inspect(&p, "data/2022年重名.xlsx");
    assert!(
        twice.contains(
            "names a field already mapped to an earlier column; the earlier column is used"
        ),
        "{twice}"
    );
    let no_year = inspect(&p, "data/无年份.xlsx");
    assert!(no_year.contains("table has no year"), "{no_year}");
    assert!(
        no_year.contains("rows: 2 read = 0 kept + 0 rejected + 2 skipped (no_year 2)"),
        "{no_year}"
    );

    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let m = manifest(&p);
    balanced(&m);
    let facts = p.read("out/t/2022-12/facts.csv");
    // 甲 (100) and 丙 (the first 总投资 column, 7).
    assert!(facts.contains("total,合计,总投资,107.0000"), "{facts}");
}

#[test]
fn extreme_cell_values_are_rejected_or_written_whole() {
    let p = pipeline_project();
    // The longest text an Excel cell holds.
    let long: &'static str = Box::leak("长".repeat(32_767).into_boxed_str());
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![
            vec![S("甲"), S(long), N(1.0)],
            vec![S("乙"), S("新\u{1}建\u{7f}"), N(2.0)],
            vec![S("丙"), S("续建"), N(1e300)],
            vec![S("丁"), S("续建"), S("NaN")],
            vec![S("戊"), S("续建"), S("-inf")],
            vec![S("己"), S("续建"), S("１２3.5")],
            vec![S("庚"), S("续建"), S("(4)")],
        ],
    );
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let m = manifest(&p);
    balanced(&m);
    assert_eq!(m["accounting"]["rows_rejected"], 3, "{}", m["accounting"]);
    let rejected = p.read("out/t/2022-12/rejected.csv");
    for row in [",4,C,", ",5,C,", ",6,C,"] {
        assert!(rejected.contains(row), "{row}: {rejected}");
    }
    let facts = p.read("out/t/2022-12/facts.csv");
    // 1 + 2 + 123.5 - 4
    assert!(facts.contains("total,合计,总投资,122.5000"), "{facts}");
    // The long value reaches the outputs whole.
    let csv = p.read("out/t/2022-12/tables/by_nature.csv");
    assert!(csv.contains(long), "the long key is missing from the CSV");
    assert!(p.path("out/t/2022-12/tables/t.xlsx").is_file());
}

//! Shared helpers: fixture workbooks written with rust_xlsxwriter into a temporary folder, and
//! a way to run the binary there.

#![allow(dead_code)]

use assert_cmd::Command;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
use std::path::{Path, PathBuf};

/// A cell in a fixture sheet.
#[derive(Clone, Debug)]
pub enum C {
    S(&'static str),
    N(f64),
    E,
}

pub use C::{E, N, S};

pub struct SheetSpec {
    pub name: String,
    pub rows: Vec<Vec<C>>,
    pub hidden: bool,
    /// (first_row, first_col, last_row, last_col), 0-based; the value is the top-left cell's.
    pub merges: Vec<(u32, u16, u32, u16)>,
}

impl SheetSpec {
    pub fn new(name: &str, rows: Vec<Vec<C>>) -> SheetSpec {
        SheetSpec {
            name: name.to_string(),
            rows,
            hidden: false,
            merges: Vec::new(),
        }
    }
    pub fn hidden(mut self) -> SheetSpec {
        self.hidden = true;
        self
    }
    pub fn merge(mut self, r0: u32, c0: u16, r1: u32, c1: u16) -> SheetSpec {
        self.merges.push((r0, c0, r1, c1));
        self
    }
}

/// Writes an xlsx workbook with the given sheets.
pub fn write_xlsx(path: &Path, sheets: &[SheetSpec]) {
    let mut wb = Workbook::new();
    // A fixed creation time keeps fixture bytes (and sizes shown by `inspect`) stable.
    let created = ExcelDateTime::from_ymd(2023, 1, 10).expect("date");
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    for spec in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&spec.name).expect("sheet name");
        for (r, row) in spec.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    S(s) => {
                        ws.write_string(r as u32, c as u16, *s).expect("write");
                    }
                    N(n) => {
                        ws.write_number(r as u32, c as u16, *n).expect("write");
                    }
                    E => {}
                }
            }
        }
        for &(r0, c0, r1, c1) in &spec.merges {
            let text = match spec.rows.get(r0 as usize).and_then(|r| r.get(c0 as usize)) {
                Some(S(s)) => s.to_string(),
                _ => String::new(),
            };
            ws.merge_range(r0, c0, r1, c1, &text, &Format::new())
                .expect("merge");
        }
        if spec.hidden {
            ws.set_hidden(true);
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    wb.save(path).expect("save");
}

/// A test that cannot run here says why and returns; under CI (`CI` set) it fails instead, so
/// that a missing resource never passes for a passing test.
pub fn cannot_run(reason: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "cannot run under CI: {reason}"
    );
    eprintln!("skipped: {reason}");
}

/// A temporary folder with a pipeline and workbooks.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    pub fn file(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, contents).expect("write");
        p
    }
    pub fn xlsx(&self, rel: &str, sheets: &[SheetSpec]) -> PathBuf {
        let p = self.path(rel);
        write_xlsx(&p, sheets);
        p
    }
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("yearbook").expect("binary");
        c.current_dir(self.dir.path());
        c.env_remove("YEARBOOK_FAIL_AT");
        // The suite asserts English texts; tests of the Chinese default use `cmd_zh`.
        c.env("YEARBOOK_LANG", "en");
        c
    }
    /// The binary as a person runs it: no language chosen, so Chinese.
    pub fn cmd_zh(&self) -> Command {
        let mut c = Command::cargo_bin("yearbook").expect("binary");
        c.current_dir(self.dir.path());
        c.env_remove("YEARBOOK_FAIL_AT");
        c.env_remove("YEARBOOK_LANG");
        c
    }
    pub fn read(&self, rel: &str) -> String {
        let s =
            std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        s.trim_start_matches('\u{feff}').to_string()
    }
}

/// A project with [`INVESTMENT_PIPELINE`] as `p.toml`.
pub fn pipeline_project() -> Project {
    let p = Project::new();
    p.file("p.toml", INVESTMENT_PIPELINE);
    p
}

/// Writes a one-sheet investment workbook: sheet `项目`, the header 项目名称/建设性质/总投资,
/// then `rows`.
pub fn investment_book(p: &Project, rel: &str, rows: Vec<Vec<C>>) {
    let mut all = vec![vec![S("项目名称"), S("建设性质"), S("总投资")]];
    all.extend(rows);
    p.xlsx(rel, &[SheetSpec::new("项目", all)]);
}

/// What `yearbook inspect` prints for one file, with the pipeline `p.toml`.
pub fn inspect(p: &Project, file: &str) -> String {
    let out = p
        .cmd()
        .args(["inspect", "--pipeline", "p.toml", file])
        .output()
        .expect("inspect");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Relative paths and contents of every file under `dir`, sorted.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .to_string();
            out.push((rel, std::fs::read(e.path()).unwrap()));
        }
    }
    out
}

/// The sample pipeline and its workbooks, copied into a fresh project.
pub fn sample_project() -> Project {
    let p = Project::new();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    p.file(
        "pipelines/erdao.toml",
        std::fs::read(repo.join("pipelines/erdao.toml")).unwrap(),
    );
    for (rel, bytes) in tree(&repo.join("sample-data")) {
        p.file(&format!("sample-data/{rel}"), bytes);
    }
    p
}

/// Every output file but the manifest (which records timings and cache hits).
pub fn outputs(p: &Project, dir: &str) -> Vec<(String, Vec<u8>)> {
    tree(&p.path(dir))
        .into_iter()
        .filter(|(rel, _)| !rel.ends_with("manifest.json"))
        .collect()
}

/// A small pipeline with one investment dataset, used by most fixtures.
pub const INVESTMENT_PIPELINE: &str = r#"
name = "t"
title = "测试"

[inputs]
include = ["data/**/*.xlsx", "data/**/*.xls", "data/**/*.ods"]

[output]
dir = "out"

[datasets.investment]
title = "投资项目"
identify = ["project", "total_investment"]

[[datasets.investment.fields]]
name = "project"
kind = "text"
synonyms = ["项目名称", "建设项目名称"]
required = true

[[datasets.investment.fields]]
name = "nature"
kind = "text"
synonyms = ["建设性质"]

[[datasets.investment.fields]]
name = "total_investment"
kind = "money"
synonyms = ["总投资", "计划总投资"]

[[datasets.investment.fields]]
name = "completed"
kind = "money"
synonyms = ["完成投资"]

[[datasets.investment.fields]]
name = "last_year"
kind = "money"
synonyms = ["上年完成投资"]

[[tables]]
name = "by_nature"
title = "项目情况"
dataset = "investment"
by = ["nature"]
measures = [
  { name = "项目个数", op = "count" },
  { name = "总投资", op = "sum", field = "total_investment" },
]
"#;

//! Runs yearbook on a folder of cases and compares everything it wrote with the cases' truth:
//! the manifest's period and row accounting per sheet, every clean row, and every figure of
//! the pipeline's table in facts.csv.

use super::{Case, PIPELINE};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a case's workbook goes inside a group folder, as yearbook names it.
pub fn case_path(index: usize, case: &Case) -> String {
    format!("cases/c{index:03}/{}", case.file_name)
}

/// Writes the pipeline and every case's workbook into `dir`.
pub fn write_group(dir: &Path, cases: &[Case]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(dir.join("p.toml"), PIPELINE).map_err(|e| e.to_string())?;
    for (i, case) in cases.iter().enumerate() {
        let path = dir.join(case_path(i, case));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        case.write(&path)?;
    }
    Ok(())
}

/// The differences found, per case index; an empty map when every case came out as planted.
pub type Findings = BTreeMap<usize, Vec<String>>;

/// Runs `bin run p.toml` in `dir`: its exit code and standard error.
pub fn run_binary(bin: &Path, dir: &Path) -> (Option<i32>, String) {
    match Command::new(bin)
        .args(["run", "p.toml", "--no-cache"])
        .current_dir(dir)
        .env_remove("YEARBOOK_FAIL_AT")
        .env("YEARBOOK_LANG", "en")
        .output()
    {
        Ok(o) => (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        ),
        Err(e) => (None, format!("could not start {}: {e}", bin.display())),
    }
}

/// Checks what a run in `dir` (ended with `code`, having printed `stderr`) wrote against
/// `cases`.
pub fn check(dir: &Path, cases: &[Case], code: Option<i32>, stderr: &str) -> Findings {
    let mut findings = Findings::new();
    let everyone = |findings: &mut Findings, msg: String| {
        for i in 0..cases.len() {
            findings.entry(i).or_default().push(msg.clone());
        }
    };

    // Rejected rows and sheets without a table are reported: exit 1.
    let reported = cases
        .iter()
        .any(|c| c.truth.rejected > 0 || !c.truth.no_table.is_empty());
    let expected_code = if reported { 1 } else { 0 };
    match check_outputs(dir, cases, &mut findings) {
        Ok(()) => {}
        Err(e) => everyone(&mut findings, format!("{e}\nstderr:\n{stderr}")),
    }
    if code != Some(expected_code) {
        let shown: String = stderr.lines().take(20).collect::<Vec<_>>().join("\n");
        let msg = format!("exit code {code:?}, expected {expected_code}; stderr begins:\n{shown}");
        // Blame the cases found wrong otherwise, else every case.
        if findings.is_empty() {
            everyone(&mut findings, msg);
        } else {
            for d in findings.values_mut() {
                d.push(msg.clone());
            }
        }
    }
    findings
}

fn period_dir(dir: &Path) -> Result<PathBuf, String> {
    let root = dir.join("out").join("layouts");
    let entries = std::fs::read_dir(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut found = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.join("manifest.json").is_file() {
            found.push(p);
        }
    }
    found.sort();
    found
        .pop()
        .ok_or_else(|| format!("no manifest.json under {}", root.display()))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_start_matches('\u{feff}').to_string())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A CSV line's fields (quotes as RFC 4180).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// One clean row as read back: (year, month, name, kind, total, done, households, applied).
type CleanRow = (
    Option<i32>,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn clean_rows(path: &Path) -> Result<BTreeMap<(String, String, u32), CleanRow>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let err = |e: PolarsError| format!("{}: {e}", path.display());
    let year = df.column("year").map_err(err)?.i32().map_err(err)?.clone();
    let month = df.column("month").map_err(err)?.i32().map_err(err)?.clone();
    let name = df.column("name").map_err(err)?.str().map_err(err)?.clone();
    let kind = df.column("kind").map_err(err)?.str().map_err(err)?.clone();
    let total = df.column("total").map_err(err)?.i64().map_err(err)?.clone();
    let done = df.column("done").map_err(err)?.i64().map_err(err)?.clone();
    let hh = df
        .column("households")
        .map_err(err)?
        .i64()
        .map_err(err)?
        .clone();
    let applied = df
        .column("applied")
        .map_err(err)?
        .i64()
        .map_err(err)?
        .clone();
    let file_c = df.column("file").map_err(err)?.str().map_err(err)?.clone();
    let sheet = df.column("sheet").map_err(err)?.str().map_err(err)?.clone();
    let row = df.column("row").map_err(err)?.u32().map_err(err)?.clone();
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        let key = (
            file_c.get(i).unwrap_or_default().to_string(),
            sheet.get(i).unwrap_or_default().to_string(),
            row.get(i).unwrap_or(u32::MAX),
        );
        out.insert(
            key,
            (
                year.get(i),
                month.get(i),
                name.get(i).map(str::to_string),
                kind.get(i).map(str::to_string),
                total.get(i),
                done.get(i),
                hh.get(i),
                applied.get(i),
            ),
        );
    }
    Ok(out)
}

fn u(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or(u64::MAX)
}

fn wan(fen: i64) -> String {
    yearbook::model::fen_to_wan_string(fen, 4)
}

fn check_outputs(dir: &Path, cases: &[Case], findings: &mut Findings) -> Result<(), String> {
    let pdir = period_dir(dir)?;
    let manifest: serde_json::Value = serde_json::from_str(&read(&pdir.join("manifest.json"))?)
        .map_err(|e| format!("manifest.json: {e}"))?;
    let a = &manifest["accounting"];
    if u(&a["rows_read"]) != u(&a["rows_kept"]) + u(&a["rows_rejected"]) + u(&a["rows_skipped"]) {
        return Err(format!("manifest accounting does not balance: {a}"));
    }
    let warnings: Vec<String> = manifest["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let clean = clean_rows(&pdir.join("data").join("proj.parquet"))?;
    let facts_text = read(&pdir.join("facts.csv"))?;
    // (year, dimension, key, metric) -> value, for the table `by_kind`.
    let mut facts: BTreeMap<i32, BTreeSet<(String, String, String, String)>> = BTreeMap::new();
    for line in facts_text.lines().skip(1) {
        let f = csv_fields(line);
        // year,month,table,dimension,key,metric,value,unit
        if f.len() != 8 || f[2] != "by_kind" {
            continue;
        }
        let year: i32 = f[0].parse().unwrap_or(0);
        facts.entry(year).or_default().insert((
            f[3].clone(),
            f[4].clone(),
            f[5].clone(),
            f[6].clone(),
        ));
    }
    let inputs = manifest["inputs"].as_array().cloned().unwrap_or_default();
    // The run's one summary line of rejections must count every planted rejection; a wrong
    // count is blamed on the cases whose rejections differ (found below), else on all.
    let planted: u64 = cases.iter().map(|c| c.truth.rejected).sum();
    let summary = format!("{planted} rows rejected; see rejected.csv");
    let is_summary = |w: &String| w.ends_with("rows rejected; see rejected.csv");
    let summaries: Vec<&String> = warnings.iter().filter(|w| is_summary(w)).collect();
    let summary_wrong = match (planted, summaries.as_slice()) {
        (0, []) => None,
        (p, [one]) if p > 0 && **one == summary => None,
        _ => Some(format!(
            "expected {}; the run's rejection summary: {summaries:?}",
            if planted == 0 {
                "no rejection summary".to_string()
            } else {
                format!("the one summary line `{summary}`")
            }
        )),
    };
    for w in &warnings {
        if is_summary(w) {
            continue;
        }
        if !(0..cases.len()).any(|i| w.contains(&case_path(i, &cases[i]))) {
            return Err(format!("warning naming no case: {w}"));
        }
    }
    for (i, case) in cases.iter().enumerate() {
        let path = case_path(i, case);
        let mut d: Vec<String> = Vec::new();
        let t = &case.truth;
        for w in &warnings {
            let expected = t
                .no_table
                .iter()
                .any(|s| w.starts_with(&format!("{path}: sheet `{s}`: no table recognised")));
            if w.contains(&path) && !expected {
                d.push(format!("warning: {w}"));
            }
        }
        for s in &t.no_table {
            let prefix = format!("{path}: sheet `{s}`: no table recognised");
            if !warnings.iter().any(|w| w.starts_with(&prefix)) {
                d.push(format!("no warning that sheet `{s}` has no table"));
            }
        }
        let Some(input) = inputs.iter().find(|x| x["path"] == path.as_str()) else {
            d.push(format!("{path} is not among the manifest's inputs"));
            findings.insert(i, d);
            continue;
        };
        if !input["error"].is_null() {
            d.push(format!("read error: {}", input["error"]));
        }
        if u(&input["rows_read"])
            != u(&input["rows_kept"]) + u(&input["rows_rejected"]) + u(&input["rows_skipped"])
        {
            d.push(format!(
                "file accounting does not balance: read {} kept {} rejected {} skipped {}",
                input["rows_read"],
                input["rows_kept"],
                input["rows_rejected"],
                input["rows_skipped"]
            ));
        }
        let sheets = input["sheets"].as_array().cloned().unwrap_or_default();
        match sheets.iter().find(|s| s["name"] == t.sheet.as_str()) {
            None => d.push(format!("sheet `{}` missing from the manifest", t.sheet)),
            Some(sh) => {
                if sh["dataset"] != "proj" {
                    d.push(format!(
                        "sheet `{}`: dataset {}, expected proj",
                        t.sheet, sh["dataset"]
                    ));
                }
                let want_year = if t.year_column {
                    serde_json::Value::Null
                } else {
                    t.year.into()
                };
                if sh["year"] != want_year {
                    d.push(format!("year {}, expected {want_year}", sh["year"]));
                }
                let want_month: serde_json::Value = match t.month {
                    Some(m) if !t.month_column => m.into(),
                    _ => serde_json::Value::Null,
                };
                if sh["month"] != want_month {
                    d.push(format!("month {}, expected {want_month}", sh["month"]));
                }
                if sh["cumulative"] != t.cumulative {
                    d.push(format!(
                        "cumulative {}, expected {}",
                        sh["cumulative"], t.cumulative
                    ));
                }
                if u(&sh["rows_kept"]) != t.kept.len() as u64 {
                    d.push(format!(
                        "rows kept {}, expected {}",
                        sh["rows_kept"],
                        t.kept.len()
                    ));
                }
                if u(&sh["rows_rejected"]) != t.rejected {
                    d.push(format!(
                        "rows rejected {}, expected {}",
                        sh["rows_rejected"], t.rejected
                    ));
                }
                let got: BTreeMap<String, u64> = sh["skipped"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), u(v)))
                            .filter(|(_, n)| *n > 0)
                            .collect()
                    })
                    .unwrap_or_default();
                let want: BTreeMap<String, u64> =
                    t.skipped.iter().map(|(k, v)| (k.to_string(), *v)).collect();
                if got != want {
                    d.push(format!("skipped {got:?}, expected {want:?}"));
                }
            }
        }
        for other in &t.other_sheets {
            if let Some(sh) = sheets.iter().find(|s| s["name"] == other.as_str()) {
                if u(&sh["rows_kept"]) != 0 || u(&sh["rows_rejected"]) != 0 {
                    d.push(format!(
                        "sheet `{other}` (no table of the data) gave {} kept and {} rejected rows",
                        sh["rows_kept"], sh["rows_rejected"]
                    ));
                }
            }
        }
        // Clean rows.
        let got: BTreeMap<(String, u32), &CleanRow> = clean
            .iter()
            .filter(|((f, _, _), _)| *f == path)
            .map(|((_, s, r), v)| ((s.clone(), *r), v))
            .collect();
        let want: BTreeMap<(String, u32), CleanRow> = t
            .kept
            .iter()
            .map(|r| {
                (
                    (t.sheet.clone(), r.row + 1),
                    (
                        Some(t.year),
                        t.month.map(|m| m as i32),
                        Some(r.name.clone()),
                        Some(r.kind.clone()),
                        Some(r.total),
                        Some(r.done),
                        Some(r.households),
                        r.applied,
                    ),
                )
            })
            .collect();
        for (k, w) in &want {
            match got.get(k) {
                None => d.push(format!(
                    "row {} of `{}` missing from the clean data",
                    k.1, k.0
                )),
                Some(g) if *g != w => d.push(format!(
                    "row {} of `{}`: clean {g:?}, expected {w:?}",
                    k.1, k.0
                )),
                _ => {}
            }
        }
        for (k, g) in &got {
            if !want.contains_key(k) {
                d.push(format!(
                    "row {} of `{}` should not be data: {g:?}",
                    k.1, k.0
                ));
            }
        }
        // Figures of the table for the case's year (each case has a year of its own).
        let mut expected: BTreeSet<(String, String, String, String)> = BTreeSet::new();
        let mut groups: BTreeMap<Option<&str>, (i64, i64, i64, i64)> = BTreeMap::new();
        for r in &t.kept {
            for key in [None, Some(r.kind.as_str())] {
                let e = groups.entry(key).or_default();
                e.0 += 1;
                e.1 += r.total;
                e.2 += r.done;
                e.3 += r.households;
            }
        }
        for (key, (n, total, done, hh)) in groups {
            let (dim, key) = match key {
                None => ("total".to_string(), "合计".to_string()),
                Some(k) => ("kind".to_string(), k.to_string()),
            };
            for (metric, value) in [
                ("项目个数", n.to_string()),
                ("总投资", wan(total)),
                ("完成投资", wan(done)),
                ("户数", hh.to_string()),
            ] {
                expected.insert((dim.clone(), key.clone(), metric.to_string(), value));
            }
        }
        let got = facts.get(&t.year).cloned().unwrap_or_default();
        if got != expected {
            let missing: Vec<_> = expected.difference(&got).collect();
            let extra: Vec<_> = got.difference(&expected).collect();
            d.push(format!(
                "facts for {}: missing {missing:?}; unexpected {extra:?}",
                t.year
            ));
        }
        if !d.is_empty() {
            findings.insert(i, d);
        }
    }
    if let Some(msg) = summary_wrong {
        if findings.is_empty() {
            return Err(msg);
        }
        for d in findings.values_mut() {
            d.push(msg.clone());
        }
    }
    Ok(())
}

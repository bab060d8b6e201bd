//! Sorting the rows under a header into data, rejected rows and skipped rows.

use super::layout::{Grid, Layout};
use super::normalize::squeeze;
use super::periods::find_year;
use super::value::{cell_text, parse_cell};
use super::{Rejection, SkipReason};
use crate::config::Dataset;
use crate::model::{column_letter, Value};
use calamine::Data;
use std::collections::BTreeMap;

/// Words that make a row a total, not data.
const TOTAL_WORDS: [&str; 3] = ["合计", "总计", "小计"];
/// Words that start a footnote row.
const NOTE_WORDS: [&str; 7] = ["注", "说明", "填报", "数据来源", "资料来源", "制表", "审核"];

pub struct RowOutcome {
    /// (0-based row, year, values aligned with the dataset's fields).
    pub kept: Vec<(u32, i32, Vec<Value>)>,
    pub rejected: Vec<Rejection>,
    pub skipped: BTreeMap<SkipReason, u64>,
    /// 合计 rows whose figures differ from the sum of the data rows.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    Total,
    Breakdown,
    Note,
    Data,
}

pub(crate) fn is_total_label(squeezed: &str) -> bool {
    let s = squeezed.trim_end_matches([':', '：']);
    let s = s.split(['(', '（']).next().unwrap_or(s);
    // `合计`, `合计（55个）`, `全区合计`; not a project whose name starts 合计划….
    TOTAL_WORDS
        .iter()
        .any(|w| s == *w || (s.ends_with(w) && s.chars().count() <= 6))
}

pub(crate) fn is_note_label(squeezed: &str) -> bool {
    NOTE_WORDS.iter().any(|w| {
        squeezed.strip_prefix(w).is_some_and(|rest| {
            // `注：`, `注1.`, `说明：`, `填报人：`, `数据来源：`; not a project that starts with 注.
            rest.is_empty()
                || rest.starts_with([':', '：', '1', '2', '3', '①', '人', '单', '日', '.', '、'])
                || rest.starts_with("期")
        })
    })
}

fn is_indented(raw: &str) -> bool {
    raw.starts_with([' ', '\u{3000}', '\u{a0}', '\t', '#', '＃'])
}

/// NFKC and whitespace removal, only for text that holds `trigger`: most cells cannot be a
/// total, note or 其中 label, and normalising every cell would dominate reading.
fn squeeze_if(text: &str, trigger: &[char]) -> Option<String> {
    text.contains(trigger).then(|| squeeze(text))
}

/// First characters of the note words.
const NOTE_START: [char; 7] = ['注', '说', '填', '数', '资', '制', '审'];

/// Classifies one row by its text cells.
fn classify(grid: &Grid, row: u32, in_breakdown: bool, in_notes: bool) -> Kind {
    let mut texts: Vec<&str> = Vec::new();
    let mut non_empty = 0;
    for c in grid.first_col..=grid.last_col {
        match grid.get(row, c) {
            Data::Empty => {}
            Data::String(s) if s.trim().is_empty() => {}
            Data::String(s) => {
                non_empty += 1;
                texts.push(s);
            }
            _ => non_empty += 1,
        }
    }
    if non_empty == 0 {
        return Kind::Blank;
    }
    let first = texts.first().and_then(|s| squeeze_if(s, &NOTE_START));
    if first.is_some_and(|f| is_note_label(&f)) && non_empty <= 2 {
        return Kind::Note;
    }
    if in_notes && non_empty == 1 && texts.len() == 1 {
        return Kind::Note;
    }
    if texts
        .iter()
        .any(|t| squeeze_if(t, &['计']).is_some_and(|s| is_total_label(&s)))
    {
        return Kind::Total;
    }
    if texts
        .iter()
        .any(|t| squeeze_if(t, &['其']).is_some_and(|s| s.starts_with("其中")))
    {
        return Kind::Breakdown;
    }
    if in_breakdown && texts.first().is_some_and(|t| is_indented(t)) {
        return Kind::Breakdown;
    }
    Kind::Data
}

/// Reads every row below the header.
pub fn extract(grid: &Grid, layout: &Layout, ds: &Dataset, file: &str, sheet: &str) -> RowOutcome {
    let mut out = RowOutcome {
        kept: Vec::new(),
        rejected: Vec::new(),
        skipped: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let header_rows = (layout.header_last - layout.header_first + 1) as u64;
    let above = (layout.header_first - grid.first_row) as u64;
    if above > 0 {
        out.skipped.insert(SkipReason::Title, above);
    }
    out.skipped.insert(SkipReason::Header, header_rows);
    let mut in_breakdown = false;
    let mut in_notes = false;
    let mut totals = Vec::new();
    for row in layout.header_last + 1..=grid.last_row {
        let kind = classify(grid, row, in_breakdown, in_notes);
        in_breakdown = match kind {
            Kind::Breakdown => true,
            Kind::Blank => in_breakdown,
            _ => false,
        };
        in_notes |= kind == Kind::Note;
        let reason = match kind {
            Kind::Blank => SkipReason::Blank,
            Kind::Total => {
                totals.push(row);
                SkipReason::Total
            }
            Kind::Breakdown => SkipReason::Breakdown,
            Kind::Note => SkipReason::Note,
            Kind::Data => {
                match read_row(grid, layout, ds, row) {
                    Ok((year, values)) => out.kept.push((row, year, values)),
                    Err(mut rej) => {
                        rej.file = file.to_string();
                        rej.sheet = sheet.to_string();
                        out.rejected.push(rej);
                    }
                }
                continue;
            }
        };
        *out.skipped.entry(reason).or_insert(0) += 1;
    }
    out.warnings = check_total(grid, layout, ds, &totals, &out);
    out
}

/// Compares a sheet's one grand-total row with the sum of its data rows, field by field.
/// Skipped where the comparison would mislead: several total rows (小计), 其中 blocks, or
/// rejected rows missing from the sum.
fn check_total(
    grid: &Grid,
    layout: &Layout,
    ds: &Dataset,
    totals: &[u32],
    out: &RowOutcome,
) -> Vec<String> {
    let [row] = totals else { return Vec::new() };
    if !out.rejected.is_empty()
        || out.skipped.contains_key(&SkipReason::Breakdown)
        || out.kept.is_empty()
    {
        return Vec::new();
    }
    let mut warnings = Vec::new();
    for cm in &layout.columns {
        let field = &ds.fields[cm.field];
        if !matches!(
            field.kind,
            crate::model::FieldKind::Money | crate::model::FieldKind::Count
        ) {
            continue;
        }
        let unit = cm.unit.unwrap_or(layout.unit.0);
        let Ok(stated) = parse_cell(grid.get(*row, cm.col), field.kind, unit, field.dash) else {
            continue;
        };
        let stated = match stated {
            Value::Money(x) | Value::Count(x) => x,
            _ => continue,
        };
        let sum: i64 = out
            .kept
            .iter()
            .map(|(_, _, v)| match v[cm.field] {
                Value::Money(x) | Value::Count(x) => x,
                _ => 0,
            })
            .sum();
        // Typed-in totals may be rounded to two decimals of their unit.
        let tolerance = if field.kind == crate::model::FieldKind::Money {
            unit.fen() / 100
        } else {
            0
        };
        if (stated - sum).abs() > tolerance {
            let show = |x: i64| match field.kind {
                crate::model::FieldKind::Money => {
                    format!("{}{}", crate::model::fen_to_unit_string(x, unit, 4), unit)
                }
                _ => x.to_string(),
            };
            warnings.push(format!(
                "合计 row {} ({}) says {} but the data rows sum to {}",
                row + 1,
                cm.header,
                show(stated),
                show(sum)
            ));
        }
    }
    warnings
}

fn reject(row: u32, col: u32, header: &str, raw: String, reason: String) -> Rejection {
    Rejection {
        file: String::new(),
        sheet: String::new(),
        row: row + 1,
        column: column_letter(col),
        header: header.to_string(),
        value: raw,
        reason,
    }
}

fn read_row(
    grid: &Grid,
    layout: &Layout,
    ds: &Dataset,
    row: u32,
) -> Result<(i32, Vec<Value>), Rejection> {
    let year = match layout.year_col {
        Some(col) => {
            let cell = grid.get(row, col);
            let y = match cell {
                Data::Int(i) => i32::try_from(*i).ok(),
                Data::Float(f) if f.fract() == 0.0 => Some(*f as i32),
                Data::String(s) => find_year(s),
                _ => None,
            };
            match y {
                Some(y) if (1900..=2099).contains(&y) => y,
                _ => {
                    let header = grid.text(layout.header_last, col);
                    return Err(reject(
                        row,
                        col,
                        &header,
                        cell_text(cell),
                        "expected a year (e.g. 2022 or 2022年)".into(),
                    ));
                }
            }
        }
        None => match layout.year {
            Some((y, _)) => y,
            None => 0,
        },
    };
    let mut values = vec![Value::Null; ds.fields.len()];
    for cm in &layout.columns {
        let field = &ds.fields[cm.field];
        let cell = grid.get(row, cm.col);
        if let Some(formula) = grid.uncached(row, cm.col) {
            let reason = format!(
                "expected {} for field `{}`, found a formula with no computed value",
                kind_phrase(field.kind),
                field.name,
            );
            return Err(reject(
                row,
                cm.col,
                &cm.header,
                format!("={formula}"),
                reason,
            ));
        }
        let unit = cm.unit.unwrap_or(layout.unit.0);
        match parse_cell(cell, field.kind, unit, field.dash) {
            Ok(v) => values[cm.field] = v,
            Err(e) => {
                let reason = format!(
                    "expected {} for field `{}`, found {}",
                    kind_phrase(field.kind),
                    field.name,
                    e
                );
                return Err(reject(row, cm.col, &cm.header, cell_text(cell), reason));
            }
        }
    }
    for (fi, field) in ds.fields.iter().enumerate() {
        if field.required && matches!(values[fi], Value::Null) {
            let (col, header) = layout
                .columns
                .iter()
                .find(|c| c.field == fi)
                .map(|c| (c.col, c.header.clone()))
                .unwrap_or((grid.first_col, String::new()));
            return Err(reject(
                row,
                col,
                &header,
                String::new(),
                format!("required field `{}` is empty", field.name),
            ));
        }
    }
    Ok((year, values))
}

fn kind_phrase(kind: crate::model::FieldKind) -> &'static str {
    use crate::model::FieldKind::*;
    match kind {
        Text => "text",
        Count => "a whole number",
        Money => "an amount",
        Percent => "a percentage",
        Date => "a date",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert!(is_total_label("合计"));
        assert!(is_total_label("全区合计"));
        assert!(is_total_label("合计(全区)"));
        assert!(!is_total_label("长春二道经济开发区新建建材产业园区项目"));
        assert!(!is_total_label("合计划生育服务中心改造项目"));
        assert!(is_total_label("合计（55个）"));
        assert!(is_note_label("注：数据为快报数"));
        assert!(is_note_label("填报人：张三"));
        assert!(is_note_label("数据来源：区财政局"));
        assert!(!is_note_label("注塑件生产线项目"));
        assert!(is_indented("\u{3000}\u{3000}新建项目"));
    }
}

//! Sorting the rows under a header into data, rejected rows and skipped rows.

use super::layout::{Grid, Layout};
use super::periods::find_year;
use super::value::{cell_text, parse_cell};
use super::{Rejection, SkipReason};
use crate::config::normalize::squeeze;
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
    /// Total rows whose figures differ from the sum of the rows they cover.
    pub warnings: Vec<String>,
    /// Per kept row, its month from a month column (empty without one).
    pub months: Vec<Option<u32>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    Total(TotalKind),
    Breakdown,
    Note,
    Data,
}

/// What a total row adds up, by its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TotalKind {
    /// 合计, 总计, 全区合计, 共N个项目: every data row of the table.
    Grand,
    /// 小计, `<group>小计`: the rows of its group.
    Group,
    /// `<name>合计`: a group's or the table's total, whichever it matches.
    Either,
}

/// A label with a trailing colon, parenthesised remark (`（55个）`, `(全区)`) or count
/// (`55个`, `：3项`) taken off, as total labels carry them.
fn strip_total_decoration(squeezed: &str) -> &str {
    let mut s = squeezed;
    loop {
        let before = s;
        s = s.trim_end_matches([':', '：']);
        for (open, close) in [('(', ')'), ('（', '）'), ('[', ']'), ('【', '】')] {
            if let Some(inner) = s.strip_suffix(close) {
                if let Some(pos) = inner.rfind(open) {
                    s = &inner[..pos];
                }
            }
        }
        // A count: digits, then a counting word.
        let t = s.trim_end_matches(['个', '项', '户', '笔', '家', '条', '人', '目']);
        let t = t.strip_suffix("个项").unwrap_or(t);
        let digits = t.trim_end_matches(|c: char| c.is_ascii_digit());
        if digits.len() < t.len() {
            s = digits;
        }
        if s == before {
            return s;
        }
    }
}

/// The kind of total a label names, if it names one. `long` allows a group name of any
/// length before 小计/合计/总计 (the row's first text cell); other cells need a short label,
/// so that a remark such as `已合计` elsewhere in a data row does not make it a total.
pub(crate) fn total_kind(squeezed: &str, long: bool) -> Option<TotalKind> {
    // `共55个项目`, `共计`.
    if let Some(rest) = squeezed.strip_prefix('共') {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if (digits > 0 && rest[digits..].starts_with(['个', '项', '家', '户', '笔']))
            || rest.trim_end_matches([':', '：']) == "计"
        {
            return Some(TotalKind::Grand);
        }
    }
    let s = strip_total_decoration(squeezed);
    let word = TOTAL_WORDS.iter().find(|w| s.ends_with(*w))?;
    let name = &s[..s.len() - word.len()];
    if !long && name.chars().count() > 4 {
        return None;
    }
    let name = name.trim_end_matches(['、', '.', '-', '—', ':', '：']);
    Some(match *word {
        "小计" => TotalKind::Group,
        _ if name.is_empty() || name.starts_with('全') || name == "总" => TotalKind::Grand,
        _ => TotalKind::Either,
    })
}

pub(crate) fn is_total_label(squeezed: &str) -> bool {
    total_kind(squeezed, true).is_some()
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
    let total = texts
        .iter()
        .enumerate()
        .find_map(|(i, t)| squeeze_if(t, &['计', '共']).and_then(|s| total_kind(&s, i == 0)));
    if let Some(k) = total {
        return Kind::Total(k);
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
        months: Vec::new(),
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
    let mut rejected_rows = Vec::new();
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
            Kind::Total(k) => {
                totals.push((row, k));
                SkipReason::Total
            }
            Kind::Breakdown => SkipReason::Breakdown,
            Kind::Note => SkipReason::Note,
            Kind::Data => {
                match read_row(grid, layout, ds, row) {
                    Ok((year, month, values)) => {
                        out.kept.push((row, year, values));
                        if layout.month_col.is_some() {
                            out.months.push(month);
                        }
                    }
                    Err(mut rej) => {
                        rejected_rows.push(row);
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
    out.warnings = check_totals(grid, layout, ds, &totals, &rejected_rows, &out);
    out
}

/// Compares every total row with the data rows it covers, field by field: a grand total
/// (合计) with all data rows, a 小计 with its group (the data rows since the total row before
/// it, or failing that those up to the next one, for subtotals written above their group),
/// `<name>合计` with either. A comparison that would take in a rejected row is left out: the
/// rejection already makes the run fail, and the sum would be short by that row.
fn check_totals(
    grid: &Grid,
    layout: &Layout,
    ds: &Dataset,
    totals: &[(u32, TotalKind)],
    rejected: &[u32],
    out: &RowOutcome,
) -> Vec<String> {
    use crate::model::FieldKind;
    let mut warnings = Vec::new();
    if out.kept.is_empty() {
        return warnings;
    }
    let first = layout.header_last + 1;
    let rejected_in = |a: u32, b: u32| rejected.iter().any(|r| (a..=b).contains(r));
    let kept_in = |a: u32, b: u32| out.kept.iter().any(|(r, _, _)| (a..b).contains(r));
    // Whether the table's subtotals follow their groups or precede them, as its first 小计
    // shows: data rows (kept or rejected) between it and the total row or header above.
    let follow = totals
        .iter()
        .position(|t| t.1 == TotalKind::Group)
        .map_or(true, |i| {
            let a = totals[..i].last().map_or(first, |t| t.0 + 1);
            let row = totals[i].0;
            kept_in(a, row) || (row > a && rejected_in(a, row - 1))
        });
    for (i, &(row, kind)) in totals.iter().enumerate() {
        // Rows of the group before (after the previous total row) and after (up to the next).
        let before = (totals[..i].last().map_or(first, |t| t.0 + 1), row);
        let after = (
            row + 1,
            totals.get(i + 1).map_or(grid.last_row + 1, |t| t.0),
        );
        let spans: Vec<(u32, u32)> = match kind {
            TotalKind::Grand => vec![(first, grid.last_row + 1)],
            TotalKind::Group if follow => vec![before],
            TotalKind::Group => vec![after],
            TotalKind::Either => vec![(first, grid.last_row + 1), before, after],
        };
        // A span with a rejected row cannot be checked (its sum is short by that row); a
        // mismatch with the other spans would then blame the wrong group.
        if spans.iter().any(|&(a, b)| b > a && rejected_in(a, b - 1)) {
            continue;
        }
        let spans: Vec<(u32, u32)> = spans
            .into_iter()
            .filter(|&(a, b)| b > a && kept_in(a, b))
            .collect();
        if spans.is_empty() {
            continue;
        }
        let label = (grid.first_col..=grid.last_col)
            .map(|c| grid.text(row, c))
            .find(|t| !t.trim().is_empty())
            .unwrap_or_default();
        let label = label.trim();
        for cm in &layout.columns {
            let field = &ds.fields[cm.field];
            if !matches!(field.kind, FieldKind::Money | FieldKind::Count) {
                continue;
            }
            let unit = cm.unit.unwrap_or(layout.unit.0);
            // An empty or dashed cell in a total row states nothing.
            let stated = match parse_cell(
                grid.get(row, cm.col),
                field.kind,
                unit,
                crate::model::DashPolicy::Missing,
            ) {
                Ok(Value::Money(x) | Value::Count(x)) => x,
                _ => continue,
            };
            let sum_of = |(a, b): (u32, u32)| -> i64 {
                out.kept
                    .iter()
                    .filter(|(r, _, _)| (a..b).contains(r))
                    .map(|(_, _, v)| match v[cm.field] {
                        Value::Money(x) | Value::Count(x) => x,
                        _ => 0,
                    })
                    .fold(0_i64, i64::saturating_add)
            };
            // Typed-in totals may be rounded to two decimals of their unit.
            let tolerance = if field.kind == FieldKind::Money {
                unit.fen() / 100
            } else {
                0
            };
            let sums: Vec<i64> = spans.iter().map(|s| sum_of(*s)).collect();
            if sums
                .iter()
                .any(|s| stated.abs_diff(*s) <= tolerance.unsigned_abs())
            {
                continue;
            }
            let show = |x: i64| match field.kind {
                FieldKind::Money if crate::i18n::zh() => crate::i18n::wan(x),
                FieldKind::Money => {
                    format!("{}{}", crate::model::fen_to_unit_string(x, unit, 4), unit)
                }
                _ => x.to_string(),
            };
            let (a, b) = spans[0];
            let covered = if (a, b) == (first, grid.last_row + 1) {
                crate::i18n::t!("warn.rows_sum")
            } else {
                crate::i18n::t!("warn.group_sum", first = a + 1, last = b)
            };
            let word = match kind {
                TotalKind::Grand if label.contains("总计") => "总计".to_string(),
                TotalKind::Grand if label.contains("合计") => "合计".to_string(),
                _ => crate::i18n::t!("warn.total_label", label = label),
            };
            warnings.push(crate::i18n::t!(
                "warn.total_mismatch",
                word = word,
                row = row + 1,
                header = cm.header,
                stated = show(stated),
                covered = covered,
                sum = show(sums[0])
            ));
        }
    }
    warnings
}

fn reject(
    row: u32,
    col: u32,
    header: &str,
    raw: String,
    (code, reason): (&str, String),
) -> Rejection {
    Rejection {
        file: String::new(),
        sheet: String::new(),
        row: row + 1,
        column: column_letter(col),
        header: header.to_string(),
        value: raw,
        reason,
        code: code.to_string(),
    }
}

/// A month cell: `6`, `6月`, `６月份`, `2024年6月`, `2024-06`, `1-6月` (its last month).
fn month_of(cell: &Data) -> Option<u32> {
    let m = match cell {
        Data::Int(i) => u32::try_from(*i).ok(),
        Data::Float(f) if f.fract() == 0.0 && *f >= 0.0 => Some(*f as u32),
        Data::String(s) => {
            let t = squeeze(s);
            let t = t.trim_end_matches('份').trim_end_matches('月');
            let t = t
                .rsplit(['年', '-', '—', '~', '至', '/', '.'])
                .next()
                .unwrap_or(t);
            t.parse().ok()
        }
        _ => None,
    }?;
    (1..=12).contains(&m).then_some(m)
}

/// Whether a month cell names a range of months (`1-6月`, `1—6月`, `1至6月`), not one month.
fn month_range(cell: &Data) -> bool {
    let Data::String(s) = cell else {
        return false;
    };
    let t = squeeze(s);
    let t = t.rsplit('年').next().unwrap_or(&t);
    // `2024-06` is a year and its month.
    let year_first = t.len() > 4 && t.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    !year_first && t.contains(['-', '—', '–', '―', '~', '至'])
}

fn read_row(
    grid: &Grid,
    layout: &Layout,
    ds: &Dataset,
    row: u32,
) -> Result<(i32, Option<u32>, Vec<Value>), Rejection> {
    // A period cell that cannot be read rejects its row, naming the cell and why.
    let bad = |col: u32, code: &str, reason: &str| {
        let header = grid.text(layout.header_last, col);
        reject(
            row,
            col,
            &header,
            cell_text(grid.get(row, col)),
            (code, reason.into()),
        )
    };
    let month = match layout.month_col {
        Some(col) => {
            let cell = grid.get(row, col);
            match month_of(cell) {
                // A `1-6月` cell holds a year-to-date figure: read as June alone, it would be
                // added to the months before it.
                Some(_) if month_range(cell) && !layout.cumulative => {
                    return Err(bad(
                        col,
                        "range_in_month_column",
                        &crate::i18n::t!("reject.range_in_month"),
                    ));
                }
                Some(m) => Some(m),
                None => return Err(bad(col, "not_a_month", &crate::i18n::t!("reject.month"))),
            }
        }
        None => None,
    };
    let year = match layout.year_col {
        Some(col) => {
            // Year cells are NFKC-normalised like every number: `２０２２`, ` 2022年 `.
            let y = match grid.get(row, col) {
                Data::Int(i) => i32::try_from(*i).ok(),
                Data::Float(f) if f.fract() == 0.0 => Some(*f as i32),
                Data::String(s) => find_year(&squeeze(s)),
                _ => None,
            };
            match y {
                Some(y) if (1900..=2099).contains(&y) => y,
                _ => return Err(bad(col, "not_a_year", &crate::i18n::t!("reject.year"))),
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
            let reason = crate::i18n::t!(
                "reject.uncached_formula",
                kind = kind_phrase(field.kind),
                field = field.name,
            );
            return Err(reject(
                row,
                cm.col,
                &cm.header,
                format!("={formula}"),
                ("formula_without_value", reason),
            ));
        }
        let unit = cm.unit.unwrap_or(layout.unit.0);
        match parse_cell(cell, field.kind, unit, field.dash) {
            Ok(v) => values[cm.field] = v,
            Err(e) => {
                let reason = crate::i18n::t!(
                    "reject.cell",
                    kind = kind_phrase(field.kind),
                    field = field.name,
                    found = e
                );
                return Err(reject(
                    row,
                    cm.col,
                    &cm.header,
                    cell_text(cell),
                    (e.code(), reason),
                ));
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
                (
                    "required_empty",
                    crate::i18n::t!("reject.required", field = field.name),
                ),
            ));
        }
    }
    Ok((year, month, values))
}

fn kind_phrase(kind: crate::model::FieldKind) -> String {
    use crate::model::FieldKind::*;
    match kind {
        Text => crate::i18n::t!("kind.text"),
        Count => crate::i18n::t!("kind.count"),
        Money => crate::i18n::t!("kind.money"),
        Percent => crate::i18n::t!("kind.percent"),
        Date => crate::i18n::t!("kind.date"),
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
        assert!(is_total_label("创业担保贷款贴息小计"));
        assert!(is_total_label("一、政策奖励资金小计："));
        assert!(is_total_label("长春二道经济开发区新建建材产业园区项目合计"));
        assert!(is_total_label("合计55个"));
        assert!(is_total_label("共55个项目"));
        assert!(!is_total_label("共建共享产业园"));
        assert_eq!(
            total_kind("创业担保贷款贴息小计", true),
            Some(TotalKind::Group)
        );
        assert_eq!(total_kind("全区合计（55个）", true), Some(TotalKind::Grand));
        assert_eq!(total_kind("总计", false), Some(TotalKind::Grand));
        assert_eq!(total_kind("工业项目合计", true), Some(TotalKind::Either));
        // In a cell other than the row's first text, only a short label is a total.
        assert_eq!(total_kind("已与上月数据合计", false), None);
        assert!(is_note_label("注：数据为快报数"));
        assert!(is_note_label("填报人：张三"));
        assert!(is_note_label("数据来源：区财政局"));
        assert!(!is_note_label("注塑件生产线项目"));
        assert!(is_indented("\u{3000}\u{3000}新建项目"));
    }
}

#[cfg(test)]
mod month_cell_tests {
    use super::*;

    #[test]
    fn a_month_range_is_told_from_a_month() {
        let s = |x: &str| Data::String(x.to_string());
        for range in ["1-6月", "1—6月", "1至6月", "2024年1-6月", "１－６月"] {
            assert!(month_range(&s(range)), "{range}");
            assert_eq!(month_of(&s(range)), Some(6), "{range}");
        }
        for month in ["6", "6月", "６月份", "2024年6月", "2024-06"] {
            assert!(!month_range(&s(month)), "{month}");
            assert_eq!(month_of(&s(month)), Some(6), "{month}");
        }
        assert!(!month_range(&Data::Float(6.0)));
    }
}

//! The display grid: a table as a statistician reads it. [`display`] is the data grid the CSV
//! writer uses (one header row, full precision, months as integers); [`print`] is the grid the
//! XLSX workbook and index.html show (NBS style: a two-level header, rounded values with
//! thousands separators, a table without dimensions turned to list its measures down the rows).
//!
//! Wide tables put years in columns (yearbook style): one row per key, 合计 first, each base
//! metric once per year and the derived metrics (同比, 构成, 贡献率, 拉动 …) for the latest year
//! only. Long tables have one row per (year, month, key) and one column per metric.

use crate::aggregate::{AggRow, MetricDef, MetricKind, MetricValue, TableResult};
use crate::model::{fen_to_unit_string, MoneyUnit, Period};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The label of the grand-total row.
pub const TOTAL: &str = "合计";

/// Name endings that mark a metric derived from a base metric (`金额同比` from `金额`).
pub const DERIVED_SUFFIXES: [&str; 5] = ["同比增减", "同比", "构成", "贡献率", "拉动"];

/// One cell of the display grid.
#[derive(Debug, Clone, PartialEq)]
pub enum CellOut {
    Text(String),
    /// `value` is what XLSX stores; `text` the decimal string (money converted from fen
    /// without floating point): in full in the data grid, as XLSX's number format shows it
    /// (rounded to `decimals`, thousands separators) in the print grid.
    Number {
        value: f64,
        text: String,
        kind: MetricKind,
        decimals: u8,
    },
    Empty,
}

impl CellOut {
    /// The text written to CSV.
    pub fn text(&self) -> &str {
        match self {
            CellOut::Text(s) => s,
            CellOut::Number { text, .. } => text,
            CellOut::Empty => "",
        }
    }
}

/// A label over several columns in the first of two header rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub label: String,
    pub first: usize,
    pub span: usize,
}

/// A table ready to be written: headers, then rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// One per column; under a band, the second header row's label.
    pub headers: Vec<String>,
    /// The first header row of a two-level header; empty for one header row. A column under
    /// no band has its header across both rows.
    pub bands: Vec<Band>,
    pub rows: Vec<Vec<CellOut>>,
    /// How many leading columns are labels (year, month, dimensions) rather than values.
    pub key_columns: usize,
    /// Parallel to `rows`: true for the grand-total (合计) rows, shown bold.
    pub total_rows: Vec<bool>,
}

/// How rows with a month are labelled. `TableResult` does not say whether its months are
/// year-to-date or single months, so [`display`] infers it (see [`MonthStyle::infer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthStyle {
    /// 1—N月 cumulative values: `2022年1—12月`.
    Ytd,
    /// Single months: `2022年12月`.
    Monthly,
}

impl MonthStyle {
    /// What the table says, else: a table holding one month per year reports year-to-date
    /// values; one holding several months in a year reports single months.
    pub fn infer(table: &TableResult) -> MonthStyle {
        match table.ytd {
            Some(true) => return MonthStyle::Ytd,
            Some(false) => return MonthStyle::Monthly,
            None => {}
        }
        let mut months: BTreeMap<i32, BTreeSet<u32>> = BTreeMap::new();
        for r in &table.rows {
            if let Some(m) = r.month {
                months.entry(r.year).or_default().insert(m);
            }
        }
        if months.values().any(|s| s.len() > 1) {
            MonthStyle::Monthly
        } else {
            MonthStyle::Ytd
        }
    }

    /// `2022年1—12月` / `2022年12月`; `2022年` for annual rows.
    pub fn year_label(self, year: i32, month: Option<u32>) -> String {
        match (month, self) {
            (None, _) => format!("{year}年"),
            (Some(m), MonthStyle::Ytd) => Period { year, month: m }.label(),
            (Some(m), MonthStyle::Monthly) => format!("{year}年{m}月"),
        }
    }

    /// `1—12月` / `12月` without the year; empty for annual rows.
    pub fn month_label(self, month: Option<u32>) -> String {
        match (month, self) {
            (None, _) => String::new(),
            (Some(1), _) => "1月".to_string(),
            (Some(m), MonthStyle::Ytd) => format!("1—{m}月"),
            (Some(m), MonthStyle::Monthly) => format!("{m}月"),
        }
    }
}

/// Which grid: the data (CSV) or what is printed (XLSX, index.html).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Data,
    Print,
}

/// The data grid (CSV), month labels inferred.
pub fn display(table: &TableResult) -> Grid {
    display_as(table, MonthStyle::infer(table))
}

/// The data grid with months labelled as `style` says.
pub fn display_as(table: &TableResult, style: MonthStyle) -> Grid {
    if table.wide {
        wide(table, style, Mode::Data)
    } else {
        long(table, style, Mode::Data)
    }
}

/// The grid as it is printed (XLSX, index.html).
pub fn print(table: &TableResult) -> Grid {
    let style = MonthStyle::infer(table);
    match (table.wide, table.dims.is_empty()) {
        (true, true) => indicators(table, style),
        (true, false) => wide(table, style, Mode::Print),
        (false, _) => long(table, style, Mode::Print),
    }
}

/// For each metric, the index of the base metric it is derived from, if any.
pub fn derived_from(metrics: &[MetricDef]) -> Vec<Option<usize>> {
    metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let suffix = DERIVED_SUFFIXES.iter().find(|s| m.name.ends_with(*s))?;
            let stem_len = m.name.len() - suffix.len();
            metrics
                .iter()
                .enumerate()
                .filter(|(j, b)| {
                    *j != i
                        && !b.name.is_empty()
                        && b.name.len() <= stem_len
                        && m.name.starts_with(&b.name)
                })
                .filter(|(_, b)| {
                    !DERIVED_SUFFIXES.iter().any(|s| b.name.ends_with(s))
                        || b.name.len() == stem_len
                })
                .max_by_key(|(_, b)| b.name.len())
                .map(|(j, _)| j)
        })
        .collect()
}

/// `(万元)`, `(%)`, `(百分点)` or nothing, appended to a metric's header.
pub fn unit_suffix(kind: MetricKind, unit: MoneyUnit) -> String {
    match kind {
        MetricKind::Money => format!("({unit})"),
        MetricKind::Percent => "(%)".to_string(),
        MetricKind::Points => "(百分点)".to_string(),
        MetricKind::Count | MetricKind::Number => String::new(),
    }
}

/// One value as a data cell: in full (money exact in `unit`, floats as their shortest text).
pub fn cell(def: &MetricDef, value: Option<MetricValue>, unit: MoneyUnit) -> CellOut {
    let (value, text) = match value {
        None => return CellOut::Empty,
        Some(MetricValue::Fen(fen)) => (fen as f64 / unit.fen() as f64, exact_money(fen, unit)),
        Some(MetricValue::Int(i)) => (i as f64, i.to_string()),
        Some(MetricValue::Float(x)) if !x.is_finite() => return CellOut::Empty,
        Some(MetricValue::Float(x)) => (x, format!("{}", x + 0.0)),
    };
    CellOut::Number {
        value,
        text,
        kind: def.kind,
        decimals: def.decimals,
    }
}

/// One value as a printed cell: rounded to the metric's decimals, thousands separators.
pub fn print_cell(def: &MetricDef, value: Option<MetricValue>, unit: MoneyUnit) -> CellOut {
    let decimals = def.decimals;
    let (value, text) = match value {
        None => return CellOut::Empty,
        Some(MetricValue::Fen(fen)) => (
            fen as f64 / unit.fen() as f64,
            fen_to_unit_string(fen, unit, decimals.min(6) as u32),
        ),
        Some(MetricValue::Int(i)) => (i as f64, int_text(i, decimals)),
        Some(MetricValue::Float(x)) if !x.is_finite() => return CellOut::Empty,
        Some(MetricValue::Float(x)) => (x, fixed(x, decimals)),
    };
    CellOut::Number {
        value,
        text: grouped(&text),
        kind: def.kind,
        decimals,
    }
}

fn int_text(i: i64, decimals: u8) -> String {
    if decimals == 0 {
        i.to_string()
    } else {
        format!("{i}.{}", "0".repeat(decimals as usize))
    }
}

/// Money in `unit` with every digit the fen give, trailing zeros dropped.
pub fn exact_money(fen: i64, unit: MoneyUnit) -> String {
    let s = fen_to_unit_string(fen, unit, unit.fen().ilog10());
    match s.contains('.') {
        true => s.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => s,
    }
}

/// A decimal string with thousands separators in its whole part: `-1,234,567.50`.
pub fn grouped(text: &str) -> String {
    let (sign, rest) = text.strip_prefix('-').map_or(("", text), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// The header of a derived column under its measure's band: `同比增长(%)`, `构成(%)`.
pub fn derived_label(def: &MetricDef, base: &MetricDef, unit: MoneyUnit) -> String {
    let suffix = def
        .name
        .strip_prefix(base.name.as_str())
        .unwrap_or(&def.name);
    let suffix = match suffix {
        "同比" => "同比增长",
        s => s,
    };
    format!("{suffix}{}", unit_suffix(def.kind, unit))
}

/// The 单位 of a metric in the indicator column: 万元, %, 百分点, or a count's unit.
pub fn unit_of(def: &MetricDef, unit: MoneyUnit) -> String {
    match def.kind {
        MetricKind::Money => unit.to_string(),
        MetricKind::Percent => "%".to_string(),
        MetricKind::Points => "百分点".to_string(),
        MetricKind::Count | MetricKind::Number => def.unit.clone(),
    }
}

/// `x` with exactly `decimals` places, rounding half away from zero; never `-0.00`.
pub fn fixed(x: f64, decimals: u8) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let d = decimals as usize;
    let a = x.abs();
    // A tie at `d` places has at most d+1 fractional decimal digits, so a·2^(d+1) is a whole
    // number; only then can the exact expansion end in 5, which `{:.d}` would round to even.
    let scaled = a * 2f64.powi(d as i32 + 1);
    let tie =
        scaled.is_finite() && scaled.fract() == 0.0 && format!("{a:.0$}", d + 1).ends_with('5');
    let a = if tie {
        f64::from_bits(a.to_bits() + 1)
    } else {
        a
    };
    let s = format!("{a:.d$}");
    if x < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        format!("-{s}")
    } else {
        s
    }
}

type Key = Option<Vec<String>>;

/// Keys in order of first appearance, 合计 first.
fn key_order<'a>(rows: impl Iterator<Item = &'a AggRow>) -> Vec<Key> {
    let mut seen: Vec<Key> = Vec::new();
    let mut has_total = false;
    for r in rows {
        match &r.key {
            None => has_total = true,
            k @ Some(_) => {
                if !seen.contains(k) {
                    seen.push(k.clone());
                }
            }
        }
    }
    if has_total {
        seen.insert(0, None);
    }
    seen
}

/// The label cells of a key: 合计 in the first dimension column, or the key values.
fn key_cells(key: &Key, n: usize) -> Vec<CellOut> {
    let n = n.max(1);
    match key {
        None => {
            let mut v = vec![CellOut::Text(TOTAL.to_string())];
            v.resize(n, CellOut::Empty);
            v
        }
        Some(k) => {
            let mut v: Vec<CellOut> = k.iter().map(|s| CellOut::Text(s.clone())).collect();
            v.resize(n, CellOut::Empty);
            v.truncate(n);
            v
        }
    }
}

fn dim_headers(table: &TableResult) -> Vec<String> {
    if table.dims.is_empty() {
        return vec!["项目".to_string()];
    }
    (0..table.dims.len())
        .map(|i| {
            table
                .dim_titles
                .get(i)
                .filter(|t| !t.is_empty())
                .unwrap_or(&table.dims[i])
                .clone()
        })
        .collect()
}

type Values<'a> = HashMap<(i32, &'a Key, usize), Option<MetricValue>>;

/// The period shown for each year of a wide table: annual rows, or the latest month of the
/// latest year where that year has it (like-for-like), else the year's own latest month; with
/// the keys in order and the values of those periods.
fn wide_data(table: &TableResult) -> (Vec<(i32, Option<u32>)>, Vec<Key>, Values<'_>) {
    let mut months: BTreeMap<i32, BTreeSet<Option<u32>>> = BTreeMap::new();
    for r in &table.rows {
        months.entry(r.year).or_default().insert(r.month);
    }
    let latest_month = months
        .values()
        .next_back()
        .and_then(|s| s.iter().flatten().max().copied());
    let periods: Vec<(i32, Option<u32>)> = months
        .iter()
        .map(|(&y, set)| {
            let own_max = set.iter().flatten().max().copied();
            let m = match (latest_month, own_max) {
                (_, None) => None,
                (Some(l), Some(_)) if set.contains(&Some(l)) => Some(l),
                (_, own) => own,
            };
            (y, m)
        })
        .collect();
    let chosen: HashMap<i32, Option<u32>> = periods.iter().copied().collect();
    let selected: Vec<&AggRow> = table
        .rows
        .iter()
        .filter(|r| chosen.get(&r.year) == Some(&r.month))
        .collect();
    let keys = key_order(selected.iter().copied());
    let mut values: Values = HashMap::new();
    for r in selected {
        values.insert((r.year, &r.key, r.metric), r.value);
    }
    (periods, keys, values)
}

/// How many periods a printed wide table shows: the latest and the one its 同比 compares
/// with, as a bulletin prints them. The data grid keeps every year.
pub const PRINTED_PERIODS: usize = 2;

/// The periods a grid shows.
fn shown(mut periods: Vec<(i32, Option<u32>)>, mode: Mode) -> Vec<(i32, Option<u32>)> {
    if mode == Mode::Print {
        periods.drain(..periods.len().saturating_sub(PRINTED_PERIODS));
    }
    periods
}

fn wide(table: &TableResult, style: MonthStyle, mode: Mode) -> Grid {
    let (periods, keys, values) = wide_data(table);
    let periods = shown(periods, mode);
    let parents = derived_from(&table.metrics);
    let latest_year = periods.last().map(|p| p.0);
    // Columns: (metric, year) pairs. Printed, a table of several periods has a band per
    // measure over its periods and derived columns; one of a single period has that period
    // over every measure.
    let mut columns: Vec<(usize, i32)> = Vec::new();
    let mut headers = dim_headers(table);
    let mut bands = Vec::new();
    let key_columns = headers.len();
    let one_period = periods.len() == 1;
    for (b, def) in table.metrics.iter().enumerate() {
        if parents[b].is_some() {
            continue;
        }
        let first = headers.len();
        let suffix = unit_suffix(def.kind, table.unit);
        for &(y, m) in &periods {
            columns.push((b, y));
            headers.push(match (mode, one_period) {
                (Mode::Data, _) => format!("{}{}{suffix}", style.year_label(y, m), def.name),
                (Mode::Print, true) => format!("{}{suffix}", def.name),
                (Mode::Print, false) => style.year_label(y, m),
            });
        }
        if let Some(ly) = latest_year {
            for (d, ddef) in table.metrics.iter().enumerate() {
                if parents[d] == Some(b) {
                    columns.push((d, ly));
                    headers.push(match (mode, one_period) {
                        (Mode::Print, false) => derived_label(ddef, def, table.unit),
                        _ => format!("{}{}", ddef.name, unit_suffix(ddef.kind, table.unit)),
                    });
                }
            }
        }
        if mode == Mode::Print && !one_period {
            bands.push(Band {
                label: format!("{}{suffix}", def.name),
                first,
                span: headers.len() - first,
            });
        }
    }
    if let (Mode::Print, true, Some(&(y, m))) = (mode, one_period, periods.first()) {
        bands.push(Band {
            label: style.year_label(y, m),
            first: key_columns,
            span: headers.len() - key_columns,
        });
    }

    let mut rows = Vec::with_capacity(keys.len());
    let mut total_rows = Vec::with_capacity(keys.len());
    for key in &keys {
        let mut row = key_cells(key, key_columns);
        for &(metric, year) in &columns {
            let v = values.get(&(year, key, metric)).copied().flatten();
            row.push(mode.cell(&table.metrics[metric], v, table.unit));
        }
        rows.push(row);
        total_rows.push(key.is_none());
    }
    Grid {
        headers,
        bands,
        rows,
        key_columns,
        total_rows,
    }
}

impl Mode {
    fn cell(self, def: &MetricDef, value: Option<MetricValue>, unit: MoneyUnit) -> CellOut {
        match self {
            Mode::Data => cell(def, value, unit),
            Mode::Print => print_cell(def, value, unit),
        }
    }
}

/// A wide table without dimensions, printed: its measures down the rows
/// (`指标 | 单位 | 2021年 | 2022年 | 同比增长(%)`), a derived column per kind of derived metric.
fn indicators(table: &TableResult, style: MonthStyle) -> Grid {
    let (periods, _, values) = wide_data(table);
    let periods = shown(periods, Mode::Print);
    let parents = derived_from(&table.metrics);
    let latest_year = periods.last().map(|p| p.0);
    let mut headers = vec!["指标".to_string(), "单位".to_string()];
    headers.extend(periods.iter().map(|&(y, m)| style.year_label(y, m)));
    // Derived columns by label, in order of first appearance.
    let mut derived: Vec<String> = Vec::new();
    for (d, def) in table.metrics.iter().enumerate() {
        if let Some(b) = parents[d] {
            let label = derived_label(def, &table.metrics[b], table.unit);
            if !derived.contains(&label) {
                derived.push(label);
            }
        }
    }
    headers.extend(derived.iter().cloned());
    let total: Key = None;
    let mut rows = Vec::new();
    for (b, def) in table.metrics.iter().enumerate() {
        if parents[b].is_some() {
            continue;
        }
        let mut row = vec![
            CellOut::Text(def.name.clone()),
            match unit_of(def, table.unit) {
                u if u.is_empty() => CellOut::Empty,
                u => CellOut::Text(u),
            },
        ];
        for &(y, _) in &periods {
            let v = values.get(&(y, &total, b)).copied().flatten();
            row.push(print_cell(def, v, table.unit));
        }
        for label in &derived {
            let d = (0..table.metrics.len()).find(|&d| {
                parents[d] == Some(b) && &derived_label(&table.metrics[d], def, table.unit) == label
            });
            row.push(match (d, latest_year) {
                (Some(d), Some(y)) => {
                    let v = values.get(&(y, &total, d)).copied().flatten();
                    print_cell(&table.metrics[d], v, table.unit)
                }
                _ => CellOut::Empty,
            });
        }
        rows.push(row);
    }
    let total_rows = vec![false; rows.len()];
    Grid {
        headers,
        bands: Vec::new(),
        rows,
        key_columns: 2,
        total_rows,
    }
}

fn long(table: &TableResult, style: MonthStyle, mode: Mode) -> Grid {
    let has_months = table.rows.iter().any(|r| r.month.is_some());
    // The data grid has a year and an integer month; the printed one a 时期 label.
    let mut headers = match mode {
        Mode::Data => vec!["年份".to_string()],
        Mode::Print => vec!["时期".to_string()],
    };
    if has_months && mode == Mode::Data {
        headers.push("月份".to_string());
    }
    let ndims = table.dims.len();
    if ndims > 0 {
        headers.extend(dim_headers(table));
    }
    let key_columns = headers.len();
    for def in &table.metrics {
        headers.push(format!("{}{}", def.name, unit_suffix(def.kind, table.unit)));
    }

    // Group by (year, month) in row order, keys in order of appearance within the group.
    type Group<'a> = ((i32, Option<u32>), Vec<&'a AggRow>);
    let mut groups: Vec<Group> = Vec::new();
    for r in &table.rows {
        match groups.iter_mut().find(|g| g.0 == (r.year, r.month)) {
            Some(g) => g.1.push(r),
            None => groups.push(((r.year, r.month), vec![r])),
        }
    }
    groups.sort_by_key(|g| g.0);

    let mut rows = Vec::new();
    let mut total_rows = Vec::new();
    for ((year, month), group) in &groups {
        let keys = key_order(group.iter().copied());
        for key in &keys {
            let mut row = match mode {
                Mode::Data => vec![CellOut::Text(year.to_string())],
                Mode::Print => vec![CellOut::Text(style.year_label(*year, *month))],
            };
            if has_months && mode == Mode::Data {
                row.push(match month {
                    None => CellOut::Empty,
                    Some(m) => CellOut::Text(m.to_string()),
                });
            }
            if ndims > 0 {
                row.extend(key_cells(key, ndims));
            }
            for (i, def) in table.metrics.iter().enumerate() {
                let v = group
                    .iter()
                    .find(|r| &r.key == key && r.metric == i)
                    .and_then(|r| r.value);
                row.push(mode.cell(def, v, table.unit));
            }
            rows.push(row);
            total_rows.push(key.is_none());
        }
    }
    Grid {
        headers,
        bands: Vec::new(),
        rows,
        key_columns,
        total_rows,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::aggregate::{AggRow, MetricDef, MetricKind, MetricValue, TableResult};

    fn def(name: &str, kind: MetricKind, decimals: u8) -> MetricDef {
        MetricDef {
            name: name.to_string(),
            kind,
            decimals,
            unit: String::new(),
        }
    }

    fn row(
        year: i32,
        month: Option<u32>,
        key: Option<&[&str]>,
        metric: usize,
        value: Option<MetricValue>,
    ) -> AggRow {
        AggRow {
            year,
            month,
            key: key.map(|k| k.iter().map(|s| s.to_string()).collect()),
            metric,
            value,
        }
    }

    /// Annual, wide, by 建设性质, with growth and share.
    pub(crate) fn annual_wide() -> TableResult {
        use MetricValue::*;
        let metrics = vec![
            def("项目个数", MetricKind::Count, 0),
            def("总投资", MetricKind::Money, 4),
            def("项目个数同比", MetricKind::Percent, 2),
            def("总投资同比", MetricKind::Percent, 2),
            def("总投资构成", MetricKind::Percent, 2),
        ];
        let mut rows = Vec::new();
        let xu: &[&str] = &["续建"];
        let xin: &[&str] = &["新建"];
        // 2021
        rows.push(row(2021, None, None, 0, Some(Int(50))));
        rows.push(row(2021, None, None, 1, Some(Fen(100_000_000_000))));
        rows.push(row(2021, None, None, 2, None));
        rows.push(row(2021, None, None, 3, None));
        rows.push(row(2021, None, None, 4, Some(Float(100.0))));
        rows.push(row(2021, None, Some(xu), 0, Some(Int(30))));
        rows.push(row(2021, None, Some(xu), 1, Some(Fen(60_000_000_050))));
        rows.push(row(2021, None, Some(xu), 2, None));
        rows.push(row(2021, None, Some(xu), 3, None));
        rows.push(row(2021, None, Some(xu), 4, Some(Float(60.000005))));
        rows.push(row(2021, None, Some(xin), 0, Some(Int(20))));
        rows.push(row(2021, None, Some(xin), 1, Some(Fen(39_999_999_950))));
        rows.push(row(2021, None, Some(xin), 2, None));
        rows.push(row(2021, None, Some(xin), 3, None));
        rows.push(row(2021, None, Some(xin), 4, Some(Float(39.999995))));
        // 2022
        rows.push(row(2022, None, None, 0, Some(Int(55))));
        rows.push(row(2022, None, None, 1, Some(Fen(117_300_000_000))));
        rows.push(row(2022, None, None, 2, Some(Float(10.0))));
        rows.push(row(2022, None, None, 3, Some(Float(17.3))));
        rows.push(row(2022, None, None, 4, Some(Float(100.0))));
        rows.push(row(2022, None, Some(xu), 0, Some(Int(38))));
        rows.push(row(2022, None, Some(xu), 1, Some(Fen(70_000_000_000))));
        rows.push(row(
            2022,
            None,
            Some(xu),
            2,
            Some(Float(26.666666666666668)),
        ));
        rows.push(row(2022, None, Some(xu), 3, Some(Float(16.66666666))));
        rows.push(row(2022, None, Some(xu), 4, Some(Float(59.676044))));
        rows.push(row(2022, None, Some(xin), 0, Some(Int(17))));
        rows.push(row(2022, None, Some(xin), 1, Some(Fen(47_300_000_000))));
        rows.push(row(2022, None, Some(xin), 2, Some(Float(-15.0))));
        rows.push(row(2022, None, Some(xin), 3, Some(Float(18.250000001))));
        rows.push(row(2022, None, Some(xin), 4, Some(Float(40.323956))));
        TableResult {
            name: "projects_by_nature".into(),
            title: "5000万元以上项目情况".into(),
            unit: MoneyUnit::Wanyuan,
            dims: vec!["nature".into()],
            dim_titles: vec!["建设性质".into()],
            metrics,
            rows,
            wide: true,
            warnings: Vec::new(),
            ytd: None,
        }
    }

    /// Totals only, annual, wide; 亿元.
    pub(crate) fn totals_only() -> TableResult {
        use MetricValue::*;
        TableResult {
            name: "bonds".into(),
            title: "专项债券".into(),
            unit: MoneyUnit::Yiyuan,
            dims: vec![],
            dim_titles: vec![],
            metrics: vec![
                def("项目数", MetricKind::Count, 0),
                def("金额", MetricKind::Money, 2),
            ],
            rows: vec![
                row(2022, None, None, 0, Some(Int(9))),
                row(2022, None, None, 1, Some(Fen(117_300_000_000))),
            ],
            wide: true,
            warnings: Vec::new(),
            ytd: None,
        }
    }

    /// Year-to-date, long, by 类型 (keys with a comma and a quote), two months in 2023.
    pub(crate) fn ytd_long() -> TableResult {
        use MetricValue::*;
        let a: &[&str] = &["补助,房租"];
        let b: &[&str] = &["奖励\"区级\""];
        TableResult {
            name: "subsidies".into(),
            title: "补贴资金".into(),
            unit: MoneyUnit::Wanyuan,
            dims: vec!["kind".into()],
            dim_titles: vec!["类型".into()],
            metrics: vec![
                def("户数", MetricKind::Count, 0),
                def("金额", MetricKind::Money, 2),
                def("达标率", MetricKind::Percent, 2),
            ],
            rows: vec![
                row(2022, Some(12), None, 0, Some(Int(35913))),
                row(2022, Some(12), None, 1, Some(Fen(4_207_000_000))),
                row(2022, Some(12), None, 2, Some(Float(64.185))),
                row(2022, Some(12), Some(a), 0, Some(Int(35903))),
                row(2022, Some(12), Some(a), 1, Some(Fen(1_837_000_000))),
                row(2022, Some(12), Some(a), 2, Some(Float(-0.00001))),
                row(2022, Some(12), Some(b), 0, Some(Int(10))),
                row(2022, Some(12), Some(b), 1, Some(Fen(2_370_000_000))),
                row(2022, Some(12), Some(b), 2, None),
                row(2023, Some(3), None, 0, Some(Int(120))),
                row(2023, Some(3), None, 1, Some(Fen(12_345_678))),
                row(2023, Some(3), None, 2, Some(Float(50.0))),
            ],
            wide: false,
            warnings: Vec::new(),
            ytd: Some(true),
        }
    }

    fn texts(row: &[CellOut]) -> Vec<&str> {
        row.iter().map(CellOut::text).collect()
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(fixed(0.125, 2), "0.13");
        assert_eq!(fixed(-0.125, 2), "-0.13");
        assert_eq!(fixed(2.5, 0), "3");
        assert_eq!(fixed(64.185, 2), "64.19"); // 64.185 is stored just above the tie
        assert_eq!(fixed(1.0005, 3), "1.000"); // stored just below the tie
        assert_eq!(fixed(-0.00001, 4), "0.0000");
        assert_eq!(fixed(-0.0, 2), "0.00");
        assert_eq!(fixed(17.3, 4), "17.3000");
        assert_eq!(fixed(1e20, 1), "100000000000000000000.0");
    }

    #[test]
    fn derived_metrics_are_found() {
        let t = annual_wide();
        assert_eq!(
            derived_from(&t.metrics),
            vec![None, None, Some(0), Some(1), Some(1)]
        );
        let m = vec![
            def("金额", MetricKind::Money, 2),
            def("金额同比增减", MetricKind::Money, 2),
            def("同比", MetricKind::Percent, 1),
        ];
        assert_eq!(derived_from(&m), vec![None, Some(0), None]);
    }

    #[test]
    fn wide_grid() {
        let g = display(&annual_wide());
        assert_eq!(
            g.headers,
            vec![
                "建设性质",
                "2021年项目个数",
                "2022年项目个数",
                "项目个数同比(%)",
                "2021年总投资(万元)",
                "2022年总投资(万元)",
                "总投资同比(%)",
                "总投资构成(%)",
            ]
        );
        assert!(g.bands.is_empty());
        assert_eq!(g.key_columns, 1);
        assert_eq!(g.total_rows, vec![true, false, false]);
        // The data grid keeps full precision: money exact to the fen, floats whole.
        assert_eq!(
            texts(&g.rows[0]),
            vec!["合计", "50", "55", "10", "100000", "117300", "17.3", "100"]
        );
        assert_eq!(
            texts(&g.rows[1]),
            vec![
                "续建",
                "30",
                "38",
                "26.666666666666668",
                "60000.00005",
                "70000",
                "16.66666666",
                "59.676044"
            ]
        );
        assert_eq!(texts(&g.rows[2])[4], "39999.99995");
    }

    #[test]
    fn printed_wide_grid_has_a_band_per_measure_over_its_periods() {
        let g = print(&annual_wide());
        assert_eq!(
            g.headers,
            vec![
                "建设性质",
                "2021年",
                "2022年",
                "同比增长(%)",
                "2021年",
                "2022年",
                "同比增长(%)",
                "构成(%)",
            ]
        );
        assert_eq!(
            g.bands,
            vec![
                Band {
                    label: "项目个数".into(),
                    first: 1,
                    span: 3
                },
                Band {
                    label: "总投资(万元)".into(),
                    first: 4,
                    span: 4
                },
            ]
        );
        // Money to its decimals with thousands separators; percentages to theirs.
        assert_eq!(
            texts(&g.rows[0]),
            vec![
                "合计",
                "50",
                "55",
                "10.00",
                "100,000.0000",
                "117,300.0000",
                "17.30",
                "100.00"
            ]
        );
        assert_eq!(texts(&g.rows[1])[4], "60,000.0001");
        assert_eq!(
            g.rows[0][5],
            CellOut::Number {
                value: 117300.0,
                text: "117,300.0000".into(),
                kind: MetricKind::Money,
                decimals: 4
            }
        );
    }

    #[test]
    fn printed_grid_of_one_period_has_the_period_over_its_measures() {
        let mut t = annual_wide();
        t.rows.retain(|r| r.year == 2022);
        let g = print(&t);
        assert_eq!(
            g.headers[1..],
            [
                "项目个数",
                "项目个数同比(%)",
                "总投资(万元)",
                "总投资同比(%)",
                "总投资构成(%)"
            ]
        );
        assert_eq!(
            g.bands,
            vec![Band {
                label: "2022年".into(),
                first: 1,
                span: 5
            }]
        );
    }

    #[test]
    fn printed_grid_shows_the_latest_two_periods() {
        let mut t = annual_wide();
        for r in t.rows.clone().iter().filter(|r| r.year == 2021) {
            let mut r = r.clone();
            r.year = 2020;
            t.rows.insert(0, r);
        }
        assert_eq!(display(&t).headers[1], "2020年项目个数");
        let g = print(&t);
        assert_eq!(g.headers[1..4], ["2021年", "2022年", "同比增长(%)"]);
    }

    #[test]
    fn a_table_without_dimensions_lists_its_measures_down_the_rows() {
        use MetricValue::*;
        let mut t = totals_only();
        t.metrics.push(def("金额同比", MetricKind::Percent, 1));
        t.metrics[0].unit = "个".into();
        t.rows = vec![
            row(2021, None, None, 0, Some(Int(8))),
            row(2021, None, None, 1, Some(Fen(100_000_000_000))),
            row(2021, None, None, 2, None),
            row(2022, None, None, 0, Some(Int(1234))),
            row(2022, None, None, 1, Some(Fen(117_300_000_000))),
            row(2022, None, None, 2, Some(Float(17.3))),
        ];
        let g = print(&t);
        assert_eq!(
            g.headers,
            vec!["指标", "单位", "2021年", "2022年", "同比增长(%)"]
        );
        assert_eq!(g.key_columns, 2);
        assert!(g.bands.is_empty());
        assert_eq!(texts(&g.rows[0]), vec!["项目数", "个", "8", "1,234", ""]);
        assert_eq!(
            texts(&g.rows[1]),
            vec!["金额", "亿元", "10.00", "11.73", "17.3"]
        );
        assert_eq!(g.rows.len(), 2);
        // The data grid keeps one row and a column per value.
        assert_eq!(display(&t).rows.len(), 1);
    }

    #[test]
    fn totals_only_grid() {
        let g = display(&totals_only());
        assert_eq!(g.headers, vec!["项目", "2022年项目数", "2022年金额(亿元)"]);
        assert_eq!(g.rows.len(), 1);
        assert_eq!(texts(&g.rows[0]), vec!["合计", "9", "11.73"]);
    }

    #[test]
    fn ytd_grids() {
        let t = ytd_long();
        let g = display(&t);
        assert_eq!(
            g.headers,
            vec!["年份", "月份", "类型", "户数", "金额(万元)", "达标率(%)"]
        );
        assert_eq!(g.key_columns, 3);
        assert_eq!(g.rows.len(), 4);
        // The month is a whole number in the data grid.
        assert_eq!(
            texts(&g.rows[0]),
            vec!["2022", "12", "合计", "35913", "4207", "64.185"]
        );
        assert_eq!(
            texts(&g.rows[3]),
            vec!["2023", "3", "合计", "120", "12.345678", "50"]
        );
        assert_eq!(g.total_rows, vec![true, false, false, true]);

        // Printed: one 时期 column labelled 1—N月.
        let g = print(&t);
        assert_eq!(
            g.headers,
            vec!["时期", "类型", "户数", "金额(万元)", "达标率(%)"]
        );
        assert_eq!(
            texts(&g.rows[0]),
            vec!["2022年1—12月", "合计", "35,913", "4,207.00", "64.19"]
        );
        assert_eq!(texts(&g.rows[1])[4], "0.00");
        assert_eq!(texts(&g.rows[3])[0], "2023年1—3月");

        let mut w = t.clone();
        w.wide = true;
        let g = display(&w);
        assert_eq!(
            g.headers,
            vec![
                "类型",
                "2022年1—12月户数",
                "2023年1—3月户数",
                "2022年1—12月金额(万元)",
                "2023年1—3月金额(万元)",
                "2022年1—12月达标率(%)",
                "2023年1—3月达标率(%)"
            ]
        );

        // Several months in a year of a 1—N月 table are still 1—N月.
        let mut m = w.clone();
        m.rows
            .push(row(2023, Some(2), None, 0, Some(MetricValue::Int(40))));
        let g = display(&m);
        assert_eq!(g.headers[2], "2023年1—3月户数");
        // A table of single months says so.
        m.ytd = Some(false);
        let g = display(&m);
        assert_eq!(g.headers[1], "2022年12月户数");
        assert_eq!(g.headers[2], "2023年3月户数");
        assert_eq!(texts(&g.rows[0])[2], "120");
    }
}

//! Wide tables as downloaded from statistics portals: periods across the header row with
//! indicators or regions down the first column, or periods down the first column with one
//! series per column. Tried on sheets no dataset claims; unpivoted into one point per
//! (series, period).

use super::layout::{Grid, HEADER_SCAN_ROWS};
use super::periods_wide::{parse_period_cell, Frequency, PeriodKey};
use super::rows::{is_note_label, is_total_label};
use super::value::{cell_text, clean_number_text};
use super::SkipReason;
use crate::config::normalize::squeeze;
use crate::model::column_letter;
use calamine::Data;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Texts that stand for a missing figure in published tables; the symbol is kept.
const MISSING: [&str; 12] = [
    "…", "...", "……", "-", "--", "—", "——", "－", "–", "一", "/", "x",
];
/// Label-column headers that name regions rather than indicators.
const REGION_WORDS: [&str; 5] = ["地区", "地区名称", "省份", "地区/省份", "城市"];
const UNIT_WORDS: [&str; 3] = ["单位", "计量单位", "单位名称"];
/// Label headers that mark a table even with a single period column.
const LABEL_WORDS: [&str; 7] = [
    "指标",
    "指标名称",
    "地区",
    "地区名称",
    "项目",
    "省份",
    "行业",
];
/// Warnings about odd value cells are listed up to this many per sheet, then counted.
const MAX_CELL_WARNINGS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    PeriodsInColumns,
    PeriodsInRows,
}

impl Orientation {
    pub fn as_str(self) -> &'static str {
        match self {
            Orientation::PeriodsInColumns => "periods in columns",
            Orientation::PeriodsInRows => "periods in rows",
        }
    }
}

/// What a row stands for in a published table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Item,
    /// 合计 / 总计 rows.
    Total,
    /// `#`-marked 其中 rows: part of another row, never to be added into a total.
    Breakdown,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Item => "item",
            Role::Total => "total",
            Role::Breakdown => "breakdown",
        }
    }
}

/// One value of a wide table, in long form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// 0-based row and column of the value cell.
    pub row: u32,
    pub col: u32,
    pub indicator: String,
    pub region: Option<String>,
    pub unit: Option<String>,
    /// The period as written in the table.
    pub period: String,
    pub key: PeriodKey,
    pub value: Option<f64>,
    /// For a missing value, what the cell held ("" for an empty cell).
    pub symbol: Option<String>,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WideTable {
    pub orientation: Orientation,
    /// 0-based header rows.
    pub header_first: u32,
    pub header_last: u32,
    /// `数据库：…`, `指标：…`, `地区：…`, `时间：…` lines, in order; other title lines under `标题`.
    pub metadata: Vec<(String, String)>,
    /// `注：…`, numbered notes and `数据来源：…` lines below the table.
    pub footer: Vec<String>,
    /// 当期, 同比, 累计 or 环比, from the sheet name or its title lines.
    pub variant: String,
    /// Distinct periods as written, in the order met.
    pub periods: Vec<String>,
    /// Series labels (row labels, or column headers when periods run down), in order.
    pub labels: Vec<String>,
    pub series: usize,
    pub points: Vec<Point>,
    /// From the workbook's metadata sheet, per series that it lists.
    #[serde(default)]
    pub series_notes: Vec<SeriesNote>,
}

/// What the metadata sheet of a database export says about one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesMeta {
    /// The metadata sheet and its 0-based row.
    pub sheet: String,
    pub row: u32,
    pub indicator: String,
    pub region: Option<String>,
    /// 频度 as written (月, 季, 年).
    pub frequency: Option<String>,
    pub unit: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
}

/// Source and notes joined to the series of a table from the metadata sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesNote {
    pub indicator: String,
    pub region: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
}

impl WideTable {
    /// The `数据来源：…` line below the table, without its key.
    pub fn source(&self) -> Option<String> {
        self.footer.iter().find_map(|l| source_line(l))
    }

    /// The `注：…` and numbered notes below the table, on one line; rows below the table that
    /// are neither (an analyst's averages) are not notes.
    pub fn notes(&self) -> Option<String> {
        let notes: Vec<&str> = self
            .footer
            .iter()
            .filter(|l| {
                source_line(l).is_none() && (is_note_label(&squeeze(l)) || is_numbered_note(l))
            })
            .map(String::as_str)
            .collect();
        (!notes.is_empty()).then(|| notes.join(" "))
    }

    /// The metadata sheet's source and notes for a series, where it has them.
    pub fn series_note(&self, indicator: &str, region: Option<&str>) -> Option<&SeriesNote> {
        self.series_notes
            .iter()
            .find(|n| n.indicator == indicator && n.region.as_deref() == region)
    }
}

fn source_line(line: &str) -> Option<String> {
    let s = squeeze(line);
    ["数据来源", "资料来源", "来源"].iter().find_map(|k| {
        let rest = s.strip_prefix(k)?;
        rest.starts_with([':', '：']).then(|| {
            let (_, v) = line.split_once([':', '：']).unwrap_or(("", line));
            one_line(v)
        })
    })
}

/// What reading a sheet's wide tables gives: the tables, the row accounting and warnings.
pub struct WideOutcome {
    pub tables: Vec<WideTable>,
    pub kept: u64,
    pub skipped: BTreeMap<SkipReason, u64>,
    pub warnings: Vec<String>,
}

/// One table, and the row where another part of the sheet starts, if it stopped early.
struct One {
    table: WideTable,
    kept: u64,
    skipped: BTreeMap<SkipReason, u64>,
    warnings: Vec<String>,
    next: Option<u32>,
    /// First column of another table beside this one (its rows are this table's rows).
    right: Option<u32>,
}

/// Finds and unpivots the wide tables of a sheet (several may be stacked, e.g. a transposed
/// copy under the first), or None when the sheet holds none.
pub fn read(grid: &Grid, sheet: &str) -> Option<WideOutcome> {
    let first = read_one(grid, sheet)?;
    let mut out = WideOutcome {
        tables: Vec::new(),
        kept: 0,
        skipped: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let mut part = Some(first);
    while let Some(one) = part.take() {
        out.kept += one.kept;
        for (k, v) in one.skipped {
            *out.skipped.entry(k).or_insert(0) += v;
        }
        out.warnings.extend(one.warnings);
        let top = one.table.header_first;
        out.tables.push(one.table);
        if let Some(right) = one.right {
            // Beside tables share the rows already counted: only their values are added.
            let beside = Grid {
                range: grid.range,
                merges: grid.merges,
                uncached: grid.uncached,
                first_row: top,
                last_row: one.next.map_or(grid.last_row, |n| n - 1),
                first_col: right,
                last_col: grid.last_col,
            };
            if let Some(b) = read_one(&beside, sheet) {
                out.warnings.extend(b.warnings);
                out.tables.push(b.table);
            }
        }
        let Some(next) = one.next.filter(|&n| n <= grid.last_row) else {
            break;
        };
        let rest = Grid {
            range: grid.range,
            merges: grid.merges,
            uncached: grid.uncached,
            first_row: next,
            last_row: grid.last_row,
            first_col: grid.first_col,
            last_col: grid.last_col,
        };
        part = read_one(&rest, sheet);
        if part.is_none() {
            // Whatever follows is not a table: kept as notes of the last one.
            let mut lines = 0;
            for r in next..=grid.last_row {
                if row_is_blank(grid, r) {
                    add(&mut out.skipped, SkipReason::Blank);
                } else {
                    add(&mut out.skipped, SkipReason::Note);
                    lines += 1;
                    if let Some(t) = out.tables.last_mut() {
                        t.footer.push(one_line(&grid.row_texts(r).join(" ")));
                    }
                }
            }
            if lines > 0 {
                out.warnings.push(crate::i18n::t!(
                    "wide.footer",
                    v = next + 1,
                    v2 = grid.last_row + 1,
                    lines = lines
                ));
            }
        }
    }
    Some(out)
}

fn read_one(grid: &Grid, sheet: &str) -> Option<One> {
    read_columns(grid, sheet).or_else(|| read_rows(grid, sheet))
}

fn trimmed(s: &str) -> String {
    super::value::trim(s).to_string()
}

/// A footer or title line as shown: a line break typed inside the cell (and the spaces
/// around it) becomes one space.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Option<bool> = None;
    for c in super::value::trim(s).chars() {
        if c.is_whitespace() || c == '\u{3000}' {
            let brk = matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
            pending = Some(pending.unwrap_or(false) | brk);
            if !brk {
                out.push(c);
            }
            continue;
        }
        if pending.take() == Some(true) {
            // Spaces before the break are dropped with it.
            while out.ends_with(|c: char| c.is_whitespace() || c == '\u{3000}') {
                out.pop();
            }
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A unit as written in a 单位 row, column or metadata; `-` and other missing-value symbols
/// mean the series has none.
fn unit_text(s: &str) -> Option<String> {
    let t = trimmed(s);
    (!t.is_empty() && !MISSING.contains(&t.as_str())).then_some(t)
}

/// `key：value` lines of portal exports.
fn metadata_line(text: &str) -> Option<(String, String)> {
    let (k, v) = text.split_once(['：', ':'])?;
    let k = squeeze(k);
    (!k.is_empty() && k.chars().count() <= 6).then(|| (k, one_line(v)))
}

/// `地区生产总值(亿元)` -> (`地区生产总值`, `亿元`); a `(1978年=100)` base stays in the name.
fn split_unit(label: &str) -> (String, Option<String>) {
    let s = trimmed(label);
    for (open, close) in [('(', ')'), ('（', '）')] {
        if let Some(body) = s.strip_suffix(close) {
            if let Some(i) = body.rfind(open) {
                let unit = trimmed(&body[i + open.len_utf8()..]);
                if !unit.is_empty() && !unit.contains('=') && unit.chars().count() <= 8 {
                    return (trimmed(&body[..i]), Some(unit));
                }
            }
        }
    }
    (s, None)
}

/// 同比 / 累计 / 环比 / 当期 from the sheet name, else the title lines.
fn variant(sheet: &str, titles: &[(String, String)]) -> String {
    let texts = std::iter::once(sheet.to_string()).chain(titles.iter().map(|(_, v)| v.clone()));
    for t in texts {
        for w in ["同比", "累计", "环比"] {
            if t.contains(w) {
                return w.to_string();
            }
        }
    }
    "当期".to_string()
}

/// A numbered footnote such as `2.2018年数据为…` or `（1）…`.
fn is_numbered_note(label: &str) -> bool {
    let s = squeeze(label);
    let digits = s.chars().take_while(|c| c.is_ascii_digit()).count();
    (1..=2).contains(&digits)
        && matches!(s.chars().nth(digits), Some('.' | '、' | ')'))
        && s.chars().count() > digits + 4
        || s.starts_with('(') && s.chars().nth(1).is_some_and(|c| c.is_ascii_digit())
}

/// Role and clean label of a row label: `#` marks 其中; footnote marks are dropped.
fn role_of(label: &str) -> (Role, String) {
    let t = trimmed(label);
    let (breakdown, t) = match t.strip_prefix(['#', '＃']) {
        Some(rest) => (true, trimmed(rest)),
        None => (false, t),
    };
    let t = t
        .trim_end_matches(|c: char| c == '*' || c == '＊' || ('①'..='⑳').contains(&c))
        .to_string();
    let role = if breakdown {
        Role::Breakdown
    } else if is_total_label(&squeeze(&t)) {
        Role::Total
    } else {
        Role::Item
    };
    (role, t)
}

enum Cell {
    Value(f64),
    Missing(String),
    /// Kept as missing with its text, and reported.
    Odd(String),
}

fn value_cell(cell: &Data) -> Cell {
    match cell {
        Data::Empty => Cell::Missing(String::new()),
        Data::Int(i) => Cell::Value(*i as f64),
        Data::Float(f) if f.is_finite() => Cell::Value(*f),
        Data::Float(f) => Cell::Odd(f.to_string()),
        Data::String(s) => {
            let t = trimmed(s);
            if t.is_empty() || MISSING.contains(&t.as_str()) {
                return Cell::Missing(t);
            }
            match clean_number_text(&t) {
                Ok(Some((n, _))) => n.parse().map(Cell::Value).unwrap_or(Cell::Odd(t)),
                Ok(None) => Cell::Missing(t),
                Err(_) => Cell::Odd(t),
            }
        }
        Data::Bool(_)
        | Data::Error(_)
        | Data::DateTime(_)
        | Data::DateTimeIso(_)
        | Data::DurationIso(_) => Cell::Odd(cell_text(cell)),
    }
}

struct Collector {
    points: Vec<Point>,
    warnings: Vec<String>,
    odd: usize,
}

impl Collector {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        grid: &Grid,
        row: u32,
        col: u32,
        series: (&str, Option<&str>, Option<&str>),
        period: (&str, PeriodKey),
        role: Role,
        variant: &str,
    ) {
        let (value, symbol) = match value_cell(grid.get(row, col)) {
            Cell::Value(v) => (Some(v), None),
            Cell::Missing(s) => (None, Some(s)),
            Cell::Odd(s) => {
                self.odd += 1;
                if self.odd <= MAX_CELL_WARNINGS {
                    self.warnings.push(crate::i18n::t!(
                        "wide.odd_cell",
                        v = column_letter(col),
                        v2 = row + 1,
                        v3 = series.0,
                        v4 = period.0,
                        s = s
                    ));
                }
                (None, Some(s))
            }
        };
        let (indicator, unit_in_label) = split_unit(series.0);
        let mut key = period.1;
        key.cumulative |= variant == "累计" || indicator.contains("累计");
        self.points.push(Point {
            row,
            col,
            indicator,
            region: series.1.map(str::to_string),
            unit: series
                .2
                .map(str::to_string)
                .or_else(|| unit_in_label.as_deref().and_then(unit_text)),
            period: period.0.to_string(),
            key,
            value,
            symbol,
            role,
        });
    }

    fn finish(&mut self) {
        if self.odd > MAX_CELL_WARNINGS {
            self.warnings.push(crate::i18n::t!(
                "wide.more_odd",
                max_cell_warnings = self.odd - MAX_CELL_WARNINGS
            ));
        }
    }
}

fn add(skipped: &mut BTreeMap<SkipReason, u64>, reason: SkipReason) {
    *skipped.entry(reason).or_insert(0) += 1;
}

fn row_is_blank(grid: &Grid, row: u32) -> bool {
    (grid.first_col..=grid.last_col).all(|c| grid.text(row, c).trim().is_empty())
}

/// Title and metadata lines above the header.
fn read_titles(
    grid: &Grid,
    upto: u32,
    skipped: &mut BTreeMap<SkipReason, u64>,
) -> Vec<(String, String)> {
    let mut meta = Vec::new();
    for r in grid.first_row..upto {
        let texts = grid.row_texts(r);
        if texts.is_empty() {
            add(skipped, SkipReason::Blank);
            continue;
        }
        add(skipped, SkipReason::Title);
        let line = texts.join(" ");
        meta.push(metadata_line(&line).unwrap_or(("标题".to_string(), one_line(&line))));
    }
    meta
}

fn meta_value<'a>(meta: &'a [(String, String)], key: &str) -> Option<&'a str> {
    meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Periods across a header row; labels in the columns to its left.
fn read_columns(grid: &Grid, sheet: &str) -> Option<One> {
    let scan_end = grid.last_row.min(grid.first_row + HEADER_SCAN_ROWS - 1);
    let (header, periods, right) = (grid.first_row..=scan_end).find_map(|r| {
        let mut periods = Vec::new();
        let mut others = 0;
        let mut end = grid.last_col;
        for c in grid.first_col..=grid.last_col {
            let cell = grid.get(r, c);
            let empty = cell_text(cell).trim().is_empty();
            match parse_period_cell(cell) {
                Some(p) if c > grid.first_col => periods.push((c, cell_text(cell), p)),
                // An empty header cell after the periods ends this table's columns.
                _ if empty && !periods.is_empty() => {
                    end = c;
                    break;
                }
                _ if !empty && !periods.is_empty() => others += 1,
                _ => {}
            }
        }
        let first = periods.first()?.0;
        let label = squeeze(&grid.text(r, first - 1).to_string());
        let enough = periods.len() >= 2 || LABEL_WORDS.contains(&label.as_str());
        // Another table side by side, after a gap.
        let right = (end + 1..=grid.last_col).find(|&c| !grid.text(r, c).trim().is_empty());
        (enough && others == 0).then_some((r, periods, right))
    })?;
    let label_cols: Vec<u32> = (grid.first_col..periods[0].0).collect();
    // The label column is the nearest one to the periods with a header, else the first.
    let label_col = label_cols
        .iter()
        .rev()
        .copied()
        .find(|&c| {
            !squeeze(&grid.text(header, c)).is_empty()
                && !UNIT_WORDS.contains(&squeeze(&grid.text(header, c)).as_str())
        })
        .unwrap_or(grid.first_col);
    let label_head = squeeze(&grid.text(header, label_col));
    let unit_col = label_cols
        .iter()
        .copied()
        .find(|&c| UNIT_WORDS.contains(&squeeze(&grid.text(header, c)).as_str()));
    let mut skipped = BTreeMap::new();
    let metadata = read_titles(grid, header, &mut skipped);
    add(&mut skipped, SkipReason::Header);
    let variant = variant(sheet, &metadata);
    let labels_are_regions = REGION_WORDS.contains(&label_head.as_str());
    let mut col = Collector {
        points: Vec::new(),
        warnings: Vec::new(),
        odd: 0,
    };
    // Rows of regions need the indicator from elsewhere: the `指标：` line, else the title
    // line above the table, else the sheet name, said in a warning. Never the label header.
    let named = meta_value(&metadata, "指标").or_else(|| {
        labels_are_regions
            .then(|| meta_value(&metadata, "标题"))
            .flatten()
    });
    let named = match named {
        Some(n) => Some(n.to_string()),
        None if labels_are_regions => {
            col.warnings.push(crate::i18n::t!(
                "wide.sheet_indicator",
                label_head = label_head,
                sheet = sheet
            ));
            Some(sheet.to_string())
        }
        None => None,
    };
    let (meta_indicator, meta_unit) = named
        .as_deref()
        .map(split_unit)
        .map(|(i, u)| (Some(i), u))
        .unwrap_or((None, None));
    let meta_unit = meta_unit
        .as_deref()
        .and_then(unit_text)
        .or_else(|| meta_value(&metadata, "单位").and_then(unit_text));
    let meta_region = meta_value(&metadata, "地区").map(str::to_string);
    let mut footer = Vec::new();
    let mut in_footer = false;
    let mut kept = 0;
    let mut series = 0;
    let mut labels = Vec::new();
    let mut next = None;
    for r in header + 1..=grid.last_row {
        if row_is_blank(grid, r) {
            add(&mut skipped, SkipReason::Blank);
            continue;
        }
        let label_raw = grid.merged_text(r, label_col);
        if LABEL_WORDS.contains(&squeeze(&label_raw).as_str()) {
            // A second header: another table starts here.
            next = Some(r);
            break;
        }
        let all_empty = periods.iter().all(
            |(c, _, _)| matches!(value_cell(grid.get(r, *c)), Cell::Missing(ref s) if s.is_empty()),
        );
        let squeezed = squeeze(&label_raw);
        let text_only =
            all_empty && (in_footer || is_note_label(&squeezed) || is_numbered_note(&label_raw));
        if text_only || (all_empty && label_raw.trim().is_empty()) {
            in_footer = true;
            add(&mut skipped, SkipReason::Note);
            footer.push(one_line(&grid.row_texts(r).join(" ")));
            continue;
        }
        let (role, label) = role_of(&label_raw);
        let unit = unit_col.and_then(|c| unit_text(&grid.text(r, c)));
        let (indicator, region) = if labels_are_regions {
            let name = meta_indicator.clone().unwrap_or_else(|| sheet.to_string());
            (name, Some(label.clone()))
        } else {
            (label.clone(), meta_region.clone())
        };
        let unit = unit.or_else(|| meta_unit.clone());
        kept += 1;
        series += 1;
        labels.push(label.clone());
        for (c, text, key) in &periods {
            col.push(
                grid,
                r,
                *c,
                (&indicator, region.as_deref(), unit.as_deref()),
                (text, *key),
                role,
                &variant,
            );
        }
    }
    col.finish();
    Some(One {
        table: WideTable {
            orientation: Orientation::PeriodsInColumns,
            header_first: header,
            header_last: header,
            metadata,
            footer,
            variant,
            periods: periods.iter().map(|(_, t, _)| t.clone()).collect(),
            labels,
            series,
            points: col.points,
            series_notes: Vec::new(),
        },
        kept,
        skipped,
        warnings: col.warnings,
        next,
        right,
    })
}

/// Header words of the metadata sheet that database exports add beside the data: one row
/// per series with its region, frequency, unit, time span and source.
const CATALOG_INDICATOR: [&str; 2] = ["指标名称", "指标"];
const CATALOG_REGION: [&str; 2] = ["地区名称", "地区"];
const CATALOG_SOURCE: [&str; 3] = ["数据来源", "来源", "资料来源"];
const CATALOG_NOTES: [&str; 5] = ["备注", "注释", "说明", "指标解释", "注"];
const CATALOG_OTHER: [&str; 7] = [
    "地区编码",
    "开始时间",
    "结束时间",
    "更新时间",
    "指标编码",
    "指标代码",
    "频度",
];

/// The metadata sheet read as such: its entries, with the row accounting.
pub struct Catalog {
    pub entries: Vec<SeriesMeta>,
    pub kept: u64,
    pub skipped: BTreeMap<SkipReason, u64>,
}

/// Reads a metadata sheet (a header naming 指标名称 and at least two of 地区/频度/单位/开始时间
/// …), or None when the sheet is not one.
pub fn read_catalog(grid: &Grid, sheet: &str) -> Option<Catalog> {
    let scan_end = grid.last_row.min(grid.first_row + HEADER_SCAN_ROWS - 1);
    let find = |r: u32, words: &[&str]| {
        (grid.first_col..=grid.last_col)
            .find(|&c| words.contains(&squeeze(&grid.text(r, c)).as_str()))
    };
    // A header with periods in it belongs to a table of figures (`指标 | 单位 | 2023年`).
    let has_period = |r: u32| {
        (grid.first_col..=grid.last_col).any(|c| parse_period_cell(grid.get(r, c)).is_some())
    };
    let header = (grid.first_row..=scan_end).find(|&r| {
        find(r, &CATALOG_INDICATOR).is_some() && !has_period(r) && {
            let others = (grid.first_col..=grid.last_col)
                .filter(|&c| {
                    let t = squeeze(&grid.text(r, c));
                    [
                        &CATALOG_REGION[..],
                        &UNIT_WORDS,
                        &CATALOG_SOURCE,
                        &CATALOG_NOTES,
                        &CATALOG_OTHER,
                    ]
                    .iter()
                    .any(|ws| ws.contains(&t.as_str()))
                })
                .count();
            others >= 2
        }
    })?;
    let indicator = find(header, &CATALOG_INDICATOR)?;
    let region = find(header, &CATALOG_REGION);
    let frequency = find(header, &["频度"]);
    let unit = find(header, &UNIT_WORDS);
    let source = find(header, &CATALOG_SOURCE);
    let notes = find(header, &CATALOG_NOTES);
    let mut skipped = BTreeMap::new();
    for r in grid.first_row..header {
        add(
            &mut skipped,
            if row_is_blank(grid, r) {
                SkipReason::Blank
            } else {
                SkipReason::Title
            },
        );
    }
    add(&mut skipped, SkipReason::Header);
    let mut entries = Vec::new();
    for r in header + 1..=grid.last_row {
        let name = trimmed(&grid.text(r, indicator));
        if name.is_empty() {
            add(
                &mut skipped,
                if row_is_blank(grid, r) {
                    SkipReason::Blank
                } else {
                    SkipReason::Note
                },
            );
            continue;
        }
        let text = |c: Option<u32>| {
            c.map(|c| one_line(&grid.text(r, c)))
                .filter(|t| !t.is_empty())
        };
        let (name, unit_in_name) = split_unit(&name);
        entries.push(SeriesMeta {
            sheet: sheet.to_string(),
            row: r,
            indicator: role_of(&name).1,
            region: text(region),
            frequency: text(frequency),
            unit: unit
                .and_then(|c| unit_text(&grid.text(r, c)))
                .or_else(|| unit_in_name.as_deref().and_then(unit_text)),
            source: text(source),
            notes: text(notes),
        });
    }
    Some(Catalog {
        kept: entries.len() as u64,
        entries,
        skipped,
    })
}

/// Joins the metadata sheet's entries to the series of the same workbook's wide tables: a
/// missing unit is filled in (a different one is reported), a declared 季 or 年 relabels
/// monthly periods, and source and notes are kept with the table.
pub fn join_catalog(sheets: &mut [super::SheetReport]) {
    let entries: Vec<SeriesMeta> = sheets
        .iter()
        .flat_map(|s| s.series_meta.iter().cloned())
        .collect();
    if entries.is_empty() {
        return;
    }
    let lookup = |indicator: &str, region: Option<&str>| -> Option<&SeriesMeta> {
        let same: Vec<&SeriesMeta> = entries
            .iter()
            .filter(|e| e.indicator == indicator)
            .collect();
        same.iter()
            .find(|e| e.region.as_deref() == region)
            .or_else(|| (same.len() == 1).then(|| &same[0]))
            .copied()
    };
    for sh in sheets.iter_mut() {
        let mut warnings = Vec::new();
        for t in &mut sh.wide {
            let keys: std::collections::BTreeSet<(String, Option<String>)> = t
                .points
                .iter()
                .map(|p| (p.indicator.clone(), p.region.clone()))
                .collect();
            let mut col = Collector {
                points: std::mem::take(&mut t.points),
                warnings: Vec::new(),
                odd: 0,
            };
            for (ind, reg) in &keys {
                let Some(m) = lookup(ind, reg.as_deref()) else {
                    continue;
                };
                let said = crate::i18n::t!("wide.meta_row", sheet = m.sheet, row = m.row + 1);
                let in_series =
                    |p: &Point| &p.indicator == ind && p.region.as_deref() == reg.as_deref();
                if let Some(u) = &m.unit {
                    let mut other = None;
                    for p in col.points.iter_mut().filter(|p| in_series(p)) {
                        match &p.unit {
                            None => p.unit = Some(u.clone()),
                            Some(own) if own != u => other = Some(own.clone()),
                            Some(_) => {}
                        }
                    }
                    if let Some(own) = other {
                        warnings.push(crate::i18n::t!(
                            "wide.unit_conflict",
                            ind = ind,
                            own = own,
                            u = u,
                            said = said
                        ));
                    }
                }
                if let Some(f) = m.frequency.as_deref().and_then(frequency_word) {
                    declare_frequency(&mut col, in_series, f, ind, &said);
                }
                if m.source.is_some() || m.notes.is_some() {
                    t.series_notes.push(SeriesNote {
                        indicator: ind.clone(),
                        region: reg.clone(),
                        source: m.source.clone(),
                        notes: m.notes.clone(),
                    });
                }
            }
            t.points = col.points;
            warnings.extend(col.warnings);
        }
        sh.warnings.extend(warnings);
    }
}

/// What the first cell of a header row of a periods-down table says it holds.
fn is_header_key(k: &str) -> bool {
    k.starts_with("指标") || k == "频度" || REGION_WORDS.contains(&k) || UNIT_WORDS.contains(&k)
}

/// The frequency a 频度 cell declares: 月/月度, 季/季度, 年/年度.
fn frequency_word(text: &str) -> Option<Frequency> {
    let t = squeeze(text);
    if t.contains('季') {
        Some(Frequency::Quarter)
    } else if t.contains('年') {
        Some(Frequency::Year)
    } else if t.contains('月') {
        Some(Frequency::Month)
    } else {
        None
    }
}

/// Relabels the monthly points of a series declared quarterly or annual (a 频度 row or the
/// metadata sheet): the value at the quarter's or year's last month is that quarter's or
/// year's; an empty cell at another month is the gap between two periods and is dropped; a
/// value at another month is kept as monthly and reported.
fn declare_frequency(
    col: &mut Collector,
    in_series: impl Fn(&Point) -> bool,
    declared: Frequency,
    label: &str,
    said_at: &str,
) {
    let span = match declared {
        Frequency::Month => return,
        Frequency::Quarter => 3,
        Frequency::Year => 12,
    };
    let mut odd = Vec::new();
    col.points.retain_mut(|p| {
        if !in_series(p) || p.key.frequency != Frequency::Month {
            return true;
        }
        let Some(m) = p.key.month else { return true };
        if m % span == 0 {
            p.key.frequency = declared;
            p.key.month = None;
            p.key.quarter = (declared == Frequency::Quarter).then_some(m / 3);
            return true;
        }
        if p.value.is_none() {
            return false;
        }
        odd.push(format!("{}{}", column_letter(p.col), p.row + 1));
        true
    });
    if !odd.is_empty() {
        let n = odd.len();
        odd.truncate(5);
        col.warnings.push(crate::i18n::t!(
            "wide.declared_frequency",
            label = label,
            declared = match declared {
                Frequency::Quarter => crate::i18n::t!("wide.quarterly"),
                _ => crate::i18n::t!("wide.annual"),
            },
            said_at = said_at,
            n = n,
            cells = odd.join(", "),
            more = if n > 5 { ", …" } else { "" }
        ));
    }
}

/// Periods down one of the first columns; each other column with a header is a series.
fn read_rows(grid: &Grid, sheet: &str) -> Option<One> {
    let last_label_col = grid.last_col.min(grid.first_col + 2);
    let (pcol, first_period) = (grid.first_col..=last_label_col).find_map(|c| {
        let mut first = None;
        let mut found = 0;
        // Non-period labels between periods; those after the last period are notes.
        let mut other = 0;
        let mut pending = 0;
        for r in grid.first_row..=grid.last_row {
            let cell = grid.get(r, c);
            if parse_period_cell(cell).is_some() {
                first.get_or_insert(r);
                found += 1;
                other += pending;
                pending = 0;
            } else if first.is_some() && !cell_text(cell).trim().is_empty() {
                // The header rows of a table stacked below are not stray labels.
                if !is_header_key(&squeeze(&cell_text(cell))) {
                    pending += 1;
                }
            }
        }
        let first = first?;
        (found >= 3
            && found >= 4 * other
            && first > grid.first_row
            && first - grid.first_row <= HEADER_SCAN_ROWS)
            .then_some((c, first))
    })?;
    // Header rows: the first cell names what the row holds (指标, 地区, 频度, 单位).
    let header_rows: Vec<(u32, String)> = (grid.first_row..first_period)
        .filter(|&r| !row_is_blank(grid, r))
        .map(|r| (r, squeeze(&grid.text(r, pcol))))
        .collect();
    let indicator_row = header_rows
        .iter()
        .find(|(_, k)| k.starts_with("指标"))
        .or_else(|| header_rows.first())?
        .0;
    let region_row = header_rows
        .iter()
        .find(|(_, k)| REGION_WORDS.contains(&k.as_str()))
        .map(|(r, _)| *r);
    let unit_row = header_rows
        .iter()
        .find(|(_, k)| UNIT_WORDS.contains(&k.as_str()))
        .map(|(r, _)| *r);
    let frequency_row = header_rows
        .iter()
        .find(|(_, k)| k == "频度")
        .map(|(r, _)| *r);
    let columns: Vec<u32> = (grid.first_col..=grid.last_col)
        .filter(|&c| c != pcol && !trimmed(&grid.merged_text(indicator_row, c)).is_empty())
        .collect();
    if columns.is_empty() {
        return None;
    }
    let mut skipped = BTreeMap::new();
    for r in grid.first_row..first_period {
        add(
            &mut skipped,
            if row_is_blank(grid, r) {
                SkipReason::Blank
            } else {
                SkipReason::Header
            },
        );
    }
    let metadata: Vec<(String, String)> = header_rows
        .iter()
        .filter(|(r, _)| *r != indicator_row)
        .map(|(r, k)| {
            (
                k.clone(),
                one_line(&grid.row_texts(*r).get(1).cloned().unwrap_or_default()),
            )
        })
        .collect();
    let variant = variant(sheet, &[]);
    let mut col = Collector {
        points: Vec::new(),
        warnings: Vec::new(),
        odd: 0,
    };
    let mut footer = Vec::new();
    let mut periods = Vec::new();
    let mut kept = 0;
    let mut next = None;
    let mut stray = Vec::new();
    let last_period = (first_period..=grid.last_row)
        .rev()
        .find(|&r| parse_period_cell(grid.get(r, pcol)).is_some())
        .unwrap_or(first_period);
    let series: Vec<(u32, String, Option<String>, Option<String>)> = columns
        .iter()
        .map(|&c| {
            let pick = |r: Option<u32>| {
                r.map(|r| trimmed(&grid.merged_text(r, c)))
                    .filter(|t| !t.is_empty())
            };
            (
                c,
                trimmed(&grid.merged_text(indicator_row, c)),
                pick(region_row),
                unit_row.and_then(|r| unit_text(&grid.merged_text(r, c))),
            )
        })
        .collect();
    // The header's texts, to tell the header repeated inside the table from the header of
    // another table stacked below it.
    let header_texts = |r: u32| -> Vec<String> {
        (grid.first_col..=grid.last_col)
            .map(|c| squeeze(&grid.text(r, c)))
            .collect()
    };
    for r in first_period..=grid.last_row {
        if row_is_blank(grid, r) {
            add(&mut skipped, SkipReason::Blank);
            continue;
        }
        let cell = grid.get(r, pcol);
        let Some(key) = parse_period_cell(cell) else {
            if r > last_period {
                // Past the last period: what follows is read on its own.
                next = Some(r);
                break;
            }
            let key = squeeze(&grid.text(r, pcol));
            if let Some((hr, _)) = header_rows.iter().find(|(_, k)| !k.is_empty() && *k == key) {
                if header_texts(r) == header_texts(*hr) {
                    // The header repeated inside the table.
                    add(&mut skipped, SkipReason::Header);
                    continue;
                }
                if *hr == indicator_row {
                    // Other series: another table starts here, read on its own.
                    next = Some(r);
                    break;
                }
            }
            add(&mut skipped, SkipReason::Note);
            footer.push(one_line(&grid.row_texts(r).join(" ")));
            stray.push(crate::model::a1(r, pcol));
            continue;
        };
        let text = match cell {
            Data::DateTime(_) => match key.month {
                Some(m) => format!("{}-{m:02}", key.year),
                None => key.year.to_string(),
            },
            _ => trimmed(&cell_text(cell)),
        };
        kept += 1;
        periods.push(text.clone());
        for (c, indicator, region, unit) in &series {
            let (role, label) = role_of(indicator);
            col.push(
                grid,
                r,
                *c,
                (&label, region.as_deref(), unit.as_deref()),
                (&text, key),
                role,
                &variant,
            );
        }
    }
    if kept == 0 {
        return None;
    }
    if let Some(fr) = frequency_row {
        for &(c, ref label, _, _) in &series {
            if let Some(declared) = frequency_word(&grid.merged_text(fr, c)) {
                let at = crate::model::a1(fr, c);
                declare_frequency(&mut col, |p| p.col == c, declared, label, &at);
            }
        }
    }
    if !stray.is_empty() {
        col.warnings
            .push(crate::i18n::t!("wide.stray_period", v = stray.join(", ")));
    }
    col.finish();
    Some(One {
        table: WideTable {
            orientation: Orientation::PeriodsInRows,
            header_first: grid.first_row,
            header_last: first_period - 1,
            metadata,
            footer,
            variant,
            periods,
            labels: series.iter().map(|(_, l, _, _)| role_of(l).1).collect(),
            series: series.len(),
            points: col.points,
            series_notes: Vec::new(),
        },
        kept,
        skipped,
        warnings: col.warnings,
        next,
        right: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::Range;

    fn grid_of(rows: &[&[Data]]) -> Range<Data> {
        let width = rows.iter().map(|r| r.len()).max().unwrap_or(0) as u32;
        let mut range = Range::new((0, 0), (rows.len() as u32 - 1, width - 1));
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                range.set_value((r as u32, c as u32), v.clone());
            }
        }
        range
    }

    fn s(t: &str) -> Data {
        Data::String(t.to_string())
    }

    #[test]
    fn provinces_by_year_with_metadata_and_notes() {
        let range = grid_of(&[
            &[s("数据库：分省年度数据")],
            &[s("指标：地区生产总值(亿元)")],
            &[s("时间：最近2年")],
            &[s("地区"), s("2019年"), s("2018年")],
            &[s("北京市"), Data::Float(35371.28), Data::Float(33105.97)],
            &[s("#其中：城区"), Data::Float(1.0), s("…")],
            &[s("合计"), Data::Float(35372.28), s("")],
            &[s("注：1.本表按当年价格计算。"), Data::Empty, Data::Empty],
            &[
                s("\u{3000}\u{3000}2.2018年数据为修订后数据。"),
                Data::Empty,
                Data::Empty,
            ],
            &[s("数据来源：国家统计局"), Data::Empty, Data::Empty],
        ]);
        let grid = Grid::new(&range, &[]).unwrap();
        let out = read(&grid, "分省年度数据").unwrap();
        let t = &out.tables[0];
        assert_eq!(t.orientation, Orientation::PeriodsInColumns);
        assert_eq!(t.header_first, 3);
        assert_eq!(t.metadata[1], ("指标".into(), "地区生产总值(亿元)".into()));
        assert_eq!(t.footer.len(), 3);
        assert_eq!(out.kept, 3);
        assert_eq!(out.skipped[&SkipReason::Title], 3);
        assert_eq!(out.skipped[&SkipReason::Note], 3);
        assert_eq!(t.points.len(), 6);
        let p = &t.points[0];
        assert_eq!(p.indicator, "地区生产总值");
        assert_eq!(p.region.as_deref(), Some("北京市"));
        assert_eq!(p.unit.as_deref(), Some("亿元"));
        assert_eq!((p.key.year, p.value), (2019, Some(35371.28)));
        assert_eq!(t.points[2].role, Role::Breakdown);
        assert_eq!(t.points[2].region.as_deref(), Some("其中：城区"));
        assert_eq!(t.points[3].symbol.as_deref(), Some("…"));
        assert_eq!(t.points[3].value, None);
        assert_eq!(t.points[4].role, Role::Total);
        assert_eq!(t.points[5].symbol.as_deref(), Some(""));
    }

    #[test]
    fn periods_down_the_first_column() {
        let range = grid_of(&[
            &[s("指标"), s("增加值_累计同比"), s("增加值_当期同比")],
            &[s("地区"), s("全国"), s("全国")],
            &[s("单位"), s("%"), s("%")],
            &[s("2020-02"), Data::Float(-13.5), s("")],
            &[s("2020-03"), Data::Float(-8.4), Data::Float(-1.1)],
            &[s("2020-04"), Data::Float(-4.9), s("abc")],
        ]);
        let grid = Grid::new(&range, &[]).unwrap();
        let out = read(&grid, "Sheet1").unwrap();
        let t = &out.tables[0];
        assert_eq!(t.orientation, Orientation::PeriodsInRows);
        assert_eq!(out.kept, 3);
        assert_eq!(out.skipped[&SkipReason::Header], 3);
        assert_eq!(t.series, 2);
        assert_eq!(t.points.len(), 6);
        assert_eq!(t.points[0].indicator, "增加值_累计同比");
        assert!(t.points[0].key.cumulative);
        assert!(!t.points[1].key.cumulative);
        assert_eq!(t.points[0].unit.as_deref(), Some("%"));
        assert_eq!(t.points[0].region.as_deref(), Some("全国"));
        assert_eq!(t.points[5].symbol.as_deref(), Some("abc"));
        assert_eq!(out.warnings.len(), 1);
        assert!(
            out.warnings[0].starts_with("cell C6"),
            "{}",
            out.warnings[0]
        );
    }

    #[test]
    fn a_metadata_sheet_is_told_from_a_table_of_figures() {
        let meta = grid_of(&[
            &[s("指标名称"), s("地区名称"), s("频度"), s("单位")],
            &[s("工业增加值_当期同比"), s("全国"), s("月"), s("-")],
            &[Data::Empty, Data::Empty, Data::Empty, Data::Empty],
        ]);
        let grid = Grid::new(&meta, &[]).unwrap();
        let c = read_catalog(&grid, "Sheet2").expect("a metadata sheet");
        assert_eq!((c.kept, c.entries.len()), (1, 1));
        assert_eq!(c.entries[0].unit, None);
        assert_eq!(c.entries[0].frequency.as_deref(), Some("月"));
        let figures = grid_of(&[
            &[s("指标"), s("单位"), s("数据来源"), s("2019年")],
            &[s("人口"), s("万人"), s("国家统计局"), Data::Float(140005.0)],
        ]);
        let grid = Grid::new(&figures, &[]).unwrap();
        assert!(read_catalog(&grid, "Sheet1").is_none());
    }

    #[test]
    fn footer_line_breaks_become_one_space() {
        assert_eq!(one_line("注：本表\r\n  按当年价格"), "注：本表 按当年价格");
        assert_eq!(
            one_line("  数据来源：国家 统计局\n"),
            "数据来源：国家 统计局"
        );
        assert_eq!(unit_text(" - "), None);
        assert_eq!(unit_text("亿元"), Some("亿元".to_string()));
    }

    #[test]
    fn a_project_list_is_not_wide() {
        let range = grid_of(&[
            &[s("项目名称"), s("总投资"), s("年份")],
            &[s("A"), Data::Float(100.0), Data::Float(2021.0)],
            &[s("B"), Data::Float(200.0), Data::Float(2022.0)],
        ]);
        let grid = Grid::new(&range, &[]).unwrap();
        assert!(read(&grid, "Sheet1").is_none());
    }
}

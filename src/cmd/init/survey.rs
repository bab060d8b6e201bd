//! Reading a folder's workbooks the way `run` will: each visible sheet's table, found by the
//! ingest stage's header detection, with the text of every column's data cells.

use crate::config::normalize::{normalize_header, HeaderText};
use crate::config::{Dataset, Field, Pipeline};
use crate::ingest::layout::{self, Grid, Layout, Source, YEAR_KEYS};
use crate::ingest::value::clean_number_text;
use crate::ingest::workbook::{self, LoadedSheet, Visibility};
use crate::ingest::{read_stable, rows};
use crate::model::{DashPolicy, FieldKind, MoneyUnit, Value};
use calamine::Data;
use std::path::Path;

/// One column of a table as found.
#[derive(Debug, Clone)]
pub struct Column {
    /// Header as written (`parent/child` for two-row headers).
    pub header: String,
    pub text: HeaderText,
    /// The dictionary field the detection mapped it to, for dictionary tables.
    pub field: Option<usize>,
    /// Each data row's cell as text ("" for empty).
    pub cells: Vec<String>,
}

/// A table found in one sheet.
#[derive(Debug, Clone)]
pub struct Table {
    pub file: String,
    pub sheet: String,
    /// The dictionary dataset it matched, if any.
    pub dataset: Option<usize>,
    pub columns: Vec<Column>,
    pub title_lines: Vec<String>,
    /// A money unit named by a 单位 line above the header.
    pub unit_line: Option<MoneyUnit>,
    pub year: Option<i32>,
    /// Rows carry their year in a column.
    pub year_column: bool,
    pub month: Option<u32>,
    pub cumulative: bool,
    pub rows: usize,
}

/// What one sheet gave.
#[derive(Debug, Clone)]
pub enum Sheet {
    Table(Box<Table>),
    /// Visible, with cells, but no header with a numeric column under it.
    NoTable {
        file: String,
        sheet: String,
    },
    /// Periods across the header or down the first column: `run` reads it as a series.
    Wide {
        file: String,
        sheet: String,
    },
}

/// Reads one workbook; Err is why it could not be read.
pub fn read_file(dict: &Pipeline, path: &Path, display: &str) -> Result<Vec<Sheet>, String> {
    let bytes = read_stable(path, |p| std::fs::read(p)).map_err(|e| e.to_string())?;
    let format =
        workbook::sniff(path, &bytes[..bytes.len().min(4096)]).map_err(|e| e.to_string())?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // A panic inside a dependency becomes this file's error, as in `run`.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut out = Vec::new();
        for loaded in workbook::load_sheets(
            &bytes,
            format,
            &mut workbook::Spend::within(workbook::FILE_BUDGET),
        )
        .map_err(|e| e.to_string())?
        {
            let Ok(sheet) = loaded else { continue };
            if sheet.visibility != Visibility::Visible {
                continue;
            }
            if let Some(s) = read_sheet(dict, &sheet, &file_name, display) {
                out.push(s);
            }
        }
        Ok(out)
    }))
    .unwrap_or_else(|p| Err(crate::error::panic_message(p.as_ref())))
}

fn read_sheet(
    dict: &Pipeline,
    sheet: &LoadedSheet,
    file_name: &str,
    display: &str,
) -> Option<Sheet> {
    let mut grid = Grid::new(&sheet.range, &sheet.merges)?;
    grid.uncached = &sheet.uncached;
    let (lay, dataset) = match layout::detect(&grid, dict, &sheet.name, file_name) {
        Some(l) => {
            let ds = l.dataset;
            (l, Some(ds))
        }
        None if crate::ingest::wide::read(&grid, &sheet.name).is_some() => {
            return Some(Sheet::Wide {
                file: display.to_string(),
                sheet: sheet.name.clone(),
            })
        }
        None => match probe(&grid, dict, &sheet.name, file_name) {
            Some(l) => (l, None),
            None => {
                return Some(Sheet::NoTable {
                    file: display.to_string(),
                    sheet: sheet.name.clone(),
                })
            }
        },
    };
    let mut columns: Vec<(u32, Column)> = header_cells(&grid, lay.header_first, lay.header_last)
        .into_iter()
        .filter(|(c, _, _)| Some(*c) != lay.year_col)
        .map(|(c, header, text)| {
            let field =
                dataset.and_then(|_| lay.columns.iter().find(|m| m.col == c).map(|m| m.field));
            (
                c,
                Column {
                    header,
                    text,
                    field,
                    cells: Vec::new(),
                },
            )
        })
        .collect();
    // Every column read as text, through the same row rules `run` applies (totals, 其中 rows,
    // notes and blank rows are left out).
    let probe_ds = Dataset {
        name: "probe".into(),
        title: String::new(),
        money_unit: MoneyUnit::Wanyuan,
        identify: vec![],
        fields: columns
            .iter()
            .map(|(_, c)| Field {
                name: c.header.clone(),
                kind: FieldKind::Text,
                keys: vec![],
                required: false,
                dash: DashPolicy::Missing,
            })
            .collect(),
    };
    let mut probe_lay = lay.clone();
    probe_lay.columns = columns
        .iter()
        .enumerate()
        .map(|(i, (c, col))| layout::ColumnMap {
            col: *c,
            field: i,
            header: col.header.clone(),
            unit: None,
            cumulative: false,
            month: None,
        })
        .collect();
    if probe_lay.year.is_none() && probe_lay.year_col.is_none() {
        probe_lay.year = Some((0, Source::Default));
    }
    let outcome = rows::extract(&grid, &probe_lay, &probe_ds, display, &sheet.name);
    for (_, _, values) in &outcome.kept {
        for (i, v) in values.iter().enumerate() {
            let text = match v {
                Value::Text(t) => t.clone(),
                _ => String::new(),
            };
            columns[i].1.cells.push(text);
        }
    }
    Some(Sheet::Table(Box::new(Table {
        file: display.to_string(),
        sheet: sheet.name.clone(),
        dataset,
        rows: outcome.kept.len(),
        columns: columns.into_iter().map(|(_, c)| c).collect(),
        unit_line: (lay.unit.1 == Source::UnitLine).then_some(lay.unit.0),
        year: lay.year.map(|(y, _)| y),
        year_column: lay.year_col.is_some(),
        month: lay.month.map(|(m, _)| m),
        cumulative: lay.cumulative,
        title_lines: lay.title_lines,
    })))
}

/// Each header column's text as the detection reads it: the cell of a single-row header; for
/// two rows the child under its parent, or the parent alone.
fn header_cells(grid: &Grid, first: u32, last: u32) -> Vec<(u32, String, HeaderText)> {
    (grid.first_col..=grid.last_col)
        .filter_map(|c| {
            if first == last {
                let t = grid.row_merged_text(first, c);
                let t = t.trim();
                return (!t.is_empty()).then(|| (c, t.to_string(), normalize_header(t)));
            }
            let parent = grid.merged_text(first, c);
            let child = grid.merged_text(last, c);
            let (p, ch) = (parent.trim(), child.trim());
            if !ch.is_empty() && ch != p {
                let shown = if p.is_empty() {
                    ch.to_string()
                } else {
                    format!("{p}/{ch}")
                };
                Some((c, shown, normalize_header(ch)))
            } else if !p.is_empty() {
                Some((c, p.to_string(), normalize_header(p)))
            } else {
                None
            }
        })
        .filter(|(_, _, h)| !h.key.is_empty())
        .collect()
}

fn is_number(cell: &Data) -> bool {
    match cell {
        Data::Int(_) | Data::Float(_) => true,
        Data::String(s) => matches!(clean_number_text(s), Ok(Some(_))),
        _ => false,
    }
}

fn is_text(cell: &Data) -> bool {
    matches!(cell, Data::String(s) if !s.trim().is_empty() && !is_number(cell))
}

/// A sheet no dictionary dataset claims: the header is the row of text cells with the most
/// cells that has a numeric column under it. Its texts (and those of the row below, for a
/// two-row header) become a one-off dataset handed to the ingest stage's detection, which
/// settles the header rows, title lines, unit, year and month as it does for any table.
fn probe(grid: &Grid, dict: &Pipeline, sheet: &str, file_name: &str) -> Option<Layout> {
    let last_scan = grid
        .last_row
        .min(grid.first_row.saturating_add(layout::HEADER_SCAN_ROWS - 1));
    let mut best: Option<(usize, u32)> = None;
    for r in grid.first_row..=last_scan {
        let cells: Vec<&Data> = (grid.first_col..=grid.last_col)
            .map(|c| grid.get(r, c))
            .filter(|d| {
                !matches!(d, Data::Empty) && !matches!(d, Data::String(s) if s.trim().is_empty())
            })
            .collect();
        if cells.len() < 2 || !cells.iter().all(|d| is_text(d)) {
            continue;
        }
        let below = (r + 1)..=grid.last_row.min(r + 8);
        let numeric = (grid.first_col..=grid.last_col)
            .any(|c| below.clone().any(|rr| is_number(grid.get(rr, c))));
        if numeric && best.is_none_or(|(n, _)| cells.len() > n) {
            best = Some((cells.len(), r));
        }
    }
    let (_, row) = best?;
    let next_is_header = row < grid.last_row
        && (grid.first_col..=grid.last_col).all(|c| !is_number(grid.get(row + 1, c)))
        && (grid.first_col..=grid.last_col).any(|c| is_text(grid.get(row + 1, c)));
    let mut keys: Vec<String> = Vec::new();
    let mut identify = None;
    for c in grid.first_col..=grid.last_col {
        let own = grid.text(row, c);
        let mut texts = vec![own.clone()];
        if next_is_header {
            texts.push(grid.merged_text(row + 1, c));
        }
        for (i, t) in texts.iter().enumerate() {
            let key = normalize_header(t).key;
            if key.is_empty() || YEAR_KEYS.contains(&key.as_str()) {
                continue;
            }
            if !keys.contains(&key) {
                keys.push(key.clone());
            }
            let below_empty = !next_is_header || grid.text(row + 1, c).trim().is_empty();
            if i == 0 && identify.is_none() && below_empty {
                identify = keys.iter().position(|k| *k == key);
            }
        }
    }
    let ds = Dataset {
        name: "probe".into(),
        title: String::new(),
        money_unit: MoneyUnit::Wanyuan,
        identify: vec![identify.unwrap_or(0)],
        fields: keys
            .iter()
            .map(|k| Field {
                name: k.clone(),
                kind: FieldKind::Text,
                keys: vec![k.clone()],
                required: false,
                dash: DashPolicy::Missing,
            })
            .collect(),
    };
    if ds.fields.is_empty() {
        return None;
    }
    let mut one = dict.clone();
    one.datasets = vec![ds];
    layout::detect(grid, &one, sheet, file_name)
}

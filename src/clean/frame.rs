//! The clean data of each dataset as a polars DataFrame, built from typed values.

use crate::config::{Dataset, Pipeline};
use crate::ingest::periods_wide::{Frequency, PeriodKey};
use crate::ingest::wide::Point;
use crate::ingest::FileReport;
use crate::model::{FieldKind, Value};
use polars::prelude::*;

/// Column names the clean data adds around the dataset's fields.
pub const YEAR: &str = "year";
pub const MONTH: &str = "month";
pub const CUMULATIVE: &str = "cumulative";
pub const FILE: &str = "file";
pub const SHEET: &str = "sheet";
pub const ROW: &str = "row";

/// A field's column as it is built; text is borrowed from the rows until the column is made.
enum Builder<'a> {
    Text(Vec<Option<&'a str>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Date(Vec<Option<i32>>),
}

impl<'a> Builder<'a> {
    fn new(kind: FieldKind) -> Builder<'a> {
        match kind {
            FieldKind::Text => Builder::Text(Vec::new()),
            FieldKind::Count | FieldKind::Money => Builder::Int(Vec::new()),
            FieldKind::Percent => Builder::Float(Vec::new()),
            FieldKind::Date => Builder::Date(Vec::new()),
        }
    }

    fn push(&mut self, v: &'a Value) {
        match (self, v) {
            (Builder::Text(b), Value::Text(s)) => b.push(Some(s)),
            (Builder::Int(b), Value::Count(i) | Value::Money(i)) => b.push(Some(*i)),
            (Builder::Float(b), Value::Percent(f)) => b.push(Some(*f)),
            (Builder::Date(b), Value::Date(d)) => b.push(Some(*d)),
            (Builder::Text(b), _) => b.push(None),
            (Builder::Int(b), _) => b.push(None),
            (Builder::Float(b), _) => b.push(None),
            (Builder::Date(b), _) => b.push(None),
        }
    }

    fn finish(self, name: &str) -> PolarsResult<Column> {
        let name = PlSmallStr::from(name);
        Ok(match self {
            Builder::Text(v) => Column::new(name, v),
            Builder::Int(v) => Column::new(name, v),
            Builder::Float(v) => Column::new(name, v),
            Builder::Date(v) => Column::new(name, v).cast(&DataType::Date)?,
        })
    }
}

/// One frame per dataset, in pipeline order; rows in input order. Money columns hold fen.
pub fn clean_frames(pipeline: &Pipeline, files: &[FileReport]) -> PolarsResult<Vec<DataFrame>> {
    (0..pipeline.datasets.len())
        .map(|di| dataset_frame(&pipeline.datasets[di], di, files))
        .collect()
}

fn dataset_frame(ds: &Dataset, di: usize, files: &[FileReport]) -> PolarsResult<DataFrame> {
    let mut year: Vec<i32> = Vec::new();
    let mut month: Vec<Option<i32>> = Vec::new();
    let mut cumulative: Vec<bool> = Vec::new();
    // A sheet's rows share one copy of its file and sheet names (a column chunk per sheet).
    // Not `full_null`: its first call builds polars' 8 MiB page of zeroes.
    let mut file = StringChunked::from_slice(FILE.into(), &[] as &[&str]);
    let mut sheet = StringChunked::from_slice(SHEET.into(), &[] as &[&str]);
    let mut row: Vec<u32> = Vec::new();
    let mut fields: Vec<Builder> = ds.fields.iter().map(|f| Builder::new(f.kind)).collect();
    for f in files {
        for sh in &f.sheets {
            let Some(data) = sh.data.as_ref().filter(|d| d.dataset == di) else {
                continue;
            };
            let n = data.rows.len();
            file.append(&StringChunked::full(FILE.into(), &f.display, n))?;
            sheet.append(&StringChunked::full(SHEET.into(), &sh.name, n))?;
            for (i, (r, y, values)) in data.rows.iter().enumerate() {
                year.push(*y);
                month.push(data.month_of(i).map(|m| m as i32));
                cumulative.push(data.cumulative);
                row.push(*r);
                for (b, v) in fields.iter_mut().zip(values) {
                    b.push(v);
                }
            }
        }
    }
    let height = year.len();
    let mut cols = vec![
        Column::new(YEAR.into(), year),
        Column::new(MONTH.into(), month),
        Column::new(CUMULATIVE.into(), cumulative),
    ];
    for (b, f) in fields.into_iter().zip(&ds.fields) {
        cols.push(b.finish(&f.name)?);
    }
    cols.push(file.into_column());
    cols.push(sheet.into_column());
    cols.push(Column::new(ROW.into(), row));
    DataFrame::new(height, cols)
}

/// The points of every wide table in long form, in input order; None when there are none.
pub fn series_frame(files: &[FileReport]) -> PolarsResult<Option<DataFrame>> {
    let mut file: Vec<&str> = Vec::new();
    let mut sheet: Vec<&str> = Vec::new();
    let mut variant: Vec<&str> = Vec::new();
    let mut row: Vec<u32> = Vec::new();
    let mut column: Vec<String> = Vec::new();
    let mut indicator: Vec<&str> = Vec::new();
    let mut region: Vec<Option<&str>> = Vec::new();
    let mut unit: Vec<Option<&str>> = Vec::new();
    let mut period: Vec<&str> = Vec::new();
    let mut frequency: Vec<&str> = Vec::new();
    let mut year: Vec<i32> = Vec::new();
    let mut month: Vec<Option<u32>> = Vec::new();
    let mut quarter: Vec<Option<u32>> = Vec::new();
    let mut cumulative: Vec<bool> = Vec::new();
    let mut value: Vec<Option<f64>> = Vec::new();
    let mut symbol: Vec<Option<&str>> = Vec::new();
    let mut role: Vec<&str> = Vec::new();
    let mut source: Vec<Option<String>> = Vec::new();
    let mut notes: Vec<Option<String>> = Vec::new();
    for f in files {
        for sh in &f.sheets {
            for w in &sh.wide {
                let (table_source, table_notes) = (w.source(), w.notes());
                for p in &w.points {
                    // The metadata sheet's source wins over the table's; notes add up.
                    let own = w.series_note(&p.indicator, p.region.as_deref());
                    source.push(
                        own.and_then(|n| n.source.clone())
                            .or_else(|| table_source.clone()),
                    );
                    let parts: Vec<&str> =
                        [table_notes.as_deref(), own.and_then(|n| n.notes.as_deref())]
                            .into_iter()
                            .flatten()
                            .collect();
                    notes.push((!parts.is_empty()).then(|| parts.join(" ")));
                }
            }
            for (w, p) in sh
                .wide
                .iter()
                .flat_map(|w| w.points.iter().map(move |p| (w, p)))
            {
                file.push(&f.display);
                sheet.push(&sh.name);
                variant.push(&w.variant);
                row.push(p.row + 1);
                column.push(crate::model::column_letter(p.col));
                indicator.push(&p.indicator);
                region.push(p.region.as_deref());
                unit.push(p.unit.as_deref());
                period.push(&p.period);
                frequency.push(p.key.frequency.as_str());
                year.push(p.key.year);
                month.push(p.key.month);
                quarter.push(p.key.quarter);
                cumulative.push(p.key.cumulative);
                value.push(p.value);
                symbol.push(p.symbol.as_deref());
                role.push(p.role.as_str());
            }
        }
    }
    if file.is_empty() {
        return Ok(None);
    }
    let height = file.len();
    let cols = vec![
        Column::new("indicator".into(), indicator),
        Column::new("region".into(), region),
        Column::new("unit".into(), unit),
        Column::new("period".into(), period),
        Column::new("frequency".into(), frequency),
        Column::new(YEAR.into(), year),
        Column::new(MONTH.into(), month),
        Column::new("quarter".into(), quarter),
        Column::new(CUMULATIVE.into(), cumulative),
        Column::new("value".into(), value),
        Column::new("symbol".into(), symbol),
        Column::new("role".into(), role),
        Column::new("variant".into(), variant),
        Column::new(FILE.into(), file),
        Column::new(SHEET.into(), sheet),
        Column::new(ROW.into(), row),
        Column::new("column".into(), column),
        Column::new("source".into(), source),
        Column::new("notes".into(), notes),
    ];
    DataFrame::new(height, cols).map(Some)
}

/// Every period the frames have rows for (an annual row counts as its December).
pub fn data_periods(
    frames: &[DataFrame],
    into: &mut std::collections::BTreeSet<crate::model::Period>,
) {
    for (year, month) in year_months(frames) {
        into.insert(crate::model::Period {
            year,
            month: month.unwrap_or(12),
        });
    }
}

/// The (year, month) of every row of the frames that has a year; month None for annual rows.
fn year_months(frames: &[DataFrame]) -> impl Iterator<Item = (i32, Option<u32>)> + '_ {
    frames.iter().flat_map(|f| {
        let columns = (f.column(YEAR), f.column(MONTH));
        let pairs = match columns {
            (Ok(y), Ok(m)) => y.i32().ok().zip(m.i32().ok()),
            _ => None,
        };
        pairs.into_iter().flat_map(|(y, m)| {
            y.iter()
                .zip(m.iter())
                .filter_map(|(y, m)| Some((y?, m.map(|m| m as u32))))
        })
    })
}

/// The latest month with data, as a run reports it by default: the latest year, and in it
/// the latest month of the rows that have one (December when none has, for annual data).
pub fn latest_period(frames: &[DataFrame]) -> Option<crate::model::Period> {
    // Per year: the latest month seen, if any row of the year has one.
    let mut years: std::collections::BTreeMap<i32, Option<u32>> = Default::default();
    for (y, m) in year_months(frames) {
        let e = years.entry(y).or_insert(None);
        *e = (*e).max(m);
    }
    let (&year, &month) = years.iter().next_back()?;
    Some(crate::model::Period {
        year,
        month: month.unwrap_or(12),
    })
}

/// The month a series period ends in: December for a year, the quarter's last month.
fn end_month(k: &PeriodKey) -> u32 {
    match k.frequency {
        Frequency::Year => 12,
        Frequency::Quarter => k.quarter.unwrap_or(4) * 3,
        Frequency::Month => k.month.unwrap_or(12),
    }
}

/// A series period as the report names it: `2019年`, `2023年第3季度`, `2020年4月`.
pub fn period_key_label(k: &PeriodKey) -> String {
    match k.frequency {
        Frequency::Year => format!("{}年", k.year),
        Frequency::Quarter => format!("{}年第{}季度", k.year, k.quarter.unwrap_or(4)),
        Frequency::Month => format!("{}年{}月", k.year, k.month.unwrap_or(12)),
    }
}

/// The earliest and latest periods that hold a value among `points`.
pub fn period_span<'a>(points: impl Iterator<Item = &'a Point>) -> Option<(PeriodKey, PeriodKey)> {
    let order = |k: &PeriodKey| (k.year, end_month(k), k.frequency);
    let mut span: Option<(PeriodKey, PeriodKey)> = None;
    for p in points.filter(|p| p.value.is_some()) {
        let k = p.key;
        span = Some(match span {
            None => (k, k),
            Some((a, b)) => (
                if order(&k) < order(&a) { k } else { a },
                if order(&k) > order(&b) { k } else { b },
            ),
        });
    }
    span
}

/// `2015年—2019年`: the span of the periods with a value, or None when there is none.
pub fn span_label(span: Option<(PeriodKey, PeriodKey)>) -> Option<String> {
    let (a, b) = span?;
    let (a, b) = (period_key_label(&a), period_key_label(&b));
    Some(if a == b { a } else { format!("{a}—{b}") })
}

fn all_points(files: &[FileReport]) -> impl Iterator<Item = &Point> {
    files
        .iter()
        .flat_map(|f| &f.sheets)
        .flat_map(|s| &s.wide)
        .flat_map(|w| &w.points)
}

/// The month the latest series value ends in: the period of a run on portal exports alone.
pub fn latest_series_period(files: &[FileReport]) -> Option<crate::model::Period> {
    let (_, last) = period_span(all_points(files))?;
    Some(crate::model::Period {
        year: last.year,
        month: end_month(&last),
    })
}

/// The span of every series' values, as the report shows it.
pub fn series_span_label(files: &[FileReport]) -> Option<String> {
    span_label(period_span(all_points(files)))
}

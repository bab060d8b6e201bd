//! Parquet: one table in long form, for analysts.
//!
//! Columns: `year` Int32, `month` Int32 (null for annual rows), one String column per dimension
//! (named by the dimension field; `合计` on grand-total rows), `metric` String, `value` Float64
//! (money in 万元), `value_text` String (the exact text of facts.csv; null where the value is
//! undefined), `unit` String (as in facts.csv). Rows in the table's order. Written
//! single-threaded with zstd at its default level and default statistics, so the bytes are the
//! same on every run.
//!
//! Every Parquet file yearbook writes goes through [`portable`]: polars records its strings as
//! Arrow string views, which pyarrow before 15 cannot read; the footer's Arrow schema is
//! written again with plain (large) strings, and with field metadata where a column needs
//! saying what it holds (clean-data money is whole fen).

use super::facts::{value_text, value_unit};
use super::grid::TOTAL;
use super::EmitError;
use crate::aggregate::{MetricValue, TableResult};
use crate::clean::encode::{portable, Metadata};
use polars::prelude::*;
use std::path::Path;

/// The long-form frame written to Parquet.
pub fn long_frame(table: &TableResult) -> PolarsResult<DataFrame> {
    let n = table.rows.len();
    let mut year = Vec::with_capacity(n);
    let mut month = Vec::with_capacity(n);
    let mut dims: Vec<Vec<String>> = vec![Vec::with_capacity(n); table.dims.len()];
    let mut metric = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let mut text = Vec::with_capacity(n);
    let mut unit = Vec::with_capacity(n);
    for r in &table.rows {
        let Some(def) = table.metrics.get(r.metric) else {
            continue;
        };
        year.push(r.year);
        month.push(r.month.map(|m| m as i32));
        for (i, col) in dims.iter_mut().enumerate() {
            col.push(match &r.key {
                None => TOTAL.to_string(),
                Some(k) => k.get(i).cloned().unwrap_or_default(),
            });
        }
        metric.push(def.name.clone());
        unit.push(value_unit(def));
        value.push(match r.value {
            None => None,
            Some(MetricValue::Fen(fen)) => Some(fen as f64 / 1_000_000.0),
            Some(MetricValue::Int(i)) => Some(i as f64),
            Some(MetricValue::Float(x)) => x.is_finite().then_some(x),
        });
        text.push(
            r.value
                .map(|_| value_text(def.kind, r.value))
                .filter(|s| !s.is_empty()),
        );
    }
    let mut columns = vec![
        Column::new("year".into(), year),
        Column::new("month".into(), month),
    ];
    for (name, col) in table.dims.iter().zip(dims) {
        columns.push(Column::new(name.as_str().into(), col));
    }
    columns.push(Column::new("metric".into(), metric));
    columns.push(Column::new("value".into(), value));
    columns.push(Column::new("value_text".into(), text));
    columns.push(Column::new("unit".into(), unit));
    DataFrame::new(year_len(&columns), columns)
}

fn year_len(columns: &[Column]) -> usize {
    columns.first().map_or(0, |c| c.len())
}

/// The Parquet bytes of a table.
pub fn parquet_bytes(table: &TableResult) -> PolarsResult<Vec<u8>> {
    let mut df = long_frame(table)?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .with_row_group_size(None)
        .set_parallel(false)
        .finish(&mut df)?;
    let value: Metadata = [(
        "description",
        "money rows in 万元 (see value_text for the exact amount and unit for each row's unit)",
    )]
    .into_iter()
    .map(|(k, v)| (PlSmallStr::from(k), PlSmallStr::from(v)))
    .collect();
    portable(buf, df.schema(), &[("value", value)])
}

/// Writes a table in long form to Parquet.
pub fn write_parquet(
    table: &TableResult,
    path: &Path,
    sink: &super::OutputWriter,
) -> Result<super::Written, EmitError> {
    let bytes = parquet_bytes(table).map_err(|source| EmitError::Parquet {
        path: path.to_path_buf(),
        source,
    })?;
    sink.put(path, bytes).map_err(EmitError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::grid::tests::{annual_wide, totals_only, ytd_long};
    use crate::emit::OutputWriter;

    #[test]
    fn deterministic_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        for t in [annual_wide(), totals_only(), ytd_long()] {
            let a = dir.path().join(format!("{}-a.parquet", t.name));
            let b = dir.path().join(format!("{}-b.parquet", t.name));
            write_parquet(&t, &a, &OutputWriter::default()).unwrap();
            write_parquet(&t, &b, &OutputWriter::default()).unwrap();
            assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
            let df = ParquetReader::new(std::fs::File::open(&a).unwrap())
                .finish()
                .unwrap();
            assert_eq!(df.height(), t.rows.len());
            assert_eq!(df, long_frame(&t).unwrap());
        }
    }

    #[test]
    fn columns() {
        let df = long_frame(&ytd_long()).unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "year",
                "month",
                "kind",
                "metric",
                "value",
                "value_text",
                "unit"
            ]
        );
        assert_eq!(df.column("year").unwrap().dtype(), &DataType::Int32);
        assert_eq!(df.column("month").unwrap().dtype(), &DataType::Int32);
        assert_eq!(df.column("value").unwrap().dtype(), &DataType::Float64);
        let kind = df.column("kind").unwrap().str().unwrap().clone();
        assert_eq!(kind.get(0), Some("合计"));
        assert_eq!(kind.get(3), Some("补助,房租"));
        let value = df.column("value").unwrap().f64().unwrap().clone();
        assert_eq!(value.get(1), Some(4207.0));
        assert_eq!(value.get(8), None);
        let text = df.column("value_text").unwrap().str().unwrap().clone();
        assert_eq!(text.get(1), Some("4207.0000"));
        assert_eq!(text.get(2), Some("64.1850"));
        assert_eq!(text.get(8), None);
        assert_eq!(text.get(10), Some("12.3457"));

        let df = long_frame(&annual_wide()).unwrap();
        assert_eq!(df.column("month").unwrap().null_count(), df.height());
        let df = long_frame(&totals_only()).unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            vec!["year", "month", "metric", "value", "value_text", "unit"]
        );
        let unit = df.column("unit").unwrap().str().unwrap().clone();
        assert_eq!(unit.get(1), Some("万元"));
    }
}

//! CSV: the display grid of one table, and plain records (rejected rows).
//!
//! RFC 4180 quoting, "\n" line endings, UTF-8 with an optional byte-order mark (Excel on
//! Chinese Windows needs it to read UTF-8). Values are written as their exact decimal text,
//! without thousands separators.

use super::layout::{display, CellOut};
use super::{EmitError, Sink, Written};
use crate::aggregate::TableResult;
use std::path::Path;

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// Quotes a field when it holds a comma, a quote or a line break (RFC 4180).
pub fn quote(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

/// One CSV line, without its line ending.
pub fn line<S: AsRef<str>>(fields: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(f.as_ref()));
    }
    out
}

/// Lines joined with "\n" (a final one included), after a BOM when asked.
pub(crate) fn document(lines: impl IntoIterator<Item = String>, bom: bool) -> String {
    let mut out = String::new();
    if bom {
        out.push_str(BOM);
    }
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The CSV text of a table's display grid.
pub fn csv_text(table: &TableResult, bom: bool) -> String {
    let grid = display(table);
    let lines = std::iter::once(line(&grid.headers))
        .chain(grid.rows.iter().map(|r| line(r.iter().map(CellOut::text))));
    document(lines, bom)
}

/// Writes a table as it is displayed, one CSV per table.
pub fn write_csv(
    table: &TableResult,
    path: &Path,
    bom: bool,
    sink: &Sink,
) -> Result<Written, EmitError> {
    sink.put(path, csv_text(table, bom))
        .map_err(EmitError::io(path))
}

/// Writes plain records under a header (e.g. `rejected.csv`).
pub fn write_records<I>(
    path: &Path,
    headers: &[&str],
    rows: I,
    bom: bool,
    sink: &Sink,
) -> Result<Written, EmitError>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let lines = std::iter::once(line(headers)).chain(rows.into_iter().map(line));
    sink.put(path, document(lines, bom))
        .map_err(EmitError::io(path))
}

/// The text of one frame cell: empty for null, shortest round-trip text for floats.
fn any_text(v: polars::prelude::AnyValue) -> String {
    use polars::prelude::AnyValue;
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::Float64(f) => f.to_string(),
        AnyValue::Float32(f) => f.to_string(),
        other => other.to_string(),
    }
}

/// Writes a clean-data frame as CSV under its column names.
pub fn write_frame_csv(
    frame: &polars::prelude::DataFrame,
    path: &Path,
    bom: bool,
    sink: &Sink,
) -> Result<Written, EmitError> {
    let cols = frame.columns();
    let headers: Vec<&str> = cols.iter().map(|c| c.name().as_str()).collect();
    let rows = (0..frame.height()).map(|i| {
        cols.iter()
            .map(|c| c.get(i).map(any_text).unwrap_or_default())
            .collect::<Vec<String>>()
    });
    write_records(path, &headers, rows, bom, sink)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::layout::tests::{annual_wide, totals_only, ytd_long};

    #[test]
    fn quoting() {
        assert_eq!(
            line(["a", "b,c", "say \"hi\"", "x\ny", ""]),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\","
        );
    }

    #[test]
    fn table_csv() {
        let text = csv_text(&annual_wide(), false);
        assert_eq!(
            text,
            "建设性质,2021年项目个数,2022年项目个数,项目个数同比(%),2021年总投资(万元),2022年总投资(万元),总投资同比(%),总投资构成(%)\n\
             合计,50,55,10.00,100000.0000,117300.0000,17.30,100.00\n\
             续建,30,38,26.67,60000.0001,70000.0000,16.67,59.68\n\
             新建,20,17,-15.00,40000.0000,47300.0000,18.25,40.32\n"
        );
        assert_eq!(
            csv_text(&totals_only(), false),
            "项目,2022年项目数,2022年金额(亿元)\n合计,9,11.73\n"
        );
        assert_eq!(
            csv_text(&ytd_long(), false),
            "年份,月份,类型,户数,金额(万元),达标率(%)\n\
             2022,1-12,合计,35913,4207.00,64.19\n\
             2022,1-12,\"补助,房租\",35903,1837.00,0.00\n\
             2022,1-12,\"奖励\"\"区级\"\"\",10,2370.00,\n\
             2023,1-3,合计,120,12.35,50.00\n"
        );
    }

    #[test]
    fn bom_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        write_csv(&totals_only(), &p, true, &Sink::default()).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        assert_eq!(
            &bytes[3..],
            "项目,2022年项目数,2022年金额(亿元)\n合计,9,11.73\n".as_bytes()
        );
        write_csv(&totals_only(), &p, false, &Sink::default()).unwrap();
        assert_eq!(std::fs::read(&p).unwrap()[0], "项".as_bytes()[0]);

        let r = dir.path().join("rejected.csv");
        write_records(
            &r,
            &["file", "value"],
            vec![vec!["a.xlsx".to_string(), "1,2".to_string()]],
            false,
            &Sink::default(),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&r).unwrap(),
            "file,value\na.xlsx,\"1,2\"\n"
        );
        let err = write_csv(
            &totals_only(),
            &dir.path().join("missing/t.csv"),
            true,
            &Sink::default(),
        )
        .unwrap_err();
        assert!(err.path().ends_with("missing/t.csv"));
    }
}

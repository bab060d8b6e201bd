//! CSV: the display grid of one table, and plain records (rejected rows).
//!
//! RFC 4180 quoting, "\n" line endings, UTF-8 with an optional byte-order mark (Excel on
//! Chinese Windows needs it to read UTF-8). Values are written as their exact decimal text,
//! without thousands separators. Every field of every CSV passes through [`line`], which
//! guards text a spreadsheet would evaluate as a formula (see [`CsvStyle`]).

use super::grid::{display, CellOut};
use super::{EmitError, OutputWriter, Written};
use crate::aggregate::TableResult;
pub use crate::config::CsvStyle;
use std::borrow::Cow;
use std::path::Path;

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// Quotes a field when it holds a comma, a quote or a line break (RFC 4180).
pub fn quote(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

/// Text that Excel, LibreOffice or WPS would read as a formula (`=HYPERLINK(…)`, `=cmd|…`,
/// `@SUM(…)`) gets a leading `'`, which they show as text. A number keeps its sign: `-12.5`
/// stays a negative amount; a lone `-`, the tables' mark for "none", has nothing to evaluate.
pub fn guard_formula(field: &str) -> Cow<'_, str> {
    let risky = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && field != "-" && !is_number(field) {
        format!("'{field}").into()
    } else {
        field.into()
    }
}

/// A plain decimal number as yearbook writes them: a sign, digits, at most one point.
fn is_number(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// One CSV line, without its line ending.
pub fn line<S: AsRef<str>>(fields: impl IntoIterator<Item = S>, style: CsvStyle) -> String {
    let mut out = String::new();
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = f.as_ref();
        match style.guard_formulas {
            true => out.push_str(&quote(&guard_formula(f))),
            false => out.push_str(&quote(f)),
        }
    }
    out
}

/// Lines joined with "\n" (a final one included), after a BOM when asked.
pub(crate) fn document(lines: impl IntoIterator<Item = String>, style: CsvStyle) -> String {
    let mut out = String::new();
    if style.bom {
        out.push_str(BOM);
    }
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The CSV text of a table's display grid.
pub fn csv_text(table: &TableResult, style: CsvStyle) -> String {
    let grid = display(table);
    let lines = std::iter::once(line(&grid.headers, style)).chain(
        grid.rows
            .iter()
            .map(|r| line(r.iter().map(CellOut::text), style)),
    );
    document(lines, style)
}

/// Writes a table as it is displayed, one CSV per table.
pub fn write_csv(
    table: &TableResult,
    path: &Path,
    style: CsvStyle,
    sink: &OutputWriter,
) -> Result<Written, EmitError> {
    sink.put(path, csv_text(table, style))
        .map_err(EmitError::io(path))
}

/// Writes plain records under a header (e.g. `rejected.csv`).
pub fn write_records<I>(
    path: &Path,
    headers: &[&str],
    rows: I,
    style: CsvStyle,
    sink: &OutputWriter,
) -> Result<Written, EmitError>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let lines =
        std::iter::once(line(headers, style)).chain(rows.into_iter().map(|r| line(r, style)));
    sink.put(path, document(lines, style))
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
    style: CsvStyle,
    sink: &OutputWriter,
) -> Result<Written, EmitError> {
    let cols = frame.columns();
    let headers: Vec<&str> = cols.iter().map(|c| c.name().as_str()).collect();
    let rows = (0..frame.height()).map(|i| {
        cols.iter()
            .map(|c| c.get(i).map(any_text).unwrap_or_default())
            .collect::<Vec<String>>()
    });
    write_records(path, &headers, rows, style, sink)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::grid::tests::{annual_wide, totals_only, ytd_long};

    const NO_BOM: CsvStyle = CsvStyle {
        bom: false,
        guard_formulas: true,
    };
    const BOM_ON: CsvStyle = CsvStyle {
        bom: true,
        guard_formulas: true,
    };

    #[test]
    fn quoting() {
        assert_eq!(
            line(["a", "b,c", "say \"hi\"", "x\ny", ""], NO_BOM),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\","
        );
    }

    #[test]
    fn text_a_spreadsheet_would_evaluate_is_guarded_and_numbers_are_not() {
        for (raw, shown) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "-"),
            ("--1", "'--1"),
            ("-12.5", "-12.5"),
            ("+7", "+7"),
            ("-.5", "-.5"),
            ("项目=1", "项目=1"),
            ("", ""),
        ] {
            assert_eq!(guard_formula(raw), shown, "{raw:?}");
        }
        assert_eq!(line(["=1+1", "-3", "a,=b"], NO_BOM), "'=1+1,-3,\"a,=b\"");
        let machine = CsvStyle {
            bom: false,
            guard_formulas: false,
        };
        assert_eq!(line(["=1+1", "-3"], machine), "=1+1,-3");
    }

    #[test]
    fn table_csv() {
        let text = csv_text(&annual_wide(), NO_BOM);
        assert_eq!(
            text,
            "建设性质,2021年项目个数,2022年项目个数,项目个数同比(%),2021年总投资(万元),2022年总投资(万元),总投资同比(%),总投资构成(%)\n\
             合计,50,55,10,100000,117300,17.3,100\n\
             续建,30,38,26.666666666666668,60000.00005,70000,16.66666666,59.676044\n\
             新建,20,17,-15,39999.99995,47300,18.250000001,40.323956\n"
        );
        assert_eq!(
            csv_text(&totals_only(), NO_BOM),
            "项目,2022年项目数,2022年金额(亿元)\n合计,9,11.73\n"
        );
        assert_eq!(
            csv_text(&ytd_long(), NO_BOM),
            "年份,月份,类型,户数,金额(万元),达标率(%)\n\
             2022,12,合计,35913,4207,64.185\n\
             2022,12,\"补助,房租\",35903,1837,-0.00001\n\
             2022,12,\"奖励\"\"区级\"\"\",10,2370,\n\
             2023,3,合计,120,12.345678,50\n"
        );
    }

    #[test]
    fn bom_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        write_csv(&totals_only(), &p, BOM_ON, &OutputWriter::default()).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        assert_eq!(
            &bytes[3..],
            "项目,2022年项目数,2022年金额(亿元)\n合计,9,11.73\n".as_bytes()
        );
        write_csv(&totals_only(), &p, NO_BOM, &OutputWriter::default()).unwrap();
        assert_eq!(std::fs::read(&p).unwrap()[0], "项".as_bytes()[0]);

        let r = dir.path().join("rejected.csv");
        write_records(
            &r,
            &["file", "value"],
            vec![vec!["a.xlsx".to_string(), "1,2".to_string()]],
            NO_BOM,
            &OutputWriter::default(),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&r).unwrap(),
            "file,value\na.xlsx,\"1,2\"\n"
        );
        let err = write_csv(
            &totals_only(),
            &dir.path().join("missing/t.csv"),
            BOM_ON,
            &OutputWriter::default(),
        )
        .unwrap_err();
        assert!(err.path().ends_with("missing/t.csv"));
    }
}

//! XLSX: one workbook, a sheet per table, laid out like a published statistical table (NBS
//! style, see [`super::grid::print`]).
//!
//! Row 1 the title (bold, centred, merged across the table), row 2 `单位：万元` right-aligned
//! when the table has money and no 单位 column, then the bold bordered header (two rows when
//! the grid has bands), the data rows (合计 bold, thousands separators, fixed decimals per
//! metric; percentages stored as 64.18 with format `0.0`, never Excel's `%`), and the lines
//! `注：…` and `资料来源：…`. Panes are frozen below the header and right of the label columns;
//! printed on A4 landscape, one page wide, the header repeated on every page. The document's
//! creation time is fixed, so the same tables give the same bytes on every run.

use super::grid::{print, CellOut, Grid};
use super::EmitError;
use crate::aggregate::{MetricKind, TableResult};
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};
use std::borrow::Cow;
use std::path::Path;

/// The most text one cell holds, in UTF-16 code units as Excel counts them.
pub const MAX_CELL_TEXT: usize = 32_767;

/// What every sheet's title block and note line say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMeta {
    /// The publication's title (the workbook's document title).
    pub title: String,
    /// Data source for the 注 line.
    pub source: Option<String>,
    /// The period the data reaches, e.g. `2022年1—12月`.
    pub period_label: String,
}

/// Writes all tables into one workbook.
pub fn write_xlsx(
    tables: &[TableResult],
    meta: &TableMeta,
    path: &Path,
    sink: &super::OutputWriter,
) -> Result<super::Written, EmitError> {
    let bytes = xlsx_bytes(tables, meta).map_err(|source| EmitError::Xlsx {
        path: path.to_path_buf(),
        source,
    })?;
    sink.put(path, bytes).map_err(EmitError::io(path))
}

/// The workbook's bytes.
pub fn xlsx_bytes(tables: &[TableResult], meta: &TableMeta) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(&meta.title)
            .set_creation_datetime(&created),
    );
    let names = sheet_names(tables);
    for (table, name) in tables.iter().zip(&names) {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        write_sheet(sheet, table, meta)?;
    }
    workbook.save_to_buffer()
}

/// Sheet names: the titles, at most 31 characters, without `[]:*?/\`, unique ignoring case.
pub fn sheet_names(tables: &[TableResult]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tables {
        let clean: String = t
            .title
            .chars()
            .map(|c| {
                if "[]:*?/\\".contains(c) || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let clean = clean.trim().trim_matches('\'').to_string();
        let base = if clean.is_empty() {
            t.name.clone()
        } else {
            clean
        };
        let base = if base.is_empty() || base.eq_ignore_ascii_case("History") {
            format!("Sheet{}", out.len() + 1)
        } else {
            base
        };
        let taken = |s: &str| out.iter().any(|o| o.to_lowercase() == s.to_lowercase());
        let mut name: String = base.chars().take(31).collect();
        let mut n = 2;
        while taken(&name) {
            let suffix = format!("({n})");
            name = base
                .chars()
                .take(31 - suffix.chars().count())
                .collect::<String>()
                + &suffix;
            n += 1;
        }
        out.push(name);
    }
    out
}

/// Text cut to what one cell holds, at a character boundary. The CSV, Parquet and clean-data
/// files keep the whole text; [`overlong_cells`] names each cell cut.
fn fit(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_CELL_TEXT {
        return text.into();
    }
    let mut units = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units > MAX_CELL_TEXT {
            return text[..i].to_string().into();
        }
    }
    text.into()
}

/// Every text cell of the workbook longer than one cell holds, as a warning naming its sheet
/// and cell, in table and cell order.
pub fn overlong_cells(tables: &[TableResult]) -> Vec<String> {
    let names = sheet_names(tables);
    let mut out = Vec::new();
    for (table, name) in tables.iter().zip(&names) {
        let grid = print(table);
        let plan = Plan::of(table, &grid);
        let title = std::iter::once((0, 0, table.title.as_str()));
        let bands = grid
            .bands
            .iter()
            .map(|b| (plan.header, b.first, b.label.as_str()))
            .collect::<Vec<_>>();
        let headers = grid.headers.iter().enumerate().map(|(c, h)| {
            let row = match grid
                .bands
                .iter()
                .any(|b| (b.first..b.first + b.span).contains(&c))
            {
                true => plan.header + 1,
                false => plan.header,
            };
            (row, c, h.as_str())
        });
        let cells = grid.rows.iter().enumerate().flat_map(|(r, cells)| {
            cells
                .iter()
                .enumerate()
                .filter_map(move |(c, cell)| match cell {
                    CellOut::Text(s) => Some((plan.data + r as u32, c, s.as_str())),
                    _ => None,
                })
        });
        for (row, col, text) in title.chain(bands).chain(headers).chain(cells) {
            let units = text.encode_utf16().count();
            if units > MAX_CELL_TEXT {
                out.push(crate::i18n::t!(
                    "xlsx.overlong",
                    name = name,
                    v = crate::model::a1(row, col as u32),
                    units = units,
                    MAX_CELL_TEXT = MAX_CELL_TEXT
                ));
            }
        }
    }
    out
}

/// Where a sheet's parts go.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Whether row 2 is a `单位：万元` line.
    unit_line: bool,
    /// The first header row.
    header: u32,
    /// The first data row.
    data: u32,
}

impl Plan {
    fn of(table: &TableResult, grid: &Grid) -> Plan {
        let money = table.metrics.iter().any(|m| m.kind == MetricKind::Money);
        // A table without dimensions has a 单位 column instead.
        let unit_column = table.wide && table.dims.is_empty();
        let unit_line = money && !unit_column;
        let header = 1 + unit_line as u32;
        let data = header + 1 + !grid.bands.is_empty() as u32;
        Plan {
            unit_line,
            header,
            data,
        }
    }
}

/// Columns of display text, CJK characters counting two.
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            if u >= 0x2E80 && !(0xFF61..=0xFF9F).contains(&u) {
                2
            } else {
                1
            }
        })
        .sum()
}

/// The Excel number format of a metric: thousands separators, `decimals` places.
pub fn number_format(_kind: MetricKind, decimals: u8) -> String {
    if decimals == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(decimals as usize))
    }
}

/// Column widths that fit the text: labels and numbers whole, headers wrapped past 14
/// columns of text (a band's label spreads over its columns).
fn column_widths(grid: &Grid) -> Vec<f64> {
    (0..grid.headers.len())
        .map(|c| {
            let data = grid
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|cell| match cell {
                    CellOut::Text(s) => display_width(s),
                    CellOut::Number { text, .. } => text.len(),
                    CellOut::Empty => 0,
                })
                .max()
                .unwrap_or(0);
            let header = display_width(&grid.headers[c]).min(14);
            let band = grid
                .bands
                .iter()
                .find(|b| b.first == c && b.span == 1)
                .map_or(0, |b| display_width(&b.label).min(14));
            (data.max(header).max(band).max(6) + 2).min(60) as f64
        })
        .collect()
}

fn write_sheet(
    sheet: &mut Worksheet,
    table: &TableResult,
    meta: &TableMeta,
) -> Result<(), XlsxError> {
    let grid = print(table);
    let plan = Plan::of(table, &grid);
    let width = grid.headers.len().max(1) as u16;
    let last_col = width - 1;

    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let unit_line = Format::new().set_align(FormatAlign::Right);
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let bordered = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter);
    let text_cell = bordered.clone().set_align(FormatAlign::Left);
    let note = Format::new().set_align(FormatAlign::Left);

    merged_text(sheet, 0, last_col, &fit(&table.title), &title)?;
    sheet.set_row_height(0, 24)?;
    if plan.unit_line {
        merged_text(
            sheet,
            1,
            last_col,
            &format!("单位：{}", table.unit),
            &unit_line,
        )?;
    }
    let h = plan.header;
    let banded = |c: usize| {
        grid.bands
            .iter()
            .any(|b| (b.first..b.first + b.span).contains(&c))
    };
    for (c, text) in grid.headers.iter().enumerate() {
        let col = c as u16;
        match (grid.bands.is_empty(), banded(c)) {
            (true, _) => sheet.write_string_with_format(h, col, fit(text).as_ref(), &header)?,
            (false, true) => {
                sheet.write_string_with_format(h + 1, col, fit(text).as_ref(), &header)?
            }
            (false, false) => sheet.merge_range(h, col, h + 1, col, fit(text).as_ref(), &header)?,
        };
    }
    for b in &grid.bands {
        let (first, last) = (b.first as u16, (b.first + b.span.max(1) - 1) as u16);
        if first == last {
            sheet.write_string_with_format(h, first, fit(&b.label).as_ref(), &header)?;
        } else {
            sheet.merge_range(h, first, h, last, fit(&b.label).as_ref(), &header)?;
        }
    }
    let mut row = plan.data;
    for (cells, &total) in grid.rows.iter().zip(&grid.total_rows) {
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                CellOut::Text(s) => {
                    let f = if total {
                        text_cell.clone().set_bold()
                    } else {
                        text_cell.clone()
                    };
                    sheet.write_string_with_format(row, c, fit(s).as_ref(), &f)?;
                }
                CellOut::Number {
                    value,
                    kind,
                    decimals,
                    ..
                } => {
                    let f = bordered
                        .clone()
                        .set_num_format(number_format(*kind, *decimals));
                    let f = if total { f.set_bold() } else { f };
                    sheet.write_number_with_format(row, c, *value, &f)?;
                }
                CellOut::Empty => {
                    sheet.write_blank(row, c, &bordered)?;
                }
            }
        }
        row += 1;
    }
    for line in notes(table, meta) {
        sheet.write_string_with_format(row, 0, fit(&line).as_ref(), &note)?;
        row += 1;
    }

    for (c, w) in column_widths(&grid).into_iter().enumerate() {
        sheet.set_column_width(c as u16, w)?;
    }
    sheet.set_freeze_panes(plan.data, grid.key_columns as u16)?;
    sheet.set_repeat_rows(plan.header, plan.data - 1)?;
    sheet.set_paper_size(9); // A4
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_center_horizontally(true);
    Ok(())
}

/// The lines under a table: `注：…` (the period the data reaches; 1—N月 values are
/// cumulative) and `资料来源：…` when the pipeline names a source.
pub fn notes(table: &TableResult, meta: &TableMeta) -> Vec<String> {
    let cumulative = match super::grid::MonthStyle::infer(table) {
        super::grid::MonthStyle::Ytd if table.rows.iter().any(|r| r.month.is_some()) => {
            "1—N月数据为累计数；"
        }
        _ => "",
    };
    let mut out = vec![format!("注：{cumulative}数据截至{}。", meta.period_label)];
    if let Some(s) = meta
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        out.push(format!("资料来源：{s}"));
    }
    out
}

/// Text across columns 0..=last_col of a row, merged when wider than one column.
fn merged_text(
    sheet: &mut Worksheet,
    row: u32,
    last_col: u16,
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if last_col == 0 {
        sheet.write_string_with_format(row, 0, text, format)?;
    } else {
        sheet.merge_range(row, 0, row, last_col, text, format)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::grid::tests::{annual_wide, totals_only, ytd_long};
    use crate::emit::OutputWriter;
    use calamine::{open_workbook, Data, Reader, Xlsx};
    use std::io::Read;

    fn meta() -> TableMeta {
        TableMeta {
            title: "某区重点统计数据".into(),
            source: Some("某区统计局".into()),
            period_label: "2022年1—12月".into(),
        }
    }

    #[test]
    fn bytes_are_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let tables = [annual_wide(), totals_only(), ytd_long()];
        let a = dir.path().join("a.xlsx");
        let b = dir.path().join("b.xlsx");
        write_xlsx(&tables, &meta(), &a, &OutputWriter::default()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        write_xlsx(&tables, &meta(), &b, &OutputWriter::default()).unwrap();
        let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        assert_eq!(a, b);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(a)).unwrap();
        let mut core = String::new();
        zip.by_name("docProps/core.xml")
            .unwrap()
            .read_to_string(&mut core)
            .unwrap();
        assert!(core.contains("2000-01-01T00:00:00Z"), "{core}");
    }

    #[test]
    fn reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.xlsx");
        write_xlsx(
            &[annual_wide(), totals_only(), ytd_long()],
            &meta(),
            &p,
            &OutputWriter::default(),
        )
        .unwrap();
        let mut wb: Xlsx<_> = open_workbook(&p).unwrap();
        assert_eq!(
            wb.sheet_names(),
            vec!["5000万元以上项目情况", "专项债券", "补贴资金"]
        );

        let r = wb.worksheet_range("5000万元以上项目情况").unwrap();
        let s = |row: u32, col: u32| r.get_value((row, col)).cloned().unwrap_or(Data::Empty);
        assert_eq!(s(0, 0), Data::String("5000万元以上项目情况".into()));
        assert_eq!(s(1, 0), Data::String("单位：万元".into()));
        // Two header rows: each measure over its periods.
        assert_eq!(s(2, 0), Data::String("建设性质".into()));
        assert_eq!(s(2, 1), Data::String("项目个数".into()));
        assert_eq!(s(2, 4), Data::String("总投资(万元)".into()));
        assert_eq!(s(3, 1), Data::String("2021年".into()));
        assert_eq!(s(3, 3), Data::String("同比增长(%)".into()));
        assert_eq!(s(3, 7), Data::String("构成(%)".into()));
        assert_eq!(s(4, 0), Data::String("合计".into()));
        assert_eq!(s(4, 1), Data::Float(50.0));
        assert_eq!(s(4, 5), Data::Float(117300.0));
        assert_eq!(s(5, 0), Data::String("续建".into()));
        assert_eq!(s(5, 3), Data::Float(26.666666666666668));
        assert_eq!(s(7, 0), Data::String("注：数据截至2022年1—12月。".into()));
        assert_eq!(s(8, 0), Data::String("资料来源：某区统计局".into()));

        // No dimensions: the measures down the rows, their units in a column.
        let r = wb.worksheet_range("专项债券").unwrap();
        let s = |row: u32, col: u32| r.get_value((row, col)).cloned().unwrap_or(Data::Empty);
        assert_eq!(s(1, 0), Data::String("指标".into()));
        assert_eq!(s(1, 1), Data::String("单位".into()));
        assert_eq!(s(1, 2), Data::String("2022年".into()));
        assert_eq!(s(2, 0), Data::String("项目数".into()));
        assert_eq!(s(2, 2), Data::Float(9.0));
        assert_eq!(s(3, 0), Data::String("金额".into()));
        assert_eq!(s(3, 1), Data::String("亿元".into()));
        assert_eq!(s(3, 2), Data::Float(11.73));

        let r = wb.worksheet_range("补贴资金").unwrap();
        let s = |row: u32, col: u32| r.get_value((row, col)).cloned().unwrap_or(Data::Empty);
        assert_eq!(s(2, 0), Data::String("时期".into()));
        assert_eq!(s(3, 0), Data::String("2022年1—12月".into()));
        assert_eq!(s(3, 1), Data::String("合计".into()));
        assert_eq!(s(5, 4), Data::Empty);
        assert_eq!(
            s(7, 0),
            Data::String("注：1—N月数据为累计数；数据截至2022年1—12月。".into())
        );
    }

    #[test]
    fn styles_and_print_setup() {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(
            xlsx_bytes(&[annual_wide()], &meta()).unwrap(),
        ))
        .unwrap();
        let mut styles = String::new();
        zip.by_name("xl/styles.xml")
            .unwrap()
            .read_to_string(&mut styles)
            .unwrap();
        assert!(styles.contains("formatCode=\"#,##0.0000\""), "{styles}");
        assert!(styles.contains("formatCode=\"#,##0.00\""), "{styles}");
        assert!(!styles.contains('%'));
        let mut sheet = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut sheet)
            .unwrap();
        for part in [
            "<mergeCell ref=\"A1:H1\"/>",
            "<mergeCell ref=\"A3:A4\"/>",
            "<mergeCell ref=\"B3:D3\"/>",
            "<mergeCell ref=\"E3:H3\"/>",
            "ySplit=\"4\"",
            "xSplit=\"1\"",
            "paperSize=\"9\"",
            "orientation=\"landscape\"",
            "fitToHeight=\"0\"",
            "horizontalCentered=\"1\"",
        ] {
            assert!(sheet.contains(part), "{part} in {sheet}");
        }
        let mut book = String::new();
        zip.by_name("xl/workbook.xml")
            .unwrap()
            .read_to_string(&mut book)
            .unwrap();
        assert!(book.contains("$3:$4"), "{book}");
    }

    #[test]
    fn widths_fit_chinese_labels() {
        let mut t = annual_wide();
        t.rows[5].key = Some(vec!["新建（含改扩建）项目".into()]);
        for r in t
            .rows
            .iter_mut()
            .filter(|r| r.key.as_deref() == Some(&["续建".to_string()][..]))
        {
            r.key = Some(vec!["新建（含改扩建）项目".into()]);
        }
        let w = column_widths(&print(&t));
        assert!(
            w[0] >= display_width("新建（含改扩建）项目") as f64,
            "{w:?}"
        );
    }

    #[test]
    fn names_and_widths() {
        let mut a = totals_only();
        a.title = "表[1]: 资金/补贴*情况?\\一二三四五六七八九十一二三四五六七八九十".into();
        let b = a.clone();
        let mut c = totals_only();
        c.title = String::new();
        let names = sheet_names(&[a, b, c]);
        assert_eq!(
            names[0],
            "表_1__ 资金_补贴_情况__一二三四五六七八九十一二三四五"
        );
        assert_eq!(names[0].chars().count(), 31);
        assert_eq!(
            names[1],
            "表_1__ 资金_补贴_情况__一二三四五六七八九十一二(2)"
        );
        assert_eq!(names[2], "bonds");
        assert_eq!(display_width("合计a"), 5);
        assert_eq!(crate::emit::grid::grouped("-1234567.50"), "-1,234,567.50");
        assert_eq!(crate::emit::grid::grouped("123"), "123");
        assert_eq!(number_format(MetricKind::Count, 0), "#,##0");
        assert_eq!(number_format(MetricKind::Points, 1), "#,##0.0");
    }
}

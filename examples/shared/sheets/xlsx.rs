//! Writes a [`Book`] as xlsx with rust_xlsxwriter: formulas keep their cached results, and a
//! fixed creation date keeps the bytes the same on every run.

use super::book::{Book, Cell};
use rust_xlsxwriter::{
    CalculationMode, DocProperties, ExcelDateTime, Format, Formula, Workbook, XlsxError,
};
use std::path::Path;

pub fn write_xlsx(book: &Book, path: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2023, 1, 10)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    // Without `fullCalcOnLoad`, as a workbook saved by Excel: its cached results stand, a
    // cached 0 included (readers take a 0 under that flag for a placeholder).
    wb.set_calculation_mode(CalculationMode::Manual);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    // A workbook opens on a visible sheet: the first one cannot be hidden.
    let active = book.sheets.iter().position(|s| !s.hidden && !s.very_hidden);
    for (index, sheet) in book.sheets.iter().enumerate() {
        let ws = wb.add_worksheet();
        if Some(index) == active && index > 0 {
            ws.set_active(true);
        }
        ws.set_name(&sheet.name)?;
        for (&(row, col), cell) in &sheet.cells {
            if sheet
                .merges
                .iter()
                .any(|m| (m.0, m.1) == (row, col) && (m.2, m.3) != (row, col))
            {
                continue;
            }
            match cell {
                Cell::Text(t) => {
                    ws.write_string(row, col, t)?;
                }
                Cell::Number(n) => match sheet.formulas.get(&(row, col)) {
                    Some(f) => {
                        let formula = Formula::new(format!("={f}")).set_result(n.to_string());
                        ws.write_formula(row, col, formula)?;
                    }
                    None => {
                        ws.write_number(row, col, *n)?;
                    }
                },
                Cell::Date { year, month, day } => {
                    let d = ExcelDateTime::from_ymd(*year as u16, *month as u8, *day as u8)?;
                    ws.write_datetime_with_format(row, col, &d, &date)?;
                }
            }
        }
        for &(r0, c0, r1, c1) in &sheet.merges {
            let text = match sheet.cells.get(&(r0, c0)) {
                Some(Cell::Text(t)) => t.clone(),
                _ => String::new(),
            };
            ws.merge_range(r0, c0, r1, c1, &text, &Format::new())?;
        }
        if sheet.very_hidden {
            ws.set_very_hidden(true);
        } else if sheet.hidden {
            ws.set_hidden(true);
        }
    }
    wb.save(path)
}

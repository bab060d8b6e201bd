//! A format-neutral workbook the generators fill, then write as xlsx, xls or ods.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A real date cell (shown with a date format).
    Date {
        year: i32,
        month: u32,
        day: u32,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub hidden: bool,
    /// Hidden so that only a macro can show it again (xlsx and xls; ods has plain hidden only).
    pub very_hidden: bool,
    /// (row, col), both 0-based.
    pub cells: BTreeMap<(u32, u16), Cell>,
    /// Merged ranges as (first_row, first_col, last_row, last_col), inclusive, 0-based.
    /// The value sits in the top-left cell only.
    pub merges: Vec<(u32, u16, u32, u16)>,
    /// Formulas (without `=`) of number cells in `cells`, whose value is the cached result.
    pub formulas: BTreeMap<(u32, u16), String>,
}

#[derive(Debug, Clone, Default)]
pub struct Book {
    pub sheets: Vec<Sheet>,
}

impl Sheet {
    pub fn new(name: &str) -> Sheet {
        Sheet {
            name: name.to_string(),
            ..Sheet::default()
        }
    }
    pub fn text(&mut self, row: u32, col: u16, s: &str) {
        self.cells.insert((row, col), Cell::Text(s.to_string()));
    }
    pub fn num(&mut self, row: u32, col: u16, v: f64) {
        self.cells.insert((row, col), Cell::Number(v));
    }
}

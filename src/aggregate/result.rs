//! What aggregation hands to the writers: each table in long form, typed.

use crate::model::MoneyUnit;

/// How a metric's values are stored and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MetricKind {
    /// Fen (0.01 元); shown in the table's unit.
    Money,
    /// Whole numbers (counts, distinct counts).
    Count,
    /// Plain numbers (means of counts, min/max of percent fields).
    Number,
    /// A percentage (64.18 means 64.18%): rates, 同比, 构成, 贡献率.
    Percent,
    /// Percentage points (拉动, growth of a rate).
    Points,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricDef {
    /// The measure's name from the pipeline, or a derived name such as `金额同比`.
    pub name: String,
    pub kind: MetricKind,
    /// Decimals shown in XLSX and index.html.
    pub decimals: u8,
    /// A count's unit (个, 户, 笔 …) for the 单位 column and charts; empty when unknown.
    #[serde(default)]
    pub unit: String,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum MetricValue {
    Fen(i64),
    Int(i64),
    Float(f64),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AggRow {
    pub year: i32,
    /// None for annual rows.
    pub month: Option<u32>,
    /// One value per dimension of the table; None for the grand total (合计).
    pub key: Option<Vec<String>>,
    /// Index into `TableResult::metrics`.
    pub metric: usize,
    /// None where a value is undefined (growth from a zero or absent base).
    pub value: Option<MetricValue>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableResult {
    pub name: String,
    pub title: String,
    /// Money unit the table is shown in.
    pub unit: MoneyUnit,
    /// Dimension field names (the `by` list); empty for a totals-only table.
    pub dims: Vec<String>,
    /// Column headings for the dimensions (the field's first synonym, e.g. 建设性质).
    pub dim_titles: Vec<String>,
    pub metrics: Vec<MetricDef>,
    /// Sorted: year, month (annual first), 合计 before keys, keys in order of the first
    /// metric's value descending then key text, then metric index.
    pub rows: Vec<AggRow>,
    /// True when the table is to be shown with years as columns.
    pub wide: bool,
    /// Doubts about the table's figures (a 1—N月 group that falls), one line each.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Whether month rows are 1—N月 cumulative (true) or single months (false); None for
    /// annual tables or when not known.
    #[serde(default)]
    pub ytd: Option<bool>,
}

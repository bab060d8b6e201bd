//! The pipeline file as written: serde model with defaults and no cross-checks.
//! `crate::config::resolve` turns it into a validated [`crate::config::Pipeline`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    /// Short ASCII name; output goes to `OUT/<name>/<period>/`.
    pub name: String,
    /// Title shown in the report and table notes, e.g. "长春市二道区重点统计数据".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Data source written into each table's 注 line.
    #[serde(default)]
    pub source: Option<String>,
    pub inputs: RawInputs,
    #[serde(default)]
    pub output: RawOutput,
    pub datasets: BTreeMap<String, RawDataset>,
    #[serde(default)]
    pub tables: Vec<RawTable>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charts: Vec<RawChart>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawChart {
    /// File name of the chart (`charts/<name>.png`).
    pub name: String,
    /// The table drawn.
    pub table: String,
    /// bar, stacked, line, bar_line or share.
    pub kind: String,
    /// "period" or "key"; default: key when the table has dimensions.
    #[serde(default)]
    pub x: Option<String>,
    /// The measure drawn (a measure name of the table); default: the first.
    #[serde(default)]
    pub measure: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// With x = "key": how many of the latest periods are drawn side by side.
    #[serde(default)]
    pub periods: Option<usize>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInputs {
    /// Globs relative to the pipeline file.
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Read sheets that no dataset claims as wide tables (periods in the header row or down
    /// the first column), as portal downloads are laid out.
    #[serde(default = "default_true")]
    pub wide_tables: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    #[serde(default = "default_out_dir")]
    pub dir: String,
    #[serde(default = "default_formats")]
    pub formats: Vec<String>,
    #[serde(default = "default_true")]
    pub csv_bom: bool,
    /// Write text that a spreadsheet would run as a formula (`=…`, `+…`, `-…`, `@…`) with a
    /// leading `'`; false for machine consumers that want the text as it was.
    #[serde(default = "default_true")]
    pub csv_guard_formulas: bool,
    /// PNG charts are rendered at this multiple of 960×540 pixels.
    #[serde(default = "default_scale")]
    pub chart_scale: f32,
}

impl Default for RawOutput {
    fn default() -> Self {
        RawOutput {
            dir: default_out_dir(),
            formats: default_formats(),
            csv_bom: true,
            csv_guard_formulas: true,
            chart_scale: default_scale(),
        }
    }
}

fn default_out_dir() -> String {
    "out".to_string()
}
fn default_formats() -> Vec<String> {
    vec!["xlsx".into(), "csv".into(), "parquet".into()]
}
fn default_scale() -> f32 {
    2.0
}
fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    /// Display name, e.g. "投资项目".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Unit of money columns when neither the header nor a 单位 line names one.
    #[serde(default)]
    pub money_unit: Option<String>,
    /// Fields that must all be found in a header for a table to be this dataset.
    pub identify: Vec<String>,
    pub fields: Vec<RawField>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// A row with this field empty is rejected.
    #[serde(default)]
    pub required: bool,
    /// What "—", "-" and empty cells mean in a numeric field: "zero" or "missing".
    #[serde(default)]
    pub dash: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub dataset: String,
    /// Dimensions to group by (field names); empty means totals only.
    #[serde(default)]
    pub by: Vec<String>,
    /// Required for a dataset's table; a `series` table has one value per cell instead.
    #[serde(default)]
    pub measures: Vec<RawMeasure>,
    #[serde(default)]
    pub filter: Vec<RawFilter>,
    /// "annual" (default), "ytd" (1—N月 cumulative) or "monthly" (single months).
    #[serde(default)]
    pub period: Option<String>,
    /// "wide" (years as columns, default) or "long".
    #[serde(default)]
    pub layout: Option<String>,
    /// Add 同比 growth in percent: `true` for every sum and count, or a list of measure names.
    #[serde(default)]
    pub growth: RawGrowth,
    /// Add 构成 share of total for each additive measure.
    #[serde(default)]
    pub share: bool,
    /// Add 贡献率 and 拉动 for each additive measure (needs growth).
    #[serde(default)]
    pub contribution: bool,
    /// Keep the N largest groups (by the first measure) and sum the rest into 其他.
    #[serde(default)]
    pub top: Option<usize>,
    /// Money unit shown in the table: "万元" (default), "亿元" or "元".
    #[serde(default)]
    pub unit: Option<String>,
    /// `dataset = "series"`: the indicators drawn from the portal series.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<String>,
    /// `series`: only these regions (default: every region of the indicators).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// `series`: only this variant (当期, 同比, 累计, 环比).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// `series`: "year", "quarter" or "month"; default: the one the selection holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<String>,
    /// `series`: the first and last period shown, `2015` or `2019-06`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<toml::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<toml::Value>,
    /// `series`: the name of the value column (default: the indicator, or 数值).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// `series`: decimals shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
    /// `series`: 1—N月 cumulative values differenced into single months.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub single_months: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeasure {
    /// Shown as the column header and as `metric` in facts.csv.
    pub name: String,
    /// sum, count, count_distinct, mean, min, max, rate.
    pub op: String,
    #[serde(default)]
    pub field: Option<String>,
    /// For `count` and `rate`: only rows whose `field` is one of these.
    #[serde(default)]
    pub values: Vec<String>,
    /// Decimals shown in XLSX; defaults by kind.
    #[serde(default)]
    pub decimals: Option<u8>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFilter {
    pub field: String,
    /// eq, ne, gt, ge, lt, le, in, not_in.
    pub op: String,
    /// A number (money in the dataset's 万元), a string, or a list for in/not_in.
    pub value: toml::Value,
}

/// `growth = true`, `growth = false` or `growth = ["金额", …]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum RawGrowth {
    All(bool),
    Some(Vec<String>),
}

impl Default for RawGrowth {
    fn default() -> Self {
        RawGrowth::All(false)
    }
}

impl RawGrowth {
    /// Whether any measure gets a growth.
    pub fn any(&self) -> bool {
        match self {
            RawGrowth::All(b) => *b,
            RawGrowth::Some(names) => !names.is_empty(),
        }
    }
}

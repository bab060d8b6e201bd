//! Pipeline files: the raw serde model, parsing that reports every problem, and validation
//! into a resolved [`Pipeline`] that later stages use without re-checking.

pub mod chart;
pub mod dictionary;
pub mod names;
pub mod normalize;
mod parse;
pub mod raw;
mod resolve;
pub mod suggest;

use crate::model::{DashPolicy, FieldKind, MoneyUnit};
use std::fmt;
use std::path::{Path, PathBuf};

pub use resolve::{resolve, series_measure_name};

/// One thing wrong with a pipeline file, located by key path and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path, e.g. `tables[2].measures[0].op`; empty for the file as a whole.
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            line: None,
            message: message.into(),
            help: None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "{}", crate::i18n::t!("config.line", line = line))?;
        }
        if !self.path.is_empty() {
            write!(f, "{}{}", self.path, crate::i18n::t!("config.path_sep"))?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "{}", crate::i18n::t!("config.help", help = help))?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", crate::i18n::t!("config.cannot_read", path = path.display()))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}\n{}", match problems.len() { 1 => crate::i18n::t!("config.one_problem", path = path.display()), n => crate::i18n::t!("config.problems", path = path.display(), n = n) }, list(problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A validated pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub name: String,
    pub title: String,
    pub source: Option<String>,
    /// The pipeline file and the folder its relative paths start from.
    pub file: PathBuf,
    pub base_dir: PathBuf,
    /// sha256 of the pipeline file's bytes, hex.
    pub hash: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Whether unclaimed sheets are tried as wide tables.
    pub wide_tables: bool,
    pub output: OutputPlan,
    pub datasets: Vec<Dataset>,
    pub tables: Vec<TableSpec>,
    /// Tables drawn from the portal series (`dataset = "series"`); their results follow
    /// those of `tables`, and a chart's `table` index counts them after `tables`.
    pub series_tables: Vec<SeriesTableSpec>,
    pub charts: Vec<ChartDecl>,
}

/// What a series table's rows or columns are told apart by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesDim {
    Indicator,
    Region,
}

impl SeriesDim {
    pub const NAMES: [&'static str; 2] = ["indicator", "region"];

    pub fn name(self) -> &'static str {
        match self {
            SeriesDim::Indicator => "indicator",
            SeriesDim::Region => "region",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SeriesDim::Indicator => "指标",
            SeriesDim::Region => "地区",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeriesFrequency {
    Year,
    Quarter,
    Month,
}

impl SeriesFrequency {
    pub const NAMES: [&'static str; 3] = ["year", "quarter", "month"];

    pub fn name(self) -> &'static str {
        match self {
            SeriesFrequency::Year => "year",
            SeriesFrequency::Quarter => "quarter",
            SeriesFrequency::Month => "month",
        }
    }
}

/// A table of portal series values: one value per (period, key), no adding up.
#[derive(Debug, Clone)]
pub struct SeriesTableSpec {
    pub name: String,
    pub title: String,
    pub indicators: Vec<String>,
    /// Empty: every region.
    pub regions: Vec<String>,
    pub variant: Option<String>,
    pub frequency: Option<SeriesFrequency>,
    /// (year, month the period ends in), inclusive.
    pub from: Option<(i32, u32)>,
    pub to: Option<(i32, u32)>,
    pub by: Vec<SeriesDim>,
    /// The value column's name; None: the indicator's name, or 数值 with `by` indicator.
    pub measure: Option<String>,
    pub decimals: Option<u8>,
    pub growth: bool,
    pub share: bool,
    /// 1—N月 cumulative values shown as single months: each month's less the month before's.
    pub single_months: bool,
    /// None: years as columns for annual series, one row per period otherwise.
    pub layout: Option<Layout>,
}

/// A chart declared in the pipeline.
#[derive(Debug, Clone)]
pub struct ChartDecl {
    /// Index into `tables`.
    pub table: usize,
    /// Drawing settings; `x` is settled against the table when drawn.
    pub spec: chart::ChartSpec,
    /// The axis as declared (None: key when the table has dimensions, else period).
    pub x: Option<chart::XAxis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Xlsx,
    Csv,
    Parquet,
}

impl Format {
    pub const NAMES: [&'static str; 3] = ["xlsx", "csv", "parquet"];
}

#[derive(Debug, Clone)]
pub struct OutputPlan {
    pub dir: PathBuf,
    pub formats: Vec<Format>,
    pub csv: CsvStyle,
    pub chart_scale: f32,
}

/// How every CSV yearbook writes is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvStyle {
    /// A UTF-8 byte-order mark first, which Excel on Chinese Windows needs.
    pub bom: bool,
    /// Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
    /// so that a spreadsheet shows it instead of evaluating it as a formula.
    pub guard_formulas: bool,
}

impl Default for CsvStyle {
    fn default() -> Self {
        CsvStyle {
            bom: true,
            guard_formulas: true,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Dataset {
    pub name: String,
    pub title: String,
    pub money_unit: MoneyUnit,
    /// Indices into `fields` that a header must contain.
    pub identify: Vec<usize>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
    /// Normalised header keys that map to this field (the name itself included).
    pub keys: Vec<String>,
    pub required: bool,
    pub dash: DashPolicy,
}

impl Dataset {
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodMode {
    Annual,
    Ytd,
    Monthly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Wide,
    Long,
}

#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: String,
    pub title: String,
    pub dataset: usize,
    pub by: Vec<usize>,
    pub measures: Vec<Measure>,
    pub filters: Vec<Filter>,
    pub period: PeriodMode,
    pub layout: Layout,
    /// Parallel to `measures`: whether the measure gets 同比.
    pub growth: Vec<bool>,
    pub share: bool,
    pub contribution: bool,
    pub top: Option<usize>,
    pub unit: MoneyUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Sum,
    Count,
    CountDistinct,
    Mean,
    Min,
    Max,
    Rate,
}

impl Op {
    pub const NAMES: [&'static str; 7] = [
        "sum",
        "count",
        "count_distinct",
        "mean",
        "min",
        "max",
        "rate",
    ];
}

#[derive(Debug, Clone)]
pub struct Measure {
    pub name: String,
    pub op: Op,
    pub field: Option<usize>,
    pub values: Vec<String>,
    pub decimals: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
}

impl CmpOp {
    pub const NAMES: [&'static str; 8] = ["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in"];
}

#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// Money already converted to fen.
    Fen(i64),
    Int(i64),
    Float(f64),
    Text(String),
    TextList(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub field: usize,
    pub op: CmpOp,
    pub value: FilterValue,
}

/// Reads, parses and validates a pipeline file.
pub fn load(path: &Path) -> Result<Pipeline, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let src = String::from_utf8(bytes)
        .map_err(|_| invalid(vec![Problem::new("", crate::i18n::t!("config.not_utf8"))]))?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base_dir = if base_dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base_dir
    };
    load_str(&src, path, &base_dir).map_err(invalid)
}

/// Parses and validates pipeline text; `path` and `base_dir` locate it for relative paths.
pub fn load_str(src: &str, path: &Path, base_dir: &Path) -> Result<Pipeline, Vec<Problem>> {
    let (raw, spans, mut problems) = parse::parse_pipeline(src)?;
    let hash = crate::files::sha256_hex(src.as_bytes());
    match resolve(raw, &spans, path, base_dir, hash) {
        Ok(p) if problems.is_empty() => Ok(p),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            // Stable: problems on the same line keep the order they were found in.
            problems.sort_by_key(|p| p.line.unwrap_or(0));
            Err(problems)
        }
    }
}

/// Parses pipeline text into the raw model only (used to copy dataset definitions).
pub fn parse_raw(src: &str) -> Result<raw::RawPipeline, Vec<Problem>> {
    match parse::parse_pipeline(src) {
        Ok((raw, _, problems)) if problems.is_empty() => Ok(raw),
        Ok((_, _, problems)) | Err(problems) => Err(problems),
    }
}

/// The built-in field dictionary (src/config/dictionary.toml); `inspect` and `init` use it
/// when no pipeline is given.
pub const BUILTIN_DICTIONARY: &str = dictionary::SOURCE;

pub fn builtin() -> Result<Pipeline, ConfigError> {
    let invalid = |problems| ConfigError::Invalid {
        path: PathBuf::from("<built-in dictionary>"),
        problems,
    };
    let raw = dictionary::raw().map_err(|e| invalid(vec![Problem::new("", e)]))?;
    let src = toml::to_string(&raw).map_err(|e| invalid(vec![Problem::new("", e.to_string())]))?;
    load_str(&src, Path::new("<built-in dictionary>"), Path::new(".")).map_err(invalid)
}

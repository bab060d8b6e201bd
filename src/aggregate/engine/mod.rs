//! Table aggregation. When every measure adds up exactly, a table is made of partials: each
//! (year, month, 1—N月) combination and group is aggregated once, per workbook where asked
//! (so that a re-run can keep them), and a period's figures add up its combinations.
//! Otherwise the table's rows are indexed once by combination and its slices gathered in
//! batches and grouped by polars, a batch at a time. Growth, shares and contributions are
//! then computed on the small result.

use super::result::*;
use crate::clean::frame::{CUMULATIVE, FILE, MONTH, YEAR};
use crate::config::{
    CmpOp, Dataset, Filter, FilterValue, Measure, Op, PeriodMode, Pipeline, TableSpec,
};
use crate::model::FieldKind;
use crate::shortcuts::{on, Shortcut};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

mod partials;
mod query;

use partials::*;
pub use partials::{file_partials, made_of_partials, table_of_partials, Partials};
use query::*;

/// Dimension value shown for an empty cell.
pub const BLANK_KEY: &str = "未填报";
/// Key of the groups folded together by `top`.
pub const OTHER_KEY: &str = "其他";

#[derive(Debug, thiserror::Error)]
#[error("{}", crate::i18n::t!("engine.table", table = table))]
pub struct AggregateError {
    pub table: String,
    #[source]
    pub source: PolarsError,
}

type Key = Option<Vec<String>>;
type Values = Vec<Option<MetricValue>>;

/// A (year, month, cumulative) combination present in the data.
type Combo = (i32, Option<u32>, bool);

/// A period of a table and the combinations whose rows make it.
struct Slice {
    year: i32,
    month: Option<u32>,
    rows: Vec<Combo>,
    /// Additive measures are differenced against these rows (cumulative to single months).
    minus: Option<Vec<Combo>>,
    /// The slice is a 1—N月 snapshot (every row read as year-to-date), which cannot fall
    /// from the month before.
    snapshot: bool,
}

/// How the engine works through a table where either way gives the same figures; the tests
/// run both ways to show that.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    /// The fewest rows a batch of slices may gather (see `Query::run`).
    pub batch_rows: usize,
    /// Whether accumulable measures are added up by combination (see `Query::added`) rather
    /// than gathered from every slice's rows.
    pub by_combo: bool,
}

impl Default for Tuning {
    fn default() -> Tuning {
        // The plain ways: one query per slice, every slice gathered from its rows.
        Tuning {
            batch_rows: if on(Shortcut::SliceBatches) {
                1 << 16
            } else {
                1
            },
            by_combo: on(Shortcut::Partials),
        }
    }
}

/// The columns a table reads: the combination's, then its dimensions' and measures' fields.
fn used_columns<'a>(ds: &'a Dataset, dims: &'a [String], measures: &[Measure]) -> Vec<&'a str> {
    let mut used: Vec<&str> = vec![YEAR, MONTH, CUMULATIVE];
    for name in dims.iter().map(String::as_str).chain(
        measures
            .iter()
            .filter_map(|m| m.field.map(|f| ds.fields[f].name.as_str())),
    ) {
        if !used.contains(&name) {
            used.push(name);
        }
    }
    used
}

/// A dimension's value as a group key: text, with blanks shown as such.
fn key_of(dim: &str) -> Expr {
    col(dim).cast(DataType::String).fill_null(lit(BLANK_KEY))
}

/// Names the table an aggregation error comes from.
fn in_table<T>(spec: &TableSpec, r: PolarsResult<T>) -> Result<T, AggregateError> {
    r.map_err(|source| AggregateError {
        table: spec.name.clone(),
        source,
    })
}

/// Common-subexpression elimination in polars 0.55 can build a frame from a one-row and a
/// full-height column and panic ("height of column __POLARS_CSER…"); the plans are small.
fn no_cse(lf: LazyFrame) -> LazyFrame {
    let flags = lf.get_current_optimizations() & !OptFlags::COMM_SUBEXPR_ELIM;
    lf.with_optimizations(flags)
}

/// Aggregates every table of the pipeline, in pipeline order. Rows after `period`
/// (year, month) are left out.
pub fn aggregate(
    pipeline: &Pipeline,
    frames: &[DataFrame],
    period: (i32, u32),
) -> Result<Vec<TableResult>, AggregateError> {
    let all = aggregate_only(pipeline, frames, period, &|_| true)?;
    Ok(all.into_iter().flatten().collect())
}

/// Aggregates the tables `wanted` selects (by index); the others are None.
pub fn aggregate_only(
    pipeline: &Pipeline,
    frames: &[DataFrame],
    period: (i32, u32),
    wanted: &(dyn Fn(usize) -> bool + Sync),
) -> Result<Vec<Option<TableResult>>, AggregateError> {
    aggregate_tuned(pipeline, frames, period, wanted, Tuning::default())
}

/// [`aggregate_only`], worked through as `tuning` says.
pub(crate) fn aggregate_tuned(
    pipeline: &Pipeline,
    frames: &[DataFrame],
    period: (i32, u32),
    wanted: &(dyn Fn(usize) -> bool + Sync),
    tuning: Tuning,
) -> Result<Vec<Option<TableResult>>, AggregateError> {
    // One table after another, in pipeline order: side by side they took no less time on the
    // bureau corpus and more memory (BENCHMARKS.md).
    let results: Vec<Result<Option<TableResult>, AggregateError>> = pipeline
        .tables
        .iter()
        .enumerate()
        .map(|(ti, spec)| {
            if !wanted(ti) {
                return Ok(None);
            }
            let frame = &frames[spec.dataset];
            in_table(spec, table(pipeline, spec, frame, period, None, tuning)).map(Some)
        })
        .collect();
    results.into_iter().collect()
}

fn metric_kind(ds: &Dataset, m: &Measure) -> MetricKind {
    let fk = m.field.map(|f| ds.fields[f].kind);
    match (m.op, fk) {
        (Op::Count | Op::CountDistinct, _) => MetricKind::Count,
        (Op::Rate, _) => MetricKind::Percent,
        (_, Some(FieldKind::Money)) => MetricKind::Money,
        (Op::Sum | Op::Min | Op::Max, Some(FieldKind::Count)) => MetricKind::Count,
        (Op::Mean | Op::Min | Op::Max, Some(FieldKind::Percent)) => MetricKind::Percent,
        _ => MetricKind::Number,
    }
}

fn default_decimals(kind: MetricKind) -> u8 {
    match kind {
        MetricKind::Money => 2,
        MetricKind::Count => 0,
        _ => 2,
    }
}

/// The unit a count's name implies: 户数 counts 户, 笔数 笔, 项目个数 and 企业数 个.
pub fn count_unit(name: &str) -> &'static str {
    const ENDINGS: [(&str, &str); 9] = [
        ("户数", "户"),
        ("笔数", "笔"),
        ("件数", "件"),
        ("场次", "场"),
        ("人数", "人"),
        ("次数", "次"),
        ("批次", "批"),
        ("个数", "个"),
        ("数", "个"),
    ];
    ENDINGS
        .iter()
        .find(|(end, _)| name.ends_with(end))
        .map_or("", |(_, unit)| unit)
}

fn additive(m: &Measure) -> bool {
    matches!(m.op, Op::Sum | Op::Count)
}

/// Rows up to the reporting period.
fn period_expr(period: (i32, u32)) -> Expr {
    col(YEAR)
        .lt(lit(period.0))
        .or(col(YEAR).eq(lit(period.0)).and(
            col(MONTH)
                .is_null()
                .or(col(MONTH).lt_eq(lit(period.1 as i32))),
        ))
}

fn filter_expr(ds: &Dataset, f: &Filter) -> Expr {
    let c = col(ds.fields[f.field].name.as_str());
    let v = match &f.value {
        FilterValue::Fen(x) | FilterValue::Int(x) => lit(*x),
        FilterValue::Float(x) => lit(*x),
        FilterValue::Text(s) => lit(s.as_str()),
        FilterValue::TextList(list) => {
            let any = any_of(&c, list);
            // Nulls fail every comparison.
            return match f.op {
                CmpOp::NotIn => c.clone().is_not_null().and(any.not()),
                _ => any,
            };
        }
    };
    let e = match f.op {
        CmpOp::Eq | CmpOp::In => c.clone().eq(v),
        CmpOp::Ne | CmpOp::NotIn => c.clone().neq(v),
        CmpOp::Gt => c.clone().gt(v),
        CmpOp::Ge => c.clone().gt_eq(v),
        CmpOp::Lt => c.clone().lt(v),
        CmpOp::Le => c.clone().lt_eq(v),
    };
    e.fill_null(lit(false))
}

/// True where the column equals one of `values` (false for nulls).
fn any_of(c: &Expr, values: &[String]) -> Expr {
    values
        .iter()
        .map(|v| {
            c.clone()
                .cast(DataType::String)
                .eq(lit(v.as_str()))
                .fill_null(lit(false))
        })
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

/// The polars aggregations of each measure: `a{i}` and, for rates, the row count `n{i}`.
fn measure_aggs(ds: &Dataset, measures: &[Measure]) -> Vec<Expr> {
    let mut out = Vec::new();
    for (i, m) in measures.iter().enumerate() {
        let a = format!("a{i}");
        let field = m.field.map(|f| col(ds.fields[f].name.as_str()));
        let hits = || {
            let c = field.clone().unwrap_or(lit(true));
            any_of(&c, &m.values).cast(DataType::Int64).sum()
        };
        let e = match (m.op, &field) {
            (Op::Count, _) if !m.values.is_empty() => hits(),
            (Op::Count, _) => len().cast(DataType::Int64),
            (Op::Rate, _) => {
                out.push(len().cast(DataType::Int64).alias(format!("n{i}")));
                hits()
            }
            // A sum over cells that are all empty is unknown, not 0.
            (Op::Sum, Some(c)) => when(c.clone().count().gt(lit(0)))
                .then(c.clone().sum())
                .otherwise(lit(NULL)),
            (Op::CountDistinct, Some(c)) => c.clone().drop_nulls().n_unique().cast(DataType::Int64),
            (Op::Mean, Some(c)) => c.clone().cast(DataType::Float64).mean(),
            (Op::Min, Some(c)) => c.clone().min(),
            (Op::Max, Some(c)) => c.clone().max(),
            (_, None) => len().cast(DataType::Int64),
        };
        out.push(e.alias(a));
    }
    out
}

fn any_f64(v: AnyValue) -> Option<f64> {
    match v {
        AnyValue::Null => None,
        AnyValue::Int64(x) => Some(x as f64),
        AnyValue::Int32(x) => Some(x as f64),
        AnyValue::UInt32(x) => Some(x as f64),
        AnyValue::UInt64(x) => Some(x as f64),
        AnyValue::Float64(x) => Some(x),
        AnyValue::Float32(x) => Some(x as f64),
        AnyValue::Boolean(b) => Some(if b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn any_i64(v: AnyValue) -> Option<i64> {
    match v {
        AnyValue::Int64(x) => Some(x),
        AnyValue::Int32(x) => Some(x as i64),
        AnyValue::UInt32(x) => Some(x as i64),
        AnyValue::UInt64(x) => i64::try_from(x).ok(),
        other => any_f64(other).map(round_half_away),
    }
}

fn round_half_away(x: f64) -> i64 {
    x.round() as i64
}

fn any_text(v: AnyValue) -> String {
    match v {
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Null => BLANK_KEY.to_string(),
        other => other.to_string(),
    }
}

/// Whether a combination's rows are read as 1—N月 values. January's figure is both its
/// month and its 1—1月 figure, so it is read as the year's later months are: cumulative when
/// they all are, single when they all are, as flagged when they mix (which is warned about).
fn reads_cumulative(c: &Combo, later: &BTreeMap<i32, (bool, bool)>) -> bool {
    match (c.1, later.get(&c.0)) {
        (Some(1), Some((true, false))) => true,
        (Some(1), Some((false, true))) => false,
        _ => c.2,
    }
}

/// The slices a table reports, by period mode, and the slices its 同比 compares a partial
/// year with: the same months of the year before, where that year is reported whole.
fn slices(mode: PeriodMode, combos: &[Combo]) -> (Vec<Slice>, Vec<Slice>) {
    // Per year: whether its months after January hold 1—N月 values, single months.
    let mut later: BTreeMap<i32, (bool, bool)> = BTreeMap::new();
    for c in combos.iter().filter(|c| c.1.is_some_and(|m| m > 1)) {
        let e = later.entry(c.0).or_default();
        if c.2 {
            e.0 = true;
        } else {
            e.1 = true;
        }
    }
    let cum = |c: &Combo| reads_cumulative(c, &later);
    let pick = |f: &dyn Fn(&Combo) -> bool| -> Vec<Combo> {
        combos.iter().filter(|c| f(c)).copied().collect()
    };
    // The 1—N月 rows of year `y` up to month `m`: the month's snapshot, or its single
    // months so far; rows without a month belong to no month.
    let ytd = |y: i32, m: u32| {
        pick(&|c| c.0 == y && c.1.is_some_and(|cm| if cum(c) { cm == m } else { cm <= m }))
    };
    let years: BTreeSet<i32> = combos.iter().map(|c| c.0).collect();
    let months: BTreeSet<(i32, u32)> = combos
        .iter()
        .filter_map(|c| c.1.map(|m| (c.0, m)))
        .collect();
    let mut out = Vec::new();
    let mut bases = Vec::new();
    match mode {
        PeriodMode::Annual => {
            for &y in &years {
                // 1—N月 snapshots: only the latest month of the year counts.
                let latest_cum = combos
                    .iter()
                    .filter(|c| c.0 == y && cum(c))
                    .filter_map(|c| c.1)
                    .max();
                let rows = pick(&|c| c.0 == y && (!cum(c) || c.1.is_none() || c.1 == latest_cum));
                // A year whose every row has a month and whose data ends before December is
                // a partial year: shown as 1—N月.
                let of_year = || combos.iter().filter(|c| c.0 == y);
                let month = match of_year().all(|c| c.1.is_some()) {
                    true => of_year().filter_map(|c| c.1).max().filter(|&m| m < 12),
                    false => None,
                };
                if let Some(m) = month {
                    let before = y - 1;
                    let whole = years.contains(&before)
                        && combos
                            .iter()
                            .any(|c| c.0 == before && c.1.is_none_or(|bm| bm > m));
                    let rows = ytd(before, m);
                    if whole && !rows.is_empty() {
                        bases.push(Slice {
                            year: before,
                            month: Some(m),
                            rows,
                            minus: None,
                            snapshot: false,
                        });
                    }
                }
                out.push(Slice {
                    year: y,
                    month,
                    rows,
                    minus: None,
                    snapshot: false,
                });
            }
        }
        PeriodMode::Ytd => {
            for &(y, m) in &months {
                let rows = ytd(y, m);
                out.push(Slice {
                    year: y,
                    month: Some(m),
                    snapshot: !rows.is_empty() && rows.iter().all(cum),
                    rows,
                    minus: None,
                });
            }
        }
        PeriodMode::Monthly => {
            for &(y, m) in &months {
                // The cumulative month before, if any, in the same year.
                let prev = months
                    .range(..(y, m))
                    .next_back()
                    .filter(|p| p.0 == y)
                    .map(|p| p.1);
                let has_cum = combos.iter().any(|c| c.0 == y && c.1 == Some(m) && cum(c));
                let minus = match (has_cum, prev) {
                    (true, Some(p)) => Some(pick(&|c| c.0 == y && cum(c) && c.1 == Some(p))),
                    _ => None,
                };
                let rows = pick(&|c| c.0 == y && c.1 == Some(m) && (cum(c) || !has_cum));
                out.push(Slice {
                    year: y,
                    month: Some(m),
                    snapshot: minus.is_some(),
                    rows,
                    minus,
                });
            }
        }
    }
    (out, bases)
}

fn sub(a: Option<MetricValue>, b: Option<MetricValue>) -> Option<MetricValue> {
    match (a, b.unwrap_or(MetricValue::Int(0))) {
        (Some(MetricValue::Fen(x)), MetricValue::Fen(y)) => Some(MetricValue::Fen(x - y)),
        (Some(MetricValue::Int(x)), MetricValue::Int(y)) => Some(MetricValue::Int(x - y)),
        (Some(MetricValue::Fen(x)), MetricValue::Int(0)) => Some(MetricValue::Fen(x)),
        (Some(x), _) => Some(MetricValue::Float(
            as_f64(Some(x))? - as_f64(b).unwrap_or(0.0),
        )),
        (None, _) => None,
    }
}

pub fn as_f64(v: Option<MetricValue>) -> Option<f64> {
    match v? {
        MetricValue::Fen(x) | MetricValue::Int(x) => Some(x as f64),
        MetricValue::Float(f) => Some(f),
    }
}

/// A table's figures, from the rows of `frame`, or from `partials` (the table's partials
/// over all its rows, see [`table_partials`]) where given; `frame` then only lends its schema.
fn table(
    pipeline: &Pipeline,
    spec: &TableSpec,
    frame: &DataFrame,
    period: (i32, u32),
    partials: Option<Partials>,
    tuning: Tuning,
) -> PolarsResult<TableResult> {
    let ds = &pipeline.datasets[spec.dataset];
    let dims: Vec<String> = spec.by.iter().map(|&f| ds.fields[f].name.clone()).collect();
    let measures = &spec.measures;
    let kinds: Vec<MetricKind> = measures.iter().map(|m| metric_kind(ds, m)).collect();
    let aggs = measure_aggs(ds, measures);
    let partials = match partials {
        Some(p) => Some(p),
        None if by_combo(ds, measures, tuning) => {
            let mut all = table_partials(pipeline, spec, frame, false)?;
            Some(all.remove("").unwrap_or_default())
        }
        None => None,
    };
    let parts;
    let (rows, combos) = match &partials {
        Some(p) => {
            let combos: Vec<Combo> =
                p.0.keys()
                    .copied()
                    .filter(|c| in_period(c, period))
                    .collect();
            (Rows::Partials(p), combos)
        }
        None => {
            let keep = spec
                .filters
                .iter()
                .fold(period_expr(period), |e, f| e.and(filter_expr(ds, f)));
            // Only the columns the measures and dimensions read are gathered into the slices.
            parts = Parts::new(frame, &used_columns(ds, &dims, measures), keep)?;
            (Rows::Gathered(&parts), parts.combos())
        }
    };
    let (slices, bases) = slices(spec.period, &combos);

    let query = Query {
        rows,
        schema: frame,
        dims: &dims,
        aggs: &aggs,
        kinds: &kinds,
        measures,
        batch_rows: tuning.batch_rows,
    };
    // (year, month) -> key -> base values
    let mut data: BTreeMap<(i32, Option<u32>), BTreeMap<Key, Values>> = slices
        .iter()
        .map(|s| (s.year, s.month))
        .zip(query.slices(&slices, None, true)?)
        .collect();

    if let (Some(n), false) = (spec.top, dims.is_empty()) {
        fold_top(&mut data, n, &query, &slices)?;
    }
    let warnings = falling_groups(spec, ds, &slices, &data);
    // The same months of the year before, for the 同比 of a partial year; never shown.
    let bases: BTreeMap<(i32, Option<u32>), BTreeMap<Key, Values>> = match bases.is_empty() {
        true => BTreeMap::new(),
        false => bases
            .iter()
            .map(|s| (s.year, s.month))
            .zip(query.slices(&bases, None, true)?)
            .collect(),
    };

    // Metric definitions: base measures, then derived ones per measure.
    let mut metrics: Vec<MetricDef> = measures
        .iter()
        .zip(&kinds)
        .map(|(m, &k)| MetricDef {
            name: m.name.clone(),
            kind: k,
            decimals: m.decimals.unwrap_or(default_decimals(k)),
            unit: match k {
                MetricKind::Count => count_unit(&m.name).to_string(),
                _ => String::new(),
            },
        })
        .collect();
    #[derive(Clone, Copy)]
    enum D {
        Growth(usize),
        Share(usize),
        Contribution(usize),
        Pull(usize),
    }
    let mut derived = Vec::new();
    for (i, m) in measures.iter().enumerate() {
        // Resolution gives 同比 only to sums and counts.
        if spec.growth.get(i).copied().unwrap_or(false) {
            derived.push((format!("{}同比", m.name), MetricKind::Percent, D::Growth(i)));
        }
        if spec.share && additive(m) {
            derived.push((format!("{}构成", m.name), MetricKind::Percent, D::Share(i)));
        }
        if spec.contribution && additive(m) {
            derived.push((
                format!("{}贡献率", m.name),
                MetricKind::Percent,
                D::Contribution(i),
            ));
            derived.push((format!("{}拉动", m.name), MetricKind::Points, D::Pull(i)));
        }
    }
    for (name, kind, _) in &derived {
        metrics.push(MetricDef {
            name: name.clone(),
            kind: *kind,
            decimals: 1,
            unit: String::new(),
        });
    }

    let mut rows = Vec::new();
    for (&(year, month), groups) in &data {
        let prev = data
            .get(&(year - 1, month))
            .or_else(|| bases.get(&(year - 1, month)));
        let total = groups.get(&None);
        let prev_total = prev.and_then(|p| p.get(&None));
        // 合计 first, then groups by the first measure descending, then key text.
        let mut keys: Vec<&Key> = groups.keys().filter(|k| k.is_some()).collect();
        keys.sort_by(|a, b| {
            let va = as_f64(groups[*a][0]).unwrap_or(f64::NEG_INFINITY);
            let vb = as_f64(groups[*b][0]).unwrap_or(f64::NEG_INFINITY);
            let other_a = a.as_ref().is_some_and(|k| k.iter().all(|s| s == OTHER_KEY));
            let other_b = b.as_ref().is_some_and(|k| k.iter().all(|s| s == OTHER_KEY));
            other_a
                .cmp(&other_b)
                .then(vb.total_cmp(&va))
                .then_with(|| a.cmp(b))
        });
        let order = std::iter::once(&None).chain(keys);
        for key in order {
            let Some(values) = groups.get(key) else {
                continue;
            };
            let before = prev.and_then(|p| p.get(key));
            for (i, v) in values.iter().enumerate() {
                rows.push(AggRow {
                    year,
                    month,
                    key: key.clone(),
                    metric: i,
                    value: *v,
                });
            }
            for (j, (_, _, d)) in derived.iter().enumerate() {
                let cur = |i: usize| as_f64(values[i]);
                let old = |i: usize| before.and_then(|b| as_f64(b[i]));
                let value = match *d {
                    D::Growth(i) => match (cur(i), old(i)) {
                        (Some(c), Some(p)) if p != 0.0 => Some((c - p) / p.abs() * 100.0),
                        _ => None,
                    },
                    D::Share(i) => match (cur(i), total.and_then(|t| as_f64(t[i]))) {
                        (Some(c), Some(t)) if t != 0.0 => Some(c / t * 100.0),
                        _ => None,
                    },
                    D::Contribution(i) => {
                        let dt = total
                            .and_then(|t| as_f64(t[i]))
                            .zip(prev_total.and_then(|t| as_f64(t[i])))
                            .map(|(c, p)| c - p);
                        match (cur(i), dt) {
                            (Some(c), Some(dt)) if dt != 0.0 => {
                                Some((c - old(i).unwrap_or(0.0)) / dt * 100.0)
                            }
                            _ => None,
                        }
                    }
                    D::Pull(i) => match (cur(i), prev_total.and_then(|t| as_f64(t[i]))) {
                        (Some(c), Some(tp)) if tp != 0.0 && (before.is_some() || key.is_none()) => {
                            Some((c - old(i).unwrap_or(0.0)) / tp * 100.0)
                        }
                        _ => None,
                    },
                };
                rows.push(AggRow {
                    year,
                    month,
                    key: key.clone(),
                    metric: measures.len() + j,
                    value: value.map(MetricValue::Float),
                });
            }
        }
    }

    Ok(TableResult {
        name: spec.name.clone(),
        title: spec.title.clone(),
        unit: spec.unit,
        dims: dims.clone(),
        dim_titles: spec
            .by
            .iter()
            .map(|&f| {
                ds.fields[f]
                    .keys
                    .get(1)
                    .cloned()
                    .unwrap_or_else(|| ds.fields[f].name.clone())
            })
            .collect(),
        metrics,
        rows,
        wide: spec.layout == crate::config::Layout::Wide,
        warnings,
        ytd: match spec.period {
            PeriodMode::Annual => None,
            PeriodMode::Ytd => Some(true),
            PeriodMode::Monthly => Some(false),
        },
    })
}

/// Groups whose 1—N月 figure falls from one month to the next: in a `ytd` table, a snapshot
/// below the month before's; in a `monthly` table, a single month differenced from two
/// snapshots that comes out negative. Only sums and counts, and not 其他 (whose members change).
fn falling_groups(
    spec: &TableSpec,
    ds: &Dataset,
    slices: &[Slice],
    data: &BTreeMap<(i32, Option<u32>), BTreeMap<Key, Values>>,
) -> Vec<String> {
    let mut out = Vec::new();
    let shown = |v: f64, money: bool| match money {
        true if crate::i18n::zh() => crate::i18n::wan(v.round() as i64),
        true => format!("{:.4}万元", v / 1_000_000.0),
        false => format!("{v}"),
    };
    let key_text = |k: &Key| match k {
        None => "合计".to_string(),
        Some(k) => k.join("/"),
    };
    for (si, s) in slices.iter().enumerate() {
        let (Some(m), true) = (s.month, s.snapshot) else {
            continue;
        };
        let Some(groups) = data.get(&(s.year, s.month)) else {
            continue;
        };
        // In a ytd table: the snapshot of the month before in the same year, if there is one.
        let before = match spec.period {
            PeriodMode::Ytd => slices[..si]
                .iter()
                .rev()
                .find(|b| b.year == s.year && b.snapshot)
                .and_then(|b| Some((b.month?, data.get(&(b.year, b.month))?))),
            _ => None,
        };
        for (key, values) in groups {
            if key
                .as_ref()
                .is_some_and(|k| k.iter().all(|x| x == OTHER_KEY))
            {
                continue;
            }
            for (i, measure) in spec.measures.iter().enumerate() {
                if !matches!(measure.op, Op::Sum | Op::Count) {
                    continue;
                }
                let money = measure
                    .field
                    .is_some_and(|f| ds.fields[f].kind == crate::model::FieldKind::Money);
                let Some(now) = as_f64(values[i]) else {
                    continue;
                };
                match (spec.period, before) {
                    (PeriodMode::Ytd, Some((bm, prev))) => {
                        let Some(was) = prev.get(key).and_then(|v| as_f64(v[i])) else {
                            continue;
                        };
                        if now < was {
                            out.push(crate::i18n::t!(
                                "warn.ytd_falls_table",
                                spec_name = spec.name,
                                v = key_text(key),
                                measure_name = measure.name,
                                v2 = shown(was, money),
                                year = s.year,
                                bm = bm,
                                v3 = shown(now, money),
                                m = m
                            ));
                        }
                    }
                    (PeriodMode::Monthly, _) if now < 0.0 => out.push(crate::i18n::t!(
                        "warn.month_negative",
                        spec_name = spec.name,
                        v = key_text(key),
                        measure_name = measure.name,
                        year = s.year,
                        m = m,
                        v2 = shown(now, money)
                    )),
                    _ => {}
                }
            }
        }
    }
    out
}

/// Keeps the `n` largest groups (first measure, latest slice) and folds the rest into 其他,
/// recomputed from its rows so that every measure of 其他 is right, not only sums.
fn fold_top(
    data: &mut BTreeMap<(i32, Option<u32>), BTreeMap<Key, Values>>,
    n: usize,
    query: &Query,
    slices: &[Slice],
) -> PolarsResult<()> {
    let dims = query.dims;
    let Some((_, latest)) = data.iter().next_back() else {
        return Ok(());
    };
    let mut ranked: Vec<(&Key, f64)> = latest
        .iter()
        .filter(|(k, _)| k.is_some())
        .map(|(k, v)| (k, as_f64(v[0]).unwrap_or(f64::NEG_INFINITY)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    if ranked.len() <= n {
        return Ok(());
    }
    let keep: BTreeSet<Vec<String>> = ranked
        .iter()
        .take(n)
        .filter_map(|(k, _)| (*k).clone())
        .collect();
    let in_keep = keep
        .iter()
        .map(|k| {
            dims.iter()
                .zip(k)
                .map(|(d, v)| key_of(d).eq(lit(v.as_str())))
                .reduce(|a, b| a.and(b))
                .unwrap_or(lit(true))
        })
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let other_key: Key = Some(vec![OTHER_KEY.to_string(); dims.len()]);
    let except = Except {
        rows: &in_keep.not(),
        keys: &keep,
    };
    let rest = query.slices(slices, Some(&except), false)?;
    for (s, rest) in slices.iter().zip(rest) {
        let Some(groups) = data.get_mut(&(s.year, s.month)) else {
            continue;
        };
        groups.retain(|k, _| k.as_ref().is_none_or(|k| keep.contains(k)));
        let values = rest.get(&None).cloned().unwrap_or_default();
        if values.iter().any(|v| as_f64(*v).is_some_and(|x| x != 0.0)) {
            groups.insert(other_key.clone(), values);
        }
    }
    Ok(())
}

//! Partials: each measure over a (year, month, 1—N月) combination and group, in a form that
//! adds up exactly, so that a table is the sum of its combinations' and a re-run keeps them
//! per workbook.

use super::*;

/// One measure over some rows, in a form that adds up: a rate keeps its hits (`value`) and
/// its row count apart until [`finish`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct Partial {
    pub(super) value: Option<MetricValue>,
    pub(super) rows: i64,
}

/// Reads one aggregated row into typed partial values.
pub(super) fn read_partials(
    df: &DataFrame,
    row: usize,
    kinds: &[MetricKind],
    measures: &[Measure],
) -> PolarsResult<Vec<Partial>> {
    let mut out = Vec::with_capacity(measures.len());
    for (i, m) in measures.iter().enumerate() {
        let a = df.column(&format!("a{i}"))?.get(row)?;
        out.push(if m.op == Op::Rate {
            let n = df.column(&format!("n{i}"))?.get(row)?;
            Partial {
                value: Some(MetricValue::Int(any_i64(a).unwrap_or(0))),
                rows: any_i64(n).unwrap_or(0),
            }
        } else {
            let value = match kinds[i] {
                MetricKind::Money => any_i64(a).map(MetricValue::Fen),
                MetricKind::Count => any_i64(a).map(MetricValue::Int),
                _ => any_f64(a).map(MetricValue::Float),
            };
            Partial { value, rows: 0 }
        });
    }
    Ok(out)
}

/// The metric values of partials: a rate becomes its percentage.
pub(super) fn finish(parts: &[Partial], measures: &[Measure]) -> Values {
    parts
        .iter()
        .zip(measures)
        .map(|(p, m)| {
            if m.op == Op::Rate {
                let hits = as_f64(p.value).unwrap_or(0.0);
                (p.rows > 0).then(|| MetricValue::Float(hits / p.rows as f64 * 100.0))
            } else {
                p.value
            }
        })
        .collect()
}

/// Measures whose partials over disjoint rows combine exactly into the value over all of
/// them: counts, rates, and sums, minima and maxima of whole numbers (fen or counts).
/// Float sums are left out: their last bits depend on the order of addition.
pub(super) fn accumulable(ds: &Dataset, measures: &[Measure]) -> bool {
    measures.iter().all(|m| {
        let whole = m
            .field
            .is_some_and(|f| matches!(ds.fields[f].kind, FieldKind::Money | FieldKind::Count));
        match m.op {
            Op::Count | Op::Rate => true,
            Op::Sum | Op::Min | Op::Max => whole,
            Op::Mean | Op::CountDistinct => false,
        }
    })
}

/// Adds the partials `b` of other rows into `a` (only for [`accumulable`] measures).
pub(super) fn combine(a: &mut [Partial], b: &[Partial], measures: &[Measure]) {
    use MetricValue::{Fen, Int};
    for ((a, b), m) in a.iter_mut().zip(b).zip(measures) {
        let pick = |x: i64, y: i64| match m.op {
            Op::Min => x.min(y),
            Op::Max => x.max(y),
            _ => x + y,
        };
        a.value = match (a.value, b.value) {
            (Some(Fen(x)), Some(Fen(y))) => Some(Fen(pick(x, y))),
            (Some(Int(x)), Some(Int(y))) => Some(Int(pick(x, y))),
            (None, v) => v,
            // `b` had no value (a minimum over nulls); floats never reach here.
            (v, _) => v,
        };
        a.rows += b.rows;
    }
}

/// Whether a table with these measures is made from the partials of its combinations.
pub(super) fn by_combo(ds: &Dataset, measures: &[Measure], tuning: Tuning) -> bool {
    accumulable(ds, measures) && tuning.by_combo
}

/// Whether the table of pipeline table `ti` is made from partials, which a re-run can keep
/// per workbook (see [`table_partials`]).
pub fn made_of_partials(pipeline: &Pipeline, ti: usize) -> bool {
    let spec = &pipeline.tables[ti];
    by_combo(
        &pipeline.datasets[spec.dataset],
        &spec.measures,
        Tuning::default(),
    )
}

/// Per (year, month, 1—N月) combination and group (None when the table has no dimensions),
/// the partials of some rows of a table whose measures all add up exactly. Such a table is
/// made of these alone, so partials of disjoint rows (one workbook's, another's) add up to
/// the partials of all of them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Partials(pub(super) BTreeMap<Combo, BTreeMap<Key, Vec<Partial>>>);

impl Partials {
    /// Adds the partials of other rows of table `ti` into these.
    pub fn add(&mut self, other: &Partials, pipeline: &Pipeline, ti: usize) {
        let measures = &pipeline.tables[ti].measures;
        for (combo, groups) in &other.0 {
            let mine = self.0.entry(*combo).or_default();
            for (key, p) in groups {
                match mine.get_mut(key) {
                    Some(a) => combine(a, p, measures),
                    None => {
                        mine.insert(key.clone(), p.clone());
                    }
                }
            }
        }
    }
}

/// Whether a combination is in the reporting period (see [`period_expr`]).
pub(super) fn in_period(c: &Combo, period: (i32, u32)) -> bool {
    c.0 < period.0 || (c.0 == period.0 && c.1.is_none_or(|m| m <= period.1))
}

/// The partials of a table over the rows of `frame` that pass its filters, every period
/// included; per file (keyed by the frame's file column) when `by_file`, else under "".
pub(super) fn table_partials(
    pipeline: &Pipeline,
    spec: &TableSpec,
    frame: &DataFrame,
    by_file: bool,
) -> PolarsResult<BTreeMap<String, Partials>> {
    let ds = &pipeline.datasets[spec.dataset];
    let dims: Vec<String> = spec.by.iter().map(|&f| ds.fields[f].name.clone()).collect();
    let measures = &spec.measures;
    let kinds: Vec<MetricKind> = measures.iter().map(|m| metric_kind(ds, m)).collect();
    // A row without a year is in no period (the period filter drops it).
    let keep = spec
        .filters
        .iter()
        .fold(col(YEAR).is_not_null(), |e, f| e.and(filter_expr(ds, f)));
    let mut keys: Vec<Expr> = Vec::new();
    if by_file {
        keys.push(col(FILE));
    }
    keys.extend([col(YEAR), col(MONTH), col(CUMULATIVE)]);
    keys.extend(dims.iter().map(|d| col(d.as_str())));
    // The kept rows of the columns read, in one chunk: grouping the frame's many chunks
    // (one per workbook) directly held more memory (see BENCHMARKS.md).
    let mut used = used_columns(ds, &dims, measures);
    if by_file {
        used.push(FILE);
    }
    let mask = mask_of(frame, keep)?;
    let mut rows = frame.select(used.iter().copied())?.filter(&mask)?;
    rows.rechunk_mut_par();
    let grouped = no_cse(rows.lazy())
        .with_columns(dims.iter().map(|d| key_of(d)).collect::<Vec<_>>())
        .group_by(keys)
        .agg(measure_aggs(ds, measures))
        .collect()?;
    let mut out: BTreeMap<String, Partials> = BTreeMap::new();
    let (year, month, cumulative) = (
        grouped.column(YEAR)?,
        grouped.column(MONTH)?,
        grouped.column(CUMULATIVE)?,
    );
    for row in 0..grouped.height() {
        let file = match by_file {
            true => any_text(grouped.column(FILE)?.get(row)?),
            false => String::new(),
        };
        let combo = (
            any_i64(year.get(row)?).unwrap_or(0) as i32,
            any_i64(month.get(row)?).map(|m| m as u32),
            matches!(cumulative.get(row)?, AnyValue::Boolean(true)),
        );
        let key = match dims.is_empty() {
            true => None,
            false => Some(
                dims.iter()
                    .map(|d| Ok(any_text(grouped.column(d)?.get(row)?)))
                    .collect::<PolarsResult<Vec<_>>>()?,
            ),
        };
        let values = read_partials(&grouped, row, &kinds, measures)?;
        out.entry(file)
            .or_default()
            .0
            .entry(combo)
            .or_default()
            .insert(key, values);
    }
    Ok(out)
}

/// Per file (by its name in the frame's file column), the partials of pipeline table `ti`
/// over the rows of `frame` (see [`made_of_partials`]).
pub fn file_partials(
    pipeline: &Pipeline,
    ti: usize,
    frame: &DataFrame,
) -> Result<BTreeMap<String, Partials>, AggregateError> {
    let spec = &pipeline.tables[ti];
    in_table(spec, table_partials(pipeline, spec, frame, true))
}

/// Pipeline table `ti` from the partials of all its rows; `schema` is a frame of its dataset.
pub fn table_of_partials(
    pipeline: &Pipeline,
    ti: usize,
    schema: &DataFrame,
    partials: Partials,
    period: (i32, u32),
) -> Result<TableResult, AggregateError> {
    let spec = &pipeline.tables[ti];
    in_table(
        spec,
        table(
            pipeline,
            spec,
            schema,
            period,
            Some(partials),
            Tuning::default(),
        ),
    )
}

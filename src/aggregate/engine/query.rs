//! Gathering a table's rows: indexed once by (year, month, 1—N月) combination, each slice's
//! rows aggregated in batches by polars, or its combinations' partials added up.

use super::*;

/// A table's rows split once by (year, month, cumulative), so that each slice reads only its
/// own rows instead of filtering the whole frame again.
pub(super) struct Parts {
    pub(super) frame: DataFrame,
    pub(super) rows: BTreeMap<Combo, Vec<IdxSize>>,
}

impl Parts {
    /// Indexes the rows of `frame` where `keep` holds (the reporting period and the
    /// table's filters), without copying them; only the `used` columns are kept.
    pub(super) fn new(frame: &DataFrame, used: &[&str], keep: Expr) -> PolarsResult<Parts> {
        let mask = mask_of(frame, keep)?;
        let frame = frame.select(used.iter().copied())?;
        let year = frame.column(YEAR)?.i32()?.clone();
        let month = frame.column(MONTH)?.i32()?.clone();
        let cumulative = frame.column(CUMULATIVE)?.bool()?.clone();
        let mut rows: BTreeMap<Combo, Vec<IdxSize>> = BTreeMap::new();
        let flags = year.iter().zip(month.iter()).zip(cumulative.iter());
        for (i, (((y, m), c), k)) in flags.zip(mask.iter()).enumerate() {
            if k == Some(true) {
                let combo = (y.unwrap_or(0), m.map(|m| m as u32), c.unwrap_or(false));
                rows.entry(combo).or_default().push(i as IdxSize);
            }
        }
        Ok(Parts { frame, rows })
    }

    pub(super) fn combos(&self) -> Vec<Combo> {
        self.rows.keys().copied().collect()
    }
}

/// Column of the slice number, while several slices are aggregated together.
pub(super) const SLICE: &str = "__slice";

/// What a table aggregates: its rows split by period, or the partials of its combinations
/// when every measure adds up exactly; its dimensions and measures.
pub(super) struct Query<'a> {
    pub(super) rows: Rows<'a>,
    /// A frame of the table's dataset, for the figures of a slice without rows.
    pub(super) schema: &'a DataFrame,
    pub(super) dims: &'a [String],
    pub(super) aggs: &'a [Expr],
    pub(super) kinds: &'a [MetricKind],
    pub(super) measures: &'a [Measure],
    /// See [`Tuning::batch_rows`].
    pub(super) batch_rows: usize,
}

pub(super) enum Rows<'a> {
    Gathered(&'a Parts),
    Partials(&'a Partials),
}

/// Groups left out of a selection (those kept by `top`): the filter over rows, and their keys
/// for partials.
pub(super) struct Except<'a> {
    pub(super) rows: &'a Expr,
    pub(super) keys: &'a BTreeSet<Vec<String>>,
}

impl Query<'_> {
    /// The grand total and, when `grouped`, every group of each slice, with additive
    /// measures differenced against the slice's `minus` rows. All slices are aggregated in
    /// one pass: their rows (a row can be in several) tagged with the slice's number.
    pub(super) fn slices(
        &self,
        slices: &[Slice],
        except: Option<&Except>,
        grouped: bool,
    ) -> PolarsResult<Vec<BTreeMap<Key, Values>>> {
        let rows: Vec<&[Combo]> = slices.iter().map(|s| s.rows.as_slice()).collect();
        let mut out = self.run(&rows, except, grouped)?;
        let minus: Vec<(usize, &[Combo])> = slices
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.minus.as_deref().map(|m| (i, m)))
            .collect();
        let sels: Vec<&[Combo]> = minus.iter().map(|m| m.1).collect();
        let before = self.run(&sels, except, grouped)?;
        for ((i, _), before) in minus.iter().zip(before) {
            for (key, v) in out[*i].iter_mut() {
                for (j, m) in self.measures.iter().enumerate() {
                    if additive(m) {
                        v[j] = match before.get(key) {
                            // The month before had the group but not the figure (its cells
                            // were empty): the single month is unknown, not the whole 1—N月.
                            Some(b) if b[j].is_none() => None,
                            b => sub(v[j], b.and_then(|b| b[j])),
                        };
                    }
                }
            }
        }
        Ok(out)
    }

    pub(super) fn run(
        &self,
        sels: &[&[Combo]],
        except: Option<&Except>,
        grouped: bool,
    ) -> PolarsResult<Vec<BTreeMap<Key, Values>>> {
        let parts = match self.rows {
            Rows::Partials(p) => self.added(p, sels, except.map(|e| e.keys), grouped),
            Rows::Gathered(parts) => self.gathered(parts, sels, except.map(|e| e.rows), grouped)?,
        };
        let mut out: Vec<BTreeMap<Key, Values>> = parts
            .into_iter()
            .map(|groups| {
                let finish = |p: Vec<Partial>| finish(&p, self.measures);
                groups.into_iter().map(|(k, p)| (k, finish(p))).collect()
            })
            .collect();
        // A slice without rows has the totals of an empty frame (sums 0, means null).
        if out.iter().any(|o| o.is_empty()) {
            let empty = self.schema.clear().lazy().select(self.aggs).collect()?;
            let values = finish(
                &read_partials(&empty, 0, self.kinds, self.measures)?,
                self.measures,
            );
            for o in out.iter_mut().filter(|o| o.is_empty()) {
                o.insert(None, values.clone());
            }
        }
        Ok(out)
    }

    /// Each selection's combinations added up from their partials, groups in `except` left
    /// out. A 1—N月 sum over single months would otherwise read every month so far again.
    pub(super) fn added(
        &self,
        partials: &Partials,
        sels: &[&[Combo]],
        except: Option<&BTreeSet<Vec<String>>>,
        grouped: bool,
    ) -> Vec<BTreeMap<Key, Vec<Partial>>> {
        sels.iter()
            .map(|sel| {
                let mut acc: BTreeMap<Key, Vec<Partial>> = BTreeMap::new();
                let mut put = |key: Key, p: &[Partial]| match acc.get_mut(&key) {
                    Some(a) => combine(a, p, self.measures),
                    None => {
                        acc.insert(key, p.to_vec());
                    }
                };
                for groups in sel.iter().filter_map(|c| partials.0.get(c)) {
                    for (key, p) in groups {
                        if let (Some(k), Some(except)) = (key, except) {
                            if except.contains(k) {
                                continue;
                            }
                        }
                        if grouped && key.is_some() {
                            put(key.clone(), p);
                        }
                        put(None, p);
                    }
                }
                acc
            })
            .collect()
    }

    /// Each selection's rows gathered (a row can be in several) and aggregated.
    pub(super) fn gathered(
        &self,
        parts: &Parts,
        sels: &[&[Combo]],
        keep: Option<&Expr>,
        grouped: bool,
    ) -> PolarsResult<Vec<BTreeMap<Key, Vec<Partial>>>> {
        let mut out = vec![BTreeMap::new(); sels.len()];
        // Slices share rows (a 1—N月 sum reads every month so far), so they are aggregated
        // in batches of about the table's own height: a few queries, and memory bounded.
        let min = self.batch_rows;
        let budget = parts.frame.height().max(min);
        let mut batch: Vec<(usize, &[Combo])> = Vec::new();
        let mut rows = 0;
        for (i, sel) in sels.iter().enumerate() {
            let n: usize = sel
                .iter()
                .filter_map(|c| parts.rows.get(c))
                .map(Vec::len)
                .sum();
            if !batch.is_empty() && rows + n > budget {
                self.run_batch(parts, &batch, keep, grouped, &mut out)?;
                batch.clear();
                rows = 0;
            }
            batch.push((i, sel));
            rows += n;
        }
        if !batch.is_empty() {
            self.run_batch(parts, &batch, keep, grouped, &mut out)?;
        }
        Ok(out)
    }

    /// Aggregates a batch of slices, each given with its number, into `out`.
    pub(super) fn run_batch(
        &self,
        parts: &Parts,
        batch: &[(usize, &[Combo])],
        keep: Option<&Expr>,
        grouped: bool,
        out: &mut [BTreeMap<Key, Vec<Partial>>],
    ) -> PolarsResult<()> {
        let mut idx: Vec<IdxSize> = Vec::new();
        let mut ids: Vec<u32> = Vec::new();
        for &(i, sel) in batch {
            let start = idx.len();
            idx.extend(sel.iter().filter_map(|c| parts.rows.get(c)).flatten());
            // Input order within a slice, as when it was aggregated alone.
            idx[start..].sort_unstable();
            ids.resize(idx.len(), i as u32);
        }
        let idx = IdxCa::from_vec(PlSmallStr::EMPTY, idx);
        let mut frame = parts.frame.take(&idx)?;
        frame.with_column(Column::new(SLICE.into(), ids))?;
        let mut lf = no_cse(frame.lazy());
        if let Some(keep) = keep {
            lf = lf.filter(keep.clone());
        }
        let totals = lf.clone().group_by([col(SLICE)]).agg(self.aggs).collect()?;
        let slice_of = |df: &DataFrame, row: usize| -> PolarsResult<usize> {
            Ok(any_i64(df.column(SLICE)?.get(row)?).unwrap_or(0) as usize)
        };
        for row in 0..totals.height() {
            let values = read_partials(&totals, row, self.kinds, self.measures)?;
            out[slice_of(&totals, row)?].insert(None, values);
        }
        if !grouped || self.dims.is_empty() {
            return Ok(());
        }
        let dims = self.dims;
        let keyed = lf
            .with_columns(dims.iter().map(|d| key_of(d)).collect::<Vec<_>>())
            .group_by(
                std::iter::once(col(SLICE))
                    .chain(dims.iter().map(|d| col(d.as_str())))
                    .collect::<Vec<_>>(),
            )
            .agg(self.aggs)
            .collect()?;
        for row in 0..keyed.height() {
            let mut key = Vec::with_capacity(dims.len());
            for d in dims {
                key.push(any_text(keyed.column(d)?.get(row)?));
            }
            let values = read_partials(&keyed, row, self.kinds, self.measures)?;
            out[slice_of(&keyed, row)?].insert(Some(key), values);
        }
        Ok(())
    }
}

/// Where `keep` holds over the rows of `frame`.
pub(super) fn mask_of(frame: &DataFrame, keep: Expr) -> PolarsResult<BooleanChunked> {
    let mask = no_cse(frame.clone().lazy())
        .select([keep.alias("keep")])
        .collect()?;
    Ok(mask.column("keep")?.bool()?.clone())
}

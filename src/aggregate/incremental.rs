//! Incremental aggregation: a re-run after a few workbooks changed aggregates again only what
//! they touch. Tables the last run's results still hold are taken from them. A table made of
//! partials adds up the kept partials of unchanged workbooks and those of the others,
//! aggregated from their rows alone; the other tables are aggregated from frames built only
//! for their datasets.
//!
//! In two steps, because the frames are built in between by the batch that owns them:
//! [`plan`] says which files' rows each dataset's frame needs, [`finish`] makes the tables.

use super::{Partials, TableResult};
use crate::config::Pipeline;
use crate::ingest::FileReport;
use crate::model::Period;
use polars::prelude::DataFrame;
use rayon::prelude::*;
use std::collections::BTreeMap;
use tracing::info;

/// What earlier runs kept of tables and partials (the results store,
/// `crate::store::results`).
pub trait Kept: Sync {
    /// The table's result from the last run, if its data, pipeline and period are the same.
    fn table(&self, pipeline: &Pipeline, ti: usize, period: Period) -> Option<TableResult>;
    fn keep_table(&self, pipeline: &Pipeline, ti: usize, period: Period, table: &TableResult);
    /// A table's partials per workbook from the last run, keyed by [`source_key`].
    fn partials(&self, pipeline: &Pipeline, ti: usize) -> Option<BTreeMap<String, Partials>>;
    /// Keeps a table's partials from the last run for the next without reading them: the
    /// table itself was reused, so its workbooks are the same.
    fn keep_partials_unread(&self, pipeline: &Pipeline, ti: usize);
    fn keep_partials(&self, pipeline: &Pipeline, ti: usize, partials: &BTreeMap<String, Partials>);
}

/// The key of a workbook's partials: its name (a year or month may come from it) and the
/// sha256 of its bytes.
pub fn source_key(file: &FileReport) -> String {
    format!("{}\0{}", file.display, file.sha256)
}

/// Which rows a dataset's frame is built from.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    /// None: the frame stays empty.
    None,
    /// Every file's.
    All,
    /// The rows of the files marked true only.
    OfFiles(Vec<bool>),
}

/// What [`plan`] found: the kept tables and partials, and the rows each dataset needs.
pub struct Plan {
    kept: Vec<Option<TableResult>>,
    /// Per dataset, the files with rows for it: their index, name and [`source_key`].
    sources: Vec<Vec<(usize, String, String)>>,
    stored: Vec<Option<BTreeMap<String, Partials>>>,
    /// Per dataset, the rows its frame must be built from.
    pub rows: Vec<Rows>,
}

/// The partials of table `ti` made from file `file`'s rows as they were read, if they were.
pub type Folded<'a> = &'a (dyn Fn(usize, usize) -> Option<Partials> + Sync);

/// Looks up what `kept` holds for this batch. `rows_in(file, dataset)` says whether a file
/// has clean rows for a dataset; `folded` gives what was made of a file's rows as they were
/// read, which stands for those rows (they are not held).
pub fn plan(
    pipeline: &Pipeline,
    files: &[FileReport],
    rows_in: &(dyn Fn(usize, usize) -> bool + Sync),
    period: Period,
    kept: &dyn Kept,
    folded: Folded,
) -> Plan {
    let tables: Vec<Option<TableResult>> = (0..pipeline.tables.len())
        .into_par_iter()
        .map(|ti| kept.table(pipeline, ti, period))
        .collect();
    let sources: Vec<Vec<(usize, String, String)>> = (0..pipeline.datasets.len())
        .map(|d| {
            (0..files.len())
                .filter(|&i| rows_in(i, d))
                .map(|i| (i, files[i].display.clone(), source_key(&files[i])))
                .collect()
        })
        .collect();
    // Partials are told apart by the file column, which needs one name per file.
    let names_unique = {
        let mut seen = std::collections::BTreeSet::new();
        files.iter().all(|f| seen.insert(f.display.as_str()))
    };
    let stored: Vec<Option<BTreeMap<String, Partials>>> = (0..pipeline.tables.len())
        .into_par_iter()
        .map(|ti| {
            if !names_unique || !super::made_of_partials(pipeline, ti) {
                return None;
            }
            match tables[ti] {
                Some(_) => {
                    kept.keep_partials_unread(pipeline, ti);
                    None
                }
                None => {
                    let mut stored = kept.partials(pipeline, ti).unwrap_or_default();
                    let d = pipeline.tables[ti].dataset;
                    for (i, _, key) in &sources[d] {
                        if let Some(p) = folded(ti, *i) {
                            stored.insert(key.clone(), p);
                        }
                    }
                    Some(stored)
                }
            }
        })
        .collect();
    let rows: Vec<Rows> = (0..pipeline.datasets.len())
        .map(|d| {
            let mut wanted = vec![false; files.len()];
            for (ti, t) in pipeline.tables.iter().enumerate() {
                if t.dataset != d || tables[ti].is_some() {
                    continue;
                }
                let Some(stored) = &stored[ti] else {
                    return Rows::All;
                };
                for (i, _, key) in &sources[d] {
                    wanted[*i] |= !stored.contains_key(key);
                }
            }
            match wanted.iter().any(|&f| f) {
                true => Rows::OfFiles(wanted),
                false => Rows::None,
            }
        })
        .collect();
    Plan {
        kept: tables,
        sources,
        stored,
        rows,
    }
}

/// The tables, in pipeline order, from the plan and the frames built as it asked. Keeps this
/// run's tables and partials for the next.
pub fn finish(
    pipeline: &Pipeline,
    plan: Plan,
    frames: &[DataFrame],
    period: Period,
    kept: &dyn Kept,
) -> Result<Vec<TableResult>, super::AggregateError> {
    let Plan {
        kept: mut reused_tables,
        sources,
        mut stored,
        ..
    } = plan;
    let reused = reused_tables.iter().filter(|k| k.is_some()).count();
    let from_rows = |ti: usize| reused_tables[ti].is_none() && stored[ti].is_none();
    let fresh = super::aggregate_only(pipeline, frames, (period.year, period.month), &from_rows)?;
    let added = (0..pipeline.tables.len())
        .zip(stored.iter_mut())
        .map(|(ti, stored)| {
            let Some(stored) = stored.take() else {
                return Ok(None);
            };
            let d = pipeline.tables[ti].dataset;
            add_partials(pipeline, ti, &frames[d], &sources[d], stored, period, kept).map(Some)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut tables = Vec::with_capacity(fresh.len());
    for (ti, ((k, f), a)) in reused_tables.iter_mut().zip(fresh).zip(added).enumerate() {
        if let Some(t) = f.or(a) {
            kept.keep_table(pipeline, ti, period, &t);
            tables.push(t);
        } else if let Some(t) = k.take() {
            tables.push(t);
        }
    }
    info!(
        reused,
        aggregated = tables.len() - reused,
        "{}",
        crate::i18n::t!("log.tables")
    );
    Ok(tables)
}

/// Table `ti` from the partials of each of its dataset's files: kept in `stored`, or
/// aggregated from the file's rows in `frame`. Keeps this run's partials for the next.
fn add_partials(
    pipeline: &Pipeline,
    ti: usize,
    frame: &DataFrame,
    sources: &[(usize, String, String)],
    mut stored: BTreeMap<String, Partials>,
    period: Period,
    kept: &dyn Kept,
) -> Result<TableResult, super::AggregateError> {
    let mut fresh = match frame.height() {
        0 => BTreeMap::new(),
        _ => super::file_partials(pipeline, ti, frame)?,
    };
    let mut all = BTreeMap::new();
    let mut sum = Partials::default();
    for (_, name, key) in sources {
        // A file's fresh partials are under its name, as in the file column.
        let p = match stored.remove(key) {
            Some(p) => p,
            None => fresh.remove(name).unwrap_or_default(),
        };
        sum.add(&p, pipeline, ti);
        all.insert(key.clone(), p);
    }
    kept.keep_partials(pipeline, ti, &all);
    super::table_of_partials(pipeline, ti, frame, sum, (period.year, period.month))
}

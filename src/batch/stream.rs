//! Folding rows into partials as they are read. A run needs a dataset's rows only for its
//! tables and its clean-data file. When every table of a dataset is made of partials (see
//! [`aggregate::made_of_partials`]), each group of workbooks read is folded at once into each
//! file's partials and Parquet images (stored in the parse cache, when there is one), and the
//! group's frames of that dataset are dropped: the batch then holds the workbooks in flight, the
//! compressed images and the partials, not every clean row of the corpus. With the results
//! store, the folded partials stand for the files' rows (see [`aggregate::incremental::plan`]).

use super::{FileColumns, ParquetImages, Read};
use crate::aggregate::{self, Partials};
use crate::config::Pipeline;
use crate::error::Error;
use crate::shortcuts::{on, Shortcut};
use crate::store::parse::Cache;
use polars::prelude::{DataFrame, PolarsResult};
use rayon::prelude::*;

/// Workbooks read side by side before their rows are folded: enough that a group's partials
/// take a few queries, few enough that a group's rows stay small.
pub(super) const GROUP: usize = 64;

/// What a batch folded as it read.
pub(crate) struct Streamed {
    /// Per pipeline table: whether it is made of the partials below.
    pub tables: Vec<bool>,
    /// Per dataset: whether its rows were folded (and its frames dropped).
    pub datasets: Vec<bool>,
    /// Per file of the batch, per table: the file's partials (None where it has no rows).
    pub partials: Vec<Vec<Option<Partials>>>,
}

impl Streamed {
    /// The datasets whose every table is made of partials, and those tables; None when there
    /// are none.
    pub(super) fn plan(pipeline: &Pipeline) -> Option<Streamed> {
        if !on(Shortcut::Fold) {
            return None;
        }
        let datasets: Vec<bool> = (0..pipeline.datasets.len())
            .map(|d| {
                pipeline
                    .tables
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.dataset == d)
                    .all(|(ti, _)| aggregate::made_of_partials(pipeline, ti))
            })
            .collect();
        if !datasets.iter().any(|&d| d) {
            return None;
        }
        let tables = pipeline
            .tables
            .iter()
            .map(|t| datasets[t.dataset])
            .collect();
        Some(Streamed {
            tables,
            datasets,
            partials: Vec::new(),
        })
    }

    /// Folds a group of workbooks just read: every file's images are encoded (and, with the
    /// parse cache, stored there with its reading) while each folded dataset's rows become
    /// per-file partials of its tables; then those rows are dropped. The partials are returned
    /// in the group's order.
    pub(super) fn fold(
        &self,
        pipeline: &Pipeline,
        group: &mut [Read],
        cache: Option<&Cache>,
    ) -> Result<Vec<Vec<Option<Partials>>>, Error> {
        let aggregate_err = |e: polars::prelude::PolarsError| Error::Aggregate(Box::new(e));
        let shared: &[Read] = group;
        // Side by side: after one workbook changed, encoding its images is one thread's work.
        let (images, partials) = rayon::join(
            || {
                shared
                    .par_iter()
                    .map(
                        |(report, columns, latest)| -> PolarsResult<Option<ParquetImages>> {
                            let FileColumns::Built {
                                frames,
                                images: None,
                            } = columns
                            else {
                                return Ok(None);
                            };
                            let made = frames
                                .iter()
                                .map(crate::clean::image::image_of)
                                .collect::<PolarsResult<Vec<_>>>()?;
                            if let Some(c) = cache {
                                c.put(report, &made, *latest);
                            }
                            Ok(Some(made))
                        },
                    )
                    .collect::<PolarsResult<Vec<_>>>()
            },
            || self.partials_of(pipeline, shared),
        );
        let images = images.map_err(aggregate_err)?;
        let partials = partials?;
        for ((_, columns, _), made) in group.iter_mut().zip(images) {
            if let FileColumns::Built { frames, images } = columns {
                if made.is_some() {
                    *images = made;
                }
                for (d, frame) in frames.iter_mut().enumerate() {
                    if self.datasets[d] {
                        *frame = frame.clear();
                    }
                }
            }
        }
        Ok(partials)
    }

    /// Each file's partials of each folded table, from the group's rows.
    fn partials_of(
        &self,
        pipeline: &Pipeline,
        group: &[Read],
    ) -> Result<Vec<Vec<Option<Partials>>>, Error> {
        let aggregate_err = |e: polars::prelude::PolarsError| Error::Aggregate(Box::new(e));
        let mut out = vec![vec![None; self.tables.len()]; group.len()];
        let empty = crate::clean::clean_frames(pipeline, &[]).map_err(aggregate_err)?;
        for (d, schema) in empty.into_iter().enumerate() {
            if !self.datasets[d] {
                continue;
            }
            let rows = stacked(schema, group, d).map_err(aggregate_err)?;
            if rows.height() == 0 {
                continue;
            }
            for ti in (0..self.tables.len()).filter(|&ti| pipeline.tables[ti].dataset == d) {
                let mut by_file = super::guarded(|| aggregate::file_partials(pipeline, ti, &rows))?;
                for (i, (report, columns, _)) in group.iter().enumerate() {
                    if columns.frame_rows(d) > 0 {
                        out[i][ti] = Some(by_file.remove(&report.display).unwrap_or_default());
                    }
                }
            }
        }
        Ok(out)
    }

    /// Pipeline table `ti` from the partials of every file, added in file order.
    pub(super) fn sum(&self, pipeline: &Pipeline, ti: usize) -> Partials {
        let mut sum = Partials::default();
        for p in self.partials.iter().filter_map(|f| f[ti].as_ref()) {
            sum.add(p, pipeline, ti);
        }
        sum
    }
}

/// The group's rows of dataset `d`, in file order, on `schema`'s columns.
fn stacked(mut rows: DataFrame, group: &[Read], d: usize) -> PolarsResult<DataFrame> {
    for (_, columns, _) in group {
        if let FileColumns::Built { frames, .. } = columns {
            if let Some(f) = frames.get(d).filter(|f| f.height() > 0) {
                rows.vstack_mut(f)?;
            }
        }
    }
    Ok(rows)
}

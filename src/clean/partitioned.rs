//! The clean data as a Hive-partitioned Parquet dataset, so that ingestion can be split by file
//! list across machines and aggregation run once on the union:
//!
//! ```text
//! DIR/<dataset>/year=2022/month=12/part-<id>.parquet
//! DIR/<dataset>/year=2022/month=__HIVE_DEFAULT_PARTITION__/part-<id>.parquet   (annual tables)
//! DIR/_ingest/part-<id>.json      (what was read: files, sheets, row accounting, rejections)
//! ```
//!
//! `<id>` is a hash of the file list, so each list writes its own parts and re-ingesting a list
//! replaces them. `year` and `month` live in the directory names only, as Hive layout has it;
//! polars, DataFusion and Spark read them back as columns.

use crate::clean::frame::{MONTH, YEAR};
use crate::config::Pipeline;
use crate::error::Error;
use crate::ingest::FileReport;
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// The partition value Hive engines read as null.
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";
const REPORTS: &str = "_ingest";

/// A clean-data part that cannot be read: the folder is damaged, not the output disk.
fn unreadable<E: std::fmt::Display>(path: &Path) -> impl FnOnce(E) -> Error + '_ {
    move |e| {
        Error::Usage(crate::i18n::t!(
            "cli.cannot_read",
            path = path.display(),
            e = e
        ))
    }
}

fn polars_err(path: &Path) -> impl FnOnce(PolarsError) -> Error + '_ {
    move |e| Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// The part name of a file list: the same list always gives the same name.
fn part_id(files: &[FileReport]) -> String {
    let mut names: Vec<&str> = files.iter().map(|f| f.display.as_str()).collect();
    names.sort_unstable();
    let id = crate::files::sha256_hex(names.join("\n").as_bytes());
    format!("part-{}", &id[..16])
}

/// A dataset's folder below `root`, made as every output path is (see
/// [`crate::files::output_path`]), so that no dataset name leads out of `root`.
fn dataset_dir(root: &Path, dataset: &str) -> Result<PathBuf, Error> {
    crate::files::output_path(root, &[dataset]).map_err(|e| Error::Emit(Box::new(e)))
}

fn partition_dir(dataset_dir: &Path, year: i32, month: Option<i32>) -> PathBuf {
    let month = month.map_or(NULL_PARTITION.to_string(), |m| m.to_string());
    dataset_dir
        .join(format!("year={year}"))
        .join(format!("month={month}"))
}

/// Files below `dir` that `keep` accepts, in path order.
fn find_files(
    dir: &Path,
    keep: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            find_files(&p, keep, out)?;
        } else if keep(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// Writes one ingested file list into the dataset at `root`, replacing that list's earlier
/// parts. Each file is written under a temporary name and renamed, so a reader never sees half
/// a part. Returns the part's name and the files written.
pub fn write(
    pipeline: &Pipeline,
    files: &[FileReport],
    frames: &[DataFrame],
    root: &Path,
) -> Result<(String, Vec<PathBuf>), Error> {
    let part = part_id(files);
    let file_name = format!("{part}.parquet");
    let mut written = Vec::new();
    for (ds, frame) in pipeline.datasets.iter().zip(frames) {
        let mut old = Vec::new();
        let named = |p: &Path| p.file_name().is_some_and(|n| n == file_name.as_str());
        let ds_dir = dataset_dir(root, &ds.name)?;
        find_files(&ds_dir, &named, &mut old).map_err(Error::output(root))?;
        for p in old {
            std::fs::remove_file(&p).map_err(Error::output(&p))?;
        }
        if frame.height() == 0 {
            continue;
        }
        let groups = frame
            .partition_by_stable([YEAR, MONTH], true)
            .map_err(polars_err(&ds_dir))?;
        for g in groups {
            let year = g.column(YEAR).and_then(|c| c.i32().map(|c| c.get(0)));
            let month = g.column(MONTH).and_then(|c| c.i32().map(|c| c.get(0)));
            let (Ok(Some(year)), Ok(month)) = (year, month) else {
                continue;
            };
            let dir = partition_dir(&ds_dir, year, month);
            std::fs::create_dir_all(&dir).map_err(Error::output(&dir))?;
            let data = g.drop_many([YEAR, MONTH]);
            let tmp = dir.join(format!(".{file_name}.tmp"));
            let money: Vec<&str> = ds
                .fields
                .iter()
                .filter(|f| f.kind == crate::model::FieldKind::Money)
                .map(|f| f.name.as_str())
                .collect();
            let bytes = super::encode::frame_parquet(&data, &money).map_err(|e| Error::Output {
                path: tmp.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
            crate::files::create_own(&tmp)
                .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes))
                .map_err(Error::output(&tmp))?;
            let path = dir.join(&file_name);
            std::fs::rename(&tmp, &path).map_err(Error::output(&path))?;
            written.push(path);
        }
    }
    // What was read, without the rows (they are in the parts above) but with the sums the
    // checks across files need, so that a run of the union doubts what a direct run doubts.
    let reports: Vec<FileReport> = files
        .iter()
        .cloned()
        .map(|mut f| {
            for d in f.sheets.iter_mut().filter_map(|sh| sh.data.as_mut()) {
                d.rows = Vec::new();
                d.row_months = Vec::new();
            }
            f
        })
        .collect();
    let dir = root.join(REPORTS);
    std::fs::create_dir_all(&dir).map_err(Error::output(&dir))?;
    let path = dir.join(format!("{part}.json"));
    let tmp = dir.join(format!(".{part}.json.tmp"));
    let json = serde_json::to_vec_pretty(&reports).map_err(|e| Error::Output {
        path: path.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    std::fs::write(&tmp, json).map_err(Error::output(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(Error::output(&path))?;
    written.push(path);
    Ok((part, written))
}

/// Reads a dataset written by [`write`]: the file reports of every part, in file order, and
/// one clean frame per pipeline dataset, with the columns in the order a direct run gives and
/// the rows in (file, sheet, row) order.
pub fn read(pipeline: &Pipeline, root: &Path) -> Result<(Vec<FileReport>, Vec<DataFrame>), Error> {
    let reports_dir = root.join(REPORTS);
    if !reports_dir.is_dir() {
        return Err(Error::Usage(crate::i18n::t!(
            "part.not_folder",
            root_display = root.display(),
            REPORTS = REPORTS
        )));
    }
    let mut files: Vec<FileReport> = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&reports_dir)
        .map_err(|e| {
            Error::Usage(crate::i18n::t!(
                "cli.cannot_read",
                path = reports_dir.display(),
                e = e
            ))
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for p in entries {
        let text = std::fs::read(&p).map_err(|e| {
            Error::Usage(crate::i18n::t!(
                "cli.cannot_read",
                path = p.display(),
                e = e
            ))
        })?;
        let part: Vec<FileReport> = serde_json::from_slice(&text).map_err(|e| {
            Error::Usage(crate::i18n::t!(
                "part.not_report",
                path = p.display(),
                e = e
            ))
        })?;
        files.extend(part);
    }
    files.sort_by(|a, b| a.display.cmp(&b.display));
    // Empty frames with the right columns and types, for datasets with no parts.
    let empty = crate::clean::clean_frames(pipeline, &[]).map_err(polars_err(root))?;
    let mut frames = Vec::new();
    for (ds, template) in pipeline.datasets.iter().zip(empty) {
        let mut parts = Vec::new();
        let dir = dataset_dir(root, &ds.name)?;
        collect_parquet(&dir, &mut parts).map_err(unreadable(&dir))?;
        let mut frame: Option<DataFrame> = None;
        for p in parts {
            let (year, month) = partition_values(&p).ok_or_else(|| {
                Error::Usage(crate::i18n::t!("part.not_in_folder", path = p.display()))
            })?;
            let file = std::fs::File::open(&p).map_err(unreadable(&p))?;
            let mut part = ParquetReader::new(file).finish().map_err(unreadable(&p))?;
            let h = part.height();
            part.with_column(Column::new(YEAR.into(), vec![year; h]))
                .map_err(polars_err(&p))?;
            part.with_column(Column::new(MONTH.into(), vec![month; h]))
                .map_err(polars_err(&p))?;
            let names: Vec<PlSmallStr> = template.get_column_names_owned();
            let part = part.select(names).map_err(|e| {
                Error::Usage(crate::i18n::t!(
                    "part.columns",
                    p_display = p.display(),
                    name = ds.name,
                    e = e
                ))
            })?;
            match frame.as_mut() {
                Some(f) => {
                    f.vstack_mut(&part).map_err(unreadable(&p))?;
                }
                None => frame = Some(part),
            }
        }
        let Some(frame) = frame else {
            frames.push(template);
            continue;
        };
        let sorted = frame
            .sort(
                ["file", "sheet", "row"],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .map_err(polars_err(root))?;
        // Plain single-chunk columns, as a frame built from workbooks has.
        let height = sorted.height();
        let columns: Vec<Column> = sorted
            .columns()
            .iter()
            .map(|c| c.as_materialized_series().rechunk().into_column())
            .collect();
        let frame = DataFrame::new(height, columns).map_err(polars_err(root))?;
        frames.push(frame);
    }
    Ok((files, frames))
}

/// Parquet parts below `dir`, leaving out temporary files (`.name.tmp`).
fn collect_parquet(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let part = |p: &Path| {
        p.extension().is_some_and(|e| e == "parquet")
            && !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    };
    find_files(dir, &part, out)
}

/// `…/year=2022/month=12/part.parquet` -> (2022, Some(12)); the Hive null month -> None.
fn partition_values(path: &Path) -> Option<(i32, Option<i32>)> {
    let month_dir = path.parent()?;
    let year_dir = month_dir.parent()?;
    let month = month_dir.file_name()?.to_str()?.strip_prefix("month=")?;
    let year: i32 = year_dir
        .file_name()?
        .to_str()?
        .strip_prefix("year=")?
        .parse()
        .ok()?;
    let month = if month == NULL_PARTITION {
        None
    } else {
        Some(month.parse().ok()?)
    };
    Some((year, month))
}

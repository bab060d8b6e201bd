//! `yearbook init FOLDER`: a starter pipeline for the workbooks in a folder.

use crate::config::raw::{RawInputs, RawMeasure, RawOutput, RawPipeline, RawTable};
use crate::error::{exit, Error};
use crate::ingest;
use crate::model::FieldKind;
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder holding the workbooks.
    pub folder: PathBuf,
    /// Where to write the pipeline (default: FOLDER/pipeline.toml).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Overwrite an existing pipeline file.
    #[arg(long)]
    pub force: bool,
}

pub fn execute(args: InitArgs) -> Result<u8, Error> {
    let dict = crate::config::builtin()?;
    let raw_dict = crate::config::parse_raw(crate::config::BUILTIN_DICTIONARY)
        .map_err(|_| Error::Usage("the built-in field dictionary does not parse".into()))?;
    if !args.folder.is_dir() {
        return Err(Error::Usage(format!(
            "{} is not a folder",
            args.folder.display()
        )));
    }
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.folder.join("pipeline.toml"));
    if out.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} exists; pass --force to overwrite it",
            out.display()
        )));
    }
    let mut exts = BTreeSet::new();
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(&args.folder)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let ext = e
            .path()
            .extension()
            .map(|x| x.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if e.file_type().is_file() && matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods") {
            exts.insert(ext);
            files.push((e.path().to_path_buf(), e.path().display().to_string()));
        }
    }
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no .xlsx, .xls or .ods workbooks under {}",
            args.folder.display()
        )));
    }
    let reports = ingest::ingest_all(&dict, &files);
    let mut found: BTreeMap<usize, usize> = BTreeMap::new();
    for sh in reports.iter().flat_map(|f| &f.sheets) {
        if let Some(l) = &sh.layout {
            *found.entry(l.dataset).or_insert(0) += 1;
        }
    }
    if found.is_empty() {
        return Err(Error::Data(format!(
            "no sheet in {} has a header the built-in dictionary recognises; write the pipeline by hand (see docs/pipeline.md)",
            args.folder.display()
        )));
    }
    let base = out.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let rel = pathdiff(&args.folder, &base);
    let mut datasets = BTreeMap::new();
    let mut tables = Vec::new();
    for &di in found.keys() {
        let ds = &dict.datasets[di];
        if let Some(raw) = raw_dict.datasets.get(&ds.name) {
            datasets.insert(ds.name.clone(), raw.clone());
        }
        let mut measures = vec![RawMeasure {
            name: "行数".into(),
            op: "count".into(),
            field: None,
            values: vec![],
            decimals: None,
        }];
        for f in ds.fields.iter().filter(|f| f.kind == FieldKind::Money) {
            measures.push(RawMeasure {
                name: f.name.clone(),
                op: "sum".into(),
                field: Some(f.name.clone()),
                values: vec![],
                decimals: None,
            });
        }
        tables.push(RawTable {
            name: format!("{}_by_year", ds.name),
            title: Some(format!("{}逐年情况", ds.title)),
            dataset: ds.name.clone(),
            by: vec![],
            measures,
            filter: vec![],
            period: None,
            layout: None,
            growth: crate::config::raw::RawGrowth::All(true),
            share: false,
            contribution: false,
            top: None,
            unit: None,
        });
    }
    let raw = RawPipeline {
        name: "starter".into(),
        title: None,
        source: None,
        inputs: RawInputs {
            include: exts.iter().map(|e| format!("{rel}**/*.{e}")).collect(),
            exclude: vec![],
            wide_tables: true,
        },
        output: RawOutput::default(),
        datasets,
        tables,
        charts: vec![],
    };
    let body = toml::to_string(&raw)
        .map_err(|e| Error::Usage(format!("cannot render the pipeline: {e}")))?;
    let header = format!(
        "# Starter pipeline written by `yearbook init` for {} workbooks in {}.\n# Datasets found: {}.\n# Check the field synonyms and add tables; see docs/pipeline.md.\n\n",
        files.len(),
        args.folder.display(),
        found.keys().map(|&d| dict.datasets[d].name.as_str()).collect::<Vec<_>>().join(", ")
    );
    std::fs::write(&out, header + &body).map_err(Error::output(&out))?;
    println!(
        "wrote {} ({} datasets from {} workbooks)",
        out.display(),
        found.len(),
        files.len()
    );
    Ok(exit::OK)
}

/// `folder` relative to `base` as a glob prefix ending in `/`, or "" when they are the same.
fn pathdiff(folder: &std::path::Path, base: &std::path::Path) -> String {
    let f = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let b = std::fs::canonicalize(if base.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        base
    })
    .unwrap_or_else(|_| base.to_path_buf());
    match f.strip_prefix(&b) {
        Ok(r) if r.as_os_str().is_empty() => String::new(),
        Ok(r) => format!("{}/", r.to_string_lossy().replace('\\', "/")),
        Err(_) => format!("{}/", f.to_string_lossy().replace('\\', "/")),
    }
}

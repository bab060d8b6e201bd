//! `yearbook init FOLDER`: a working pipeline for the workbooks in a folder, built from what
//! their headers and cells say, with the built-in dictionary for the names of known columns.

mod plan;
mod render;
mod survey;

use crate::config::{dictionary, Pipeline};
use crate::error::{exit, Error};
use crate::ingest;
use clap::Args;
use plan::{Plan, TablePlan};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use survey::Sheet;

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

const FORMATS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

pub fn execute(args: InitArgs) -> Result<u8, Error> {
    let dict = crate::config::builtin()?;
    let raw_dict =
        dictionary::raw().map_err(|e| Error::Usage(crate::i18n::t!("init.dict", e = e)))?;
    if !args.folder.is_dir() {
        return Err(Error::Usage(crate::i18n::t!(
            "init.not_folder",
            folder_display = args.folder.display()
        )));
    }
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.folder.join("pipeline.toml"));
    if out.exists() && !args.force {
        return Err(Error::Usage(crate::i18n::t!(
            "init.exists",
            out_display = out.display()
        )));
    }
    let base = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !base.is_dir() {
        return Err(Error::Usage(crate::i18n::t!(
            "init.not_out_folder",
            base_display = base.display()
        )));
    }
    let folder_abs = canonical(&args.folder);
    let base_abs = canonical(&base);
    let out_dir = choose_out_dir(&base_abs);
    let out_abs = base_abs.join(&out_dir);

    let files = scan(&folder_abs, &out_abs);
    if files.is_empty() {
        return Err(Error::Usage(crate::i18n::t!(
            "init.no_workbooks",
            folder_display = args.folder.display()
        )));
    }
    let read: Vec<Result<Vec<Sheet>, String>> = files
        .par_iter()
        .map(|(path, display)| survey::read_file(&dict, path, display))
        .collect();

    let mut report = Report::default();
    let mut plans: Vec<Plan> = Vec::new();
    // (file, sheet) -> the dataset its table goes to.
    let mut intended: BTreeMap<(String, String), String> = BTreeMap::new();
    for ((_, display), r) in files.iter().zip(&read) {
        let sheets = match r {
            Ok(s) => s,
            Err(e) => {
                report.unreadable.push(format!("{display}: {e}"));
                continue;
            }
        };
        for s in sheets {
            let t = match s {
                Sheet::Table(t) => t,
                Sheet::NoTable { file, sheet } => {
                    report.no_table.push(format!("{file} › {sheet}"));
                    continue;
                }
                Sheet::Wide { file, sheet } => {
                    report.wide.push(format!("{file} › {sheet}"));
                    continue;
                }
            };
            if t.year.is_none() && !t.year_column {
                report.no_year.push(format!("{} › {}", t.file, t.sheet));
            }
            let pi = match t.dataset {
                Some(di) => {
                    let ds = &dict.datasets[di];
                    match plans.iter().position(|p| p.dict == Some(di)) {
                        Some(i) => i,
                        None => {
                            let unit = raw_dict
                                .datasets
                                .get(&ds.name)
                                .and_then(|d| d.money_unit.clone());
                            plans.push(Plan::new(
                                ds.name.clone(),
                                ds.title.clone(),
                                Some(di),
                                unit,
                            ));
                            plans.len() - 1
                        }
                    }
                }
                None => {
                    let (name, title) = plan::new_dataset_name(t);
                    let keys: BTreeSet<String> =
                        t.columns.iter().map(|c| c.text.key.clone()).collect();
                    let same = plans
                        .iter()
                        .position(|p| p.dict.is_none() && (p.name == name || p.keys() == keys));
                    match same {
                        Some(i) => i,
                        None => {
                            let mut unique = name.clone();
                            let mut n = 2;
                            while plans.iter().any(|p| p.name == unique)
                                || raw_dict.datasets.contains_key(&unique)
                                || unique == crate::config::names::SERIES_FILE
                            {
                                unique = format!("{name}_{n}");
                                n += 1;
                            }
                            plans.push(Plan::new(unique, title, None, None));
                            plans.len() - 1
                        }
                    }
                }
            };
            plans[pi].add_table(t, &raw_dict);
            intended.insert((t.file.clone(), t.sheet.clone()), plans[pi].name.clone());
        }
    }
    if plans.is_empty() {
        return Err(Error::Data(crate::i18n::t!(
            "init.nothing",
            folder_display = args.folder.display()
        )));
    }
    // Dictionary datasets first, in the dictionary's order, then new ones as found.
    plans.sort_by_key(|p| (p.dict.is_none(), p.dict));
    let mut taken = BTreeSet::new();
    let mut tables: Vec<TablePlan> = Vec::new();
    for p in &mut plans {
        p.settle();
    }
    for p in &plans {
        tables.extend(p.tables(&mut taken));
    }

    let rel = glob_prefix(&folder_abs, &base_abs);
    let mut exts: Vec<String> = files
        .iter()
        .filter_map(|(p, _)| p.extension().map(|e| e.to_string_lossy().to_string()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    exts.sort_by_key(|e| {
        (
            FORMATS.iter().position(|f| e.eq_ignore_ascii_case(f)),
            e.clone(),
        )
    });
    let include: Vec<String> = exts.iter().map(|e| format!("{rel}**/*.{e}")).collect();
    let mut exclude = vec![format!("{rel}**/~$*")];
    if let Ok(inside) = out_abs.strip_prefix(&folder_abs) {
        exclude.push(format!(
            "{rel}{}/**",
            inside.to_string_lossy().replace('\\', "/")
        ));
    }
    let name = plan::safe_name(
        &folder_abs
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        "yearbook",
    );
    let title = pipeline_title(&read, &name);

    let doc = render::Doc {
        name: &name,
        title: &title,
        folder: &folder_abs,
        files: files.len(),
        include: &include,
        exclude: &exclude,
        out_dir: &out_dir,
        plans: &plans,
        tables: &tables,
        dict: &raw_dict,
    };
    let text = render::pipeline(&doc);
    let pipeline = crate::config::load_str(&text, &out, &base).map_err(|problems| {
        Error::Usage(crate::i18n::t!(
            "init.invalid",
            v = problems
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    })?;
    report.mismatched = verify(&pipeline, &files, &intended);
    crate::files::write_atomic(&out, text.as_bytes()).map_err(Error::output(&out))?;

    print!("{}", render::summary(&doc, &report, &out));
    let unsure = !report.unreadable.is_empty()
        || !report.no_year.is_empty()
        || !report.mismatched.is_empty()
        || plans.iter().any(|p| !p.notes.is_empty());
    Ok(if unsure { exit::WARNINGS } else { exit::OK })
}

/// What `init` could not settle, for the summary.
#[derive(Debug, Default)]
pub struct Report {
    pub unreadable: Vec<String>,
    pub no_table: Vec<String>,
    pub wide: Vec<String>,
    pub no_year: Vec<String>,
    pub mismatched: Vec<String>,
}

/// Reads the workbooks again with the pipeline as written, as `run` will, and lists every
/// sheet that lands elsewhere than planned or leaves a header unmapped.
fn verify(
    pipeline: &Pipeline,
    files: &[(PathBuf, String)],
    intended: &BTreeMap<(String, String), String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for f in ingest::ingest_all(pipeline, files) {
        for sh in &f.sheets {
            let Some(want) = intended.get(&(f.display.clone(), sh.name.clone())) else {
                continue;
            };
            match &sh.layout {
                Some(l) => {
                    let got = &pipeline.datasets[l.dataset].name;
                    if got != want {
                        out.push(crate::i18n::t!(
                            "init.other_dataset",
                            f_display = f.display,
                            sh_name = sh.name,
                            got = got,
                            want = want
                        ));
                    } else if !l.unmatched.is_empty() {
                        out.push(crate::i18n::t!(
                            "init.unmapped",
                            f_display = f.display,
                            sh_name = sh.name,
                            v = l.unmatched.join(", ")
                        ));
                    }
                }
                None => out.push(crate::i18n::t!(
                    "init.no_table",
                    f_display = f.display,
                    sh_name = sh.name
                )),
            }
        }
    }
    out
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// `folder` as a glob prefix relative to `base` (ending in `/`), or "" when they are the same.
fn glob_prefix(folder: &Path, base: &Path) -> String {
    let escape = |s: String| {
        s.replace('\\', "/")
            .chars()
            .flat_map(|c| match c {
                '*' | '?' | '[' | ']' | '{' | '}' => vec!['[', c, ']'],
                c => vec![c],
            })
            .collect::<String>()
    };
    match folder.strip_prefix(base) {
        Ok(r) if r.as_os_str().is_empty() => String::new(),
        Ok(r) => format!("{}/", escape(r.to_string_lossy().to_string())),
        Err(_) => {
            // Up from the pipeline's folder to a common ancestor, then down.
            let mut up = String::new();
            let mut anc = base;
            while let Some(parent) = anc.parent() {
                up.push_str("../");
                anc = parent;
                if let Ok(r) = folder.strip_prefix(anc) {
                    let down = escape(r.to_string_lossy().to_string());
                    return if down.is_empty() {
                        up
                    } else {
                        format!("{up}{down}/")
                    };
                }
            }
            format!("{}/", escape(folder.to_string_lossy().to_string()))
        }
    }
}

/// Output folder beside the pipeline: `out`, unless something that is not yearbook's output
/// already has that name.
fn choose_out_dir(base: &Path) -> String {
    let mut n = 1;
    loop {
        let name = match n {
            1 => "out".to_string(),
            2 => "yearbook_out".to_string(),
            n => format!("yearbook_out_{n}"),
        };
        let p = base.join(&name);
        if !p.exists() || looks_like_output(&p) {
            return name;
        }
        n += 1;
    }
}

/// A folder holding `NAME/PERIOD/manifest.json`, as `run` writes.
fn looks_like_output(dir: &Path) -> bool {
    let Ok(names) = std::fs::read_dir(dir) else {
        return false;
    };
    names.flatten().any(|n| {
        n.path().join("manifest.json").is_file()
            || std::fs::read_dir(n.path()).is_ok_and(|periods| {
                periods
                    .flatten()
                    .any(|p| p.path().join("manifest.json").is_file())
            })
    })
}

/// The workbooks under `folder`, sorted, with names relative to it. Lock files (`~$…`),
/// hidden entries, the output folder and any earlier yearbook output are left out.
fn scan(folder: &Path, out_dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let walk = walkdir::WalkDir::new(folder)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            if name.starts_with('.') || name.starts_with("~$") {
                return false;
            }
            !(e.file_type().is_dir() && (e.path() == out_dir || looks_like_output(e.path())))
        });
    for e in walk.flatten() {
        if !e.file_type().is_file() {
            continue;
        }
        let ext = e
            .path()
            .extension()
            .map(|x| x.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if !FORMATS.contains(&ext.as_str()) {
            continue;
        }
        let display = e
            .path()
            .strip_prefix(folder)
            .unwrap_or(e.path())
            .to_string_lossy()
            .replace('\\', "/");
        files.push((e.path().to_path_buf(), display));
    }
    files
}

/// The workbooks' common subject: the district (…区, …县, …市) most titles start with.
fn pipeline_title(read: &[Result<Vec<Sheet>, String>], name: &str) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for s in read.iter().flatten().flatten() {
        let Sheet::Table(t) = s else { continue };
        let Some(line) = t.title_lines.first() else {
            continue;
        };
        let line = plan::strip_periods(line);
        let head: Vec<char> = line.chars().take(16).collect();
        let marks: Vec<usize> = (1..head.len())
            .filter(|&i| ['区', '县', '市', '旗'].contains(&head[i]))
            .collect();
        let Some(&first) = marks.first() else {
            continue;
        };
        // `长春市二道区`: a district right after its city is part of the name.
        let mut end = first;
        for &m in &marks[1..] {
            if m - end <= 4 {
                end = m;
            }
        }
        let area: String = head[..=end].iter().collect();
        *counts.entry(area).or_insert(0) += 1;
    }
    match counts
        .into_iter()
        .max_by_key(|(k, n)| (*n, std::cmp::Reverse(k.clone())))
    {
        Some((area, _)) => format!("{area}统计数据"),
        None => format!("{name}统计数据"),
    }
}

//! Expanding a pipeline's input globs into a sorted list of files.

use crate::config::Pipeline;
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// A file matched by the inputs, with the name shown in reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputFile {
    /// Shown in reports: the glob's last literal folder and the path below it.
    pub display: String,
    pub path: PathBuf,
}

/// Something matched that is not a file to read (a folder named like a workbook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputNote {
    pub display: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Inputs {
    pub files: Vec<InputFile>,
    pub notes: Vec<InputNote>,
    /// Include globs that matched nothing, by index.
    pub unmatched: Vec<usize>,
}

fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// Splits a glob into its literal leading folders and the rest.
fn literal_prefix(glob: &str) -> (String, String) {
    let parts: Vec<&str> = glob.split('/').collect();
    let n = parts
        .iter()
        .position(|p| has_meta(p))
        .unwrap_or(parts.len().saturating_sub(1));
    (parts[..n].join("/"), parts[n..].join("/"))
}

/// A glob as the pipeline means it: `*` and `?` stay within one folder, `**` crosses folders.
fn glob(g: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(g).literal_separator(true).build()
}

fn build_set(globs: &[String]) -> Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(glob(g)?);
    }
    b.build()
}

/// A matched file before its shown name is settled.
struct Found {
    path: PathBuf,
    /// The names of the folders from the root down to the file (`..` resolved by name), the
    /// file's last: the shown name is the last `depth` of them.
    names: Vec<String>,
    depth: usize,
}

impl Found {
    fn shown(&self) -> String {
        self.names[self.names.len() - self.depth..].join("/")
    }
}

/// The folder names of `path` from the root, `.` dropped and `..` taking off the one before.
fn folder_names(path: &Path) -> Vec<String> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut names = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => names.push(crate::files::name_text(s)),
            Component::ParentDir => {
                names.pop();
            }
            _ => {}
        }
    }
    names
}

/// Walks the folders the globs start from and returns every match, sorted by display name.
/// A file is one input however many globs or paths reach it (it is known by its real path),
/// and no two inputs show the same name: where the glob's last literal folder and the path
/// below it do not tell two files apart, the folders above are added until they do.
pub fn resolve(pipeline: &Pipeline) -> Result<Inputs, globset::Error> {
    let exclude = build_set(&pipeline.exclude)?;
    let mut found: BTreeMap<PathBuf, Found> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut unmatched = Vec::new();
    for (gi, g) in pipeline.include.iter().enumerate() {
        let matcher = glob(g)?.compile_matcher();
        let (prefix, _) = literal_prefix(g);
        let root = pipeline.base_dir.join(&prefix);
        let root_names = folder_names(&root);
        let shows_root = Path::new(&prefix)
            .components()
            .any(|c| matches!(c, Component::Normal(_)))
            && !root_names.is_empty();
        let mut hits = 0;
        // Symlinks are not followed, so a link loop cannot trap the walk.
        for entry in walkdir::WalkDir::new(&root)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = match entry {
                Ok(e) => e,
                // A folder that cannot be listed is named, not passed over in silence.
                Err(e) => {
                    if let Some(p) = e.path().filter(|p| *p != root.as_path()) {
                        notes.push(InputNote {
                            display: p.to_string_lossy().to_string(),
                            message: crate::i18n::t!("inputs.unlisted", e = e),
                        });
                    }
                    continue;
                }
            };
            let Ok(rel) = entry.path().strip_prefix(&root) else {
                continue;
            };
            // Names that are not UTF-8 are matched and shown as decoded (see `name_text`).
            let rel_names: Vec<String> = rel
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(crate::files::name_text(s)),
                    _ => None,
                })
                .collect();
            if rel_names.is_empty() {
                continue;
            }
            let rel_str = rel_names.join("/");
            let candidate = if prefix.is_empty() {
                rel_str.clone()
            } else {
                format!("{prefix}/{rel_str}")
            };
            if !matcher.is_match(&candidate) || exclude.is_match(&candidate) {
                continue;
            }
            hits += 1;
            let depth = rel_names.len() + usize::from(shows_root);
            let mut names = root_names.clone();
            names.extend(rel_names);
            if entry.file_type().is_dir() {
                let display = names[names.len() - depth..].join("/");
                notes.push(InputNote {
                    display,
                    message: crate::i18n::t!("inputs.folder").into(),
                });
                continue;
            }
            let real =
                std::fs::canonicalize(entry.path()).unwrap_or_else(|_| entry.path().to_path_buf());
            found.entry(real).or_insert(Found {
                path: entry.path().to_path_buf(),
                names,
                depth,
            });
        }
        if hits == 0 {
            unmatched.push(gi);
        }
    }
    notes.sort_by(|a, b| a.display.cmp(&b.display));
    notes.dedup();
    let mut files = unique_names(found.into_values().collect());
    files.sort();
    Ok(Inputs {
        files,
        notes,
        unmatched,
    })
}

/// Shown names made unique: files that show the same name show more of the folders above
/// them, one at a time, until they differ. Two whose whole paths read the same (a name that
/// is not UTF-8 decoded to another file's name) are numbered in the order of their paths.
fn unique_names(mut found: Vec<Found>) -> Vec<InputFile> {
    loop {
        let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, f) in found.iter().enumerate() {
            by_name.entry(f.shown()).or_default().push(i);
        }
        let mut grew = false;
        for same in by_name.values().filter(|v| v.len() > 1) {
            // Paths that read the same all the way up cannot be told apart by their folders.
            if same.iter().all(|&i| found[i].names == found[same[0]].names) {
                continue;
            }
            for &i in same {
                if found[i].depth < found[i].names.len() {
                    found[i].depth += 1;
                    grew = true;
                }
            }
        }
        if !grew {
            break;
        }
    }
    let mut taken = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(found.len());
    for f in found {
        let shown = f.shown();
        let mut display = shown.clone();
        let mut n = 1;
        while !taken.insert(display.clone()) {
            n += 1;
            display = format!("{shown} [{n}]");
        }
        out.push(InputFile {
            display,
            path: f.path,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::literal_prefix;

    #[test]
    fn prefixes() {
        assert_eq!(
            literal_prefix("../sample-data/**/*.xlsx"),
            ("../sample-data".into(), "**/*.xlsx".into())
        );
        assert_eq!(literal_prefix("*.xls"), ("".into(), "*.xls".into()));
        assert_eq!(
            literal_prefix("data/a.xlsx"),
            ("data".into(), "a.xlsx".into())
        );
    }
}

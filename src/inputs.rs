//! Expanding a pipeline's input globs into a sorted list of files.

use crate::config::Pipeline;
use globset::{Glob, GlobSet, GlobSetBuilder};
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

fn build_set(globs: &[String]) -> Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g)?);
    }
    b.build()
}

/// Walks the folders the globs start from and returns every match, sorted by display name.
pub fn resolve(pipeline: &Pipeline) -> Result<Inputs, globset::Error> {
    let exclude = build_set(&pipeline.exclude)?;
    let mut found: BTreeMap<String, InputFile> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut unmatched = Vec::new();
    for (gi, glob) in pipeline.include.iter().enumerate() {
        let matcher = Glob::new(glob)?.compile_matcher();
        let (prefix, _) = literal_prefix(glob);
        let root = pipeline.base_dir.join(&prefix);
        let shown_root = Path::new(&prefix)
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().to_string()),
                _ => None,
            })
            .next_back()
            .unwrap_or_default();
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
                            message: format!("cannot be listed: {e}"),
                        });
                    }
                    continue;
                }
            };
            let Ok(rel) = entry.path().strip_prefix(&root) else {
                continue;
            };
            let rel_str = rel.to_string_lossy().replace('\\', "/");
            if rel_str.is_empty() {
                continue;
            }
            let candidate = if prefix.is_empty() {
                rel_str.clone()
            } else {
                format!("{prefix}/{rel_str}")
            };
            if !matcher.is_match(&candidate) || exclude.is_match(&candidate) {
                continue;
            }
            hits += 1;
            let display = if shown_root.is_empty() {
                rel_str.clone()
            } else {
                format!("{shown_root}/{rel_str}")
            };
            if entry.file_type().is_dir() {
                notes.push(InputNote {
                    display,
                    message: "is a folder, not a workbook; skipped".into(),
                });
                continue;
            }
            found.entry(display.clone()).or_insert(InputFile {
                display,
                path: entry.path().to_path_buf(),
            });
        }
        if hits == 0 {
            unmatched.push(gi);
        }
    }
    notes.sort_by(|a, b| a.display.cmp(&b.display));
    notes.dedup();
    Ok(Inputs {
        files: found.into_values().collect(),
        notes,
        unmatched,
    })
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

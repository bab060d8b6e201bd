//! The pipeline file `init` writes, with comments saying what was decided, and the summary
//! it prints.

use super::plan::{Origin, Plan, TablePlan};
use super::Report;
use crate::config::raw::RawPipeline;
use std::fmt::Write;
use std::path::Path;

pub struct Doc<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub folder: &'a Path,
    pub files: usize,
    pub include: &'a [String],
    pub exclude: &'a [String],
    pub out_dir: &'a str,
    pub plans: &'a [Plan],
    pub tables: &'a [TablePlan],
    pub dict: &'a RawPipeline,
}

/// A TOML basic string.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A table key: bare when TOML allows, else quoted.
fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        q(s)
    }
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// Comment text on one line.
fn flat(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn years(p: &Plan) -> String {
    let ys: Vec<i32> = p.years.iter().copied().filter(|&y| y != i32::MIN).collect();
    let mut s = match (ys.first(), ys.last()) {
        (Some(a), Some(b)) if a == b => format!("{a}"),
        (Some(a), Some(b)) => crate::i18n::t!("init.years", a = a, b = b),
        _ => String::new(),
    };
    if p.years.contains(&i32::MIN) {
        if !s.is_empty() {
            s.push_str(&crate::i18n::t!("common.list_sep"));
        }
        s.push_str(&crate::i18n::t!("init.year_column"));
    }
    if p.months {
        s.push_str(&if p.cumulative {
            crate::i18n::t!("init.cumulative")
        } else {
            crate::i18n::t!("init.by_month")
        });
    }
    s
}

pub fn pipeline(d: &Doc) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Pipeline written by `yearbook init` from {} workbooks in {}.",
        d.files,
        flat(&d.folder.display().to_string())
    );
    let _ = writeln!(
        o,
        "# Field names come from the built-in dictionary where a header is known to it; other\n\
         # columns are named after their header, with the kind read from the header and cells\n\
         # (see the comment above each field). Edit freely: see docs/pipeline.md."
    );
    o.push('\n');
    let _ = writeln!(o, "name = {}", q(d.name));
    let _ = writeln!(o, "title = {}", q(d.title));
    o.push('\n');
    let _ = writeln!(o, "[inputs]");
    let _ = writeln!(o, "include = {}", list(d.include));
    let _ = writeln!(
        o,
        "# Lock files Excel leaves open, and the output folder, are never read as inputs."
    );
    let _ = writeln!(o, "exclude = {}", list(d.exclude));
    o.push('\n');
    let _ = writeln!(o, "[output]");
    let _ = writeln!(o, "dir = {}", q(d.out_dir));
    for p in d.plans {
        dataset(&mut o, p, d);
    }
    if !d.tables.is_empty() {
        let _ = writeln!(
            o,
            "\n# {}\n# Default tables: per dataset its totals, then its sums by each text field with a handful\n\
             # of repeating values. Money is shown in 万元 with 2 decimals.",
            "=".repeat(93)
        );
    }
    for t in d.tables {
        table(&mut o, t);
    }
    for t in d.tables {
        let _ = writeln!(o, "\n[[charts]]");
        let _ = writeln!(o, "name = {}", q(&t.name));
        let _ = writeln!(o, "table = {}", q(&t.name));
        let _ = writeln!(o, "kind = \"bar\"");
        let _ = writeln!(o, "measure = {}", q(&t.chart_measure));
    }
    o
}

fn dataset(o: &mut String, p: &Plan, d: &Doc) {
    let _ = writeln!(o, "\n# {}", "-".repeat(93));
    let source = match p.dict {
        Some(_) => "a dataset of the built-in dictionary".to_string(),
        None => "a new dataset, named after its sheet or title".to_string(),
    };
    let _ = writeln!(
        o,
        "# {} ({source}): {} rows; {}.",
        p.title,
        p.rows,
        years(p)
    );
    let shown: Vec<String> = p
        .sheets
        .iter()
        .take(6)
        .map(|(f, s)| flat(&format!("{f} › {s}")))
        .collect();
    let more = p.sheets.len().saturating_sub(shown.len());
    let _ = writeln!(
        o,
        "# Read from {}{}.",
        shown.join("; "),
        if more > 0 {
            format!(" and {more} more sheets")
        } else {
            String::new()
        }
    );
    for n in &p.notes {
        let _ = writeln!(o, "# Note: {}", flat(n));
    }
    o.push('\n');
    let _ = writeln!(o, "[datasets.{}]", key(&p.name));
    let _ = writeln!(o, "title = {}", q(&p.title));
    if let Some(u) = &p.money_unit {
        let _ = writeln!(o, "money_unit = {}", q(u));
    }
    let identify = match p.dict {
        Some(_) => d
            .dict
            .datasets
            .get(&p.name)
            .map(|ds| ds.identify.clone())
            .unwrap_or_default(),
        None => p.identify.clone(),
    };
    let _ = writeln!(o, "identify = {}", list(&identify));
    for f in &p.fields {
        o.push('\n');
        let seen = flat(&f.headers.join(", "));
        let why = match &f.origin {
            Origin::Dictionary => "dictionary field".to_string(),
            Origin::Known(ds) => format!("dictionary field, as in `{ds}`"),
            Origin::Inferred => format!("inferred: {}", f.why),
        };
        let _ = writeln!(o, "# From {seen}: {why}.");
        let _ = writeln!(o, "[[datasets.{}.fields]]", key(&p.name));
        let _ = writeln!(o, "name = {}", q(&f.name));
        let _ = writeln!(o, "kind = {}", q(f.kind.as_str()));
        let _ = writeln!(o, "synonyms = {}", list(&f.synonyms));
        if f.required {
            let _ = writeln!(o, "required = true");
        }
        if let Some(dash) = &f.dash {
            let _ = writeln!(o, "dash = {}", q(dash));
        }
    }
}

fn table(o: &mut String, t: &TablePlan) {
    let _ = writeln!(o, "\n[[tables]]");
    let _ = writeln!(o, "name = {}", q(&t.name));
    let _ = writeln!(o, "title = {}", q(&t.title));
    let _ = writeln!(o, "dataset = {}", q(&t.dataset));
    if let Some(by) = &t.by {
        let _ = writeln!(o, "by = [{}]", q(by));
    }
    if let Some(p) = t.period {
        let _ = writeln!(o, "period = {}", q(p));
    }
    let _ = writeln!(o, "measures = [");
    for (name, op, field, decimals) in &t.measures {
        let mut m = format!("  {{ name = {}, op = {}", q(name), q(op));
        if let Some(f) = field {
            let _ = write!(m, ", field = {}", q(f));
        }
        if let Some(d) = decimals {
            let _ = write!(m, ", decimals = {d}");
        }
        m.push_str(" },");
        let _ = writeln!(o, "{m}");
    }
    let _ = writeln!(o, "]");
    if t.growth {
        let _ = writeln!(o, "growth = true");
    }
    if t.share {
        let _ = writeln!(o, "share = true");
    }
}

/// `s` padded with spaces to `width` terminal columns (CJK characters take two).
fn pad(s: &str, width: usize) -> String {
    let w: usize = s
        .chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

pub fn summary(d: &Doc, r: &Report, out: &Path) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        crate::i18n::t!(
            "init.wrote",
            out_display = out.display(),
            plans_len = d.plans.len(),
            tables_len = d.tables.len(),
            files = d.files
        )
    );
    for p in d.plans {
        let kind = if p.dict.is_some() {
            crate::i18n::t!("init.dictionary")
        } else {
            crate::i18n::t!("init.new")
        };
        let _ = writeln!(
            o,
            "{}",
            crate::i18n::t!(
                "init.dataset",
                p_name = p.name,
                title = p.title,
                kind = kind,
                sheets_len = p.sheets.len(),
                rows = p.rows,
                v = years(p)
            )
        );
        for f in &p.fields {
            let how = match &f.origin {
                Origin::Dictionary => String::new(),
                Origin::Known(ds) => crate::i18n::t!("init.as_in", ds = ds),
                Origin::Inferred => crate::i18n::t!("init.inferred", why = f.why),
            };
            let _ = writeln!(
                o,
                "  {} {:<7} <- {}{how}",
                pad(&f.name, 18),
                f.kind.as_str(),
                f.headers.join(", ")
            );
        }
        let tables: Vec<&str> = d
            .tables
            .iter()
            .filter(|t| t.dataset == p.name)
            .map(|t| t.name.as_str())
            .collect();
        if !tables.is_empty() {
            let _ = writeln!(
                o,
                "{}",
                crate::i18n::t!("init.tables", v = tables.join(", "))
            );
        }
    }
    let _ = writeln!(
        o,
        "{}",
        crate::i18n::t!("init.inputs", v = d.include.join(", "), out_dir = d.out_dir)
    );
    let mut section = |title: &str, items: &[String]| {
        if !items.is_empty() {
            let _ = writeln!(o, "\n{title}{}", crate::i18n::t!("init.colon"));
            for i in items {
                let _ = writeln!(o, "  {i}");
            }
        }
    };
    let notes: Vec<String> = d.plans.iter().flat_map(|p| p.notes.clone()).collect();
    section(&crate::i18n::t!("init.s_notes"), &notes);
    section(&crate::i18n::t!("init.s_no_year"), &r.no_year);
    section(&crate::i18n::t!("init.s_mismatched"), &r.mismatched);
    section(&crate::i18n::t!("init.s_unreadable"), &r.unreadable);
    section(&crate::i18n::t!("init.s_wide"), &r.wide);
    section(&crate::i18n::t!("init.s_no_table"), &r.no_table);
    let _ = writeln!(
        o,
        "{}",
        crate::i18n::t!("init.next", out_display = out.display())
    );
    o
}

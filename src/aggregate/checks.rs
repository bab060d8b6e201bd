//! Checks across the files of a batch, on the per-(year, month) sums each sheet's reading
//! keeps: a year whose files mix 1—N月 and single-month or annual values, and a 1—N月
//! series that falls from one month to the next.

use crate::config::Pipeline;
use crate::ingest::FileReport;
use crate::model::{FieldKind, MoneyUnit};
use std::collections::{BTreeMap, BTreeSet};

/// One sheet's rows of one (year, month).
struct Entry<'a> {
    file: &'a str,
    sheet: &'a str,
    month: Option<u32>,
    cumulative: bool,
    sums: &'a [Option<i64>],
}

/// Every doubt the checks find, one line each.
pub fn cross_file(pipeline: &Pipeline, files: &[FileReport]) -> Vec<String> {
    // (dataset, year) -> entries, in file order.
    let mut by: BTreeMap<(usize, i32), Vec<Entry>> = BTreeMap::new();
    for f in files {
        for sh in &f.sheets {
            let Some(d) = &sh.data else { continue };
            for t in &d.totals {
                by.entry((d.dataset, t.year)).or_default().push(Entry {
                    file: &f.display,
                    sheet: &sh.name,
                    month: t.month,
                    cumulative: d.cumulative,
                    sums: &t.sums,
                });
            }
        }
    }
    let mut out = Vec::new();
    for ((di, year), entries) in &by {
        let ds = &pipeline.datasets[*di];
        // January's figure is both its month and its 1—1月 figure (see the aggregation).
        let later = |e: &&Entry| e.month != Some(1);
        let cum: Vec<&Entry> = entries
            .iter()
            .filter(later)
            .filter(|e| e.cumulative)
            .collect();
        let single: Vec<&Entry> = entries
            .iter()
            .filter(later)
            .filter(|e| !e.cumulative)
            .collect();
        if !cum.is_empty() && !single.is_empty() {
            out.push(crate::i18n::t!(
                "warn.mixed_cumulative",
                name = ds.name,
                year = year,
                v = names(&cum),
                v2 = names(&single)
            ));
            continue;
        }
        // The 1—N月 series, all files of a month added up.
        let cumulative_year = !cum.is_empty();
        let mut months: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
        for e in entries
            .iter()
            .filter(|e| e.cumulative || (cumulative_year && e.month == Some(1)))
        {
            let Some(m) = e.month else { continue };
            let acc = months.entry(m).or_insert_with(|| vec![0; e.sums.len()]);
            for (a, s) in acc.iter_mut().zip(e.sums) {
                *a = a.saturating_add(s.unwrap_or(0));
            }
        }
        let present: BTreeSet<u32> = months.keys().copied().collect();
        for (a, b) in present.iter().zip(present.iter().skip(1)) {
            for (fi, field) in ds.fields.iter().enumerate() {
                if !matches!(field.kind, FieldKind::Money | FieldKind::Count) {
                    continue;
                }
                let (x, y) = (months[a][fi], months[b][fi]);
                if y < x {
                    out.push(crate::i18n::t!(
                        "warn.ytd_falls_files",
                        name = ds.name,
                        field_name = field.name,
                        v = show(x, field.kind),
                        year = year,
                        a = a,
                        v2 = show(y, field.kind),
                        b = b
                    ));
                }
            }
        }
    }
    out
}

fn show(x: i64, kind: FieldKind) -> String {
    match kind {
        FieldKind::Money if crate::i18n::zh() => crate::i18n::wan(x),
        FieldKind::Money => format!(
            "{}万元",
            crate::model::fen_to_unit_string(x, MoneyUnit::Wanyuan, 4)
        ),
        _ => x.to_string(),
    }
}

/// The first few files and sheets of `entries`, and how many more.
fn names(entries: &[&Entry]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in entries {
        let month = match e.month {
            Some(m) => format!(" {m}月"),
            None => String::new(),
        };
        let n = crate::i18n::t!(
            "warn.file_sheet",
            file = e.file,
            sheet = e.sheet,
            month = month
        );
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    let more = seen.len().saturating_sub(3);
    let mut s = seen
        .into_iter()
        .take(3)
        .collect::<Vec<_>>()
        .join(&crate::i18n::t!("common.list_sep"));
    if more > 0 {
        s.push_str(&crate::i18n::t!("warn.and_more", n = more));
    }
    s
}

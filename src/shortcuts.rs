//! The shortcuts: where yearbook takes a faster way than the plain one, each with a switch back
//! to the plain way. Both ways give the same outputs, byte for byte (tests/testsuite/shortcuts.rs
//! runs each switch); the switches are there to measure what each shortcut gains on the
//! corpora of BENCHMARKS.md, so that one that no longer pays can be found and removed.
//!
//! `YEARBOOK_WITHOUT=fold,partials` (names separated by commas, or `all`) takes the plain way
//! for those. Each shortcut is asked for where it is taken, by [`on`].

use crate::config::suggest::did_you_mean;
use std::sync::OnceLock;

/// The environment variable that names the shortcuts not to take.
pub const ENV: &str = "YEARBOOK_WITHOUT";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shortcut {
    /// `ingest::xlsx_plain`: xlsx sheets read by scanning their XML, not through calamine.
    PlainReader,
    /// `ingest::workbook::without_calamine`: a workbook of plain sheets read without opening
    /// calamine's reader at all.
    WithoutCalamine,
    /// `ingest::value::exact_number`: number cells typed without going through text.
    ExactNumbers,
    /// `aggregate::engine::Tuning::batch_rows`: a table's period slices gathered in one
    /// grouped query per batch instead of one query each.
    SliceBatches,
    /// `aggregate::engine::Tuning::by_combo`: tables whose measures add up exactly made from
    /// the partials of each (year, month, 1—N月) combination.
    Partials,
    /// `emit::period::write_period`: the workbook, the clean data and each table's files
    /// written side by side.
    WritesSideBySide,
    /// `batch::stream`: rows folded into partials and images as each group of workbooks is
    /// read, and dropped.
    Fold,
    /// `cli::make_null_page_early`: polars' page of zeroes made at start on a thread of its
    /// own.
    NullPageEarly,
}

impl Shortcut {
    pub const ALL: [Shortcut; 8] = [
        Shortcut::PlainReader,
        Shortcut::WithoutCalamine,
        Shortcut::ExactNumbers,
        Shortcut::SliceBatches,
        Shortcut::Partials,
        Shortcut::WritesSideBySide,
        Shortcut::Fold,
        Shortcut::NullPageEarly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shortcut::PlainReader => "plain-reader",
            Shortcut::WithoutCalamine => "without-calamine",
            Shortcut::ExactNumbers => "exact-numbers",
            Shortcut::SliceBatches => "slice-batches",
            Shortcut::Partials => "partials",
            Shortcut::WritesSideBySide => "writes-side-by-side",
            Shortcut::Fold => "fold",
            Shortcut::NullPageEarly => "null-page-early",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// The shortcuts switched off, one bit each.
static OFF: OnceLock<u32> = OnceLock::new();

/// Whether the shortcut is taken: always, unless [`ENV`] named it (read once, at the first
/// question; [`init`] reads it first and reports a misspelt name).
pub fn on(s: Shortcut) -> bool {
    OFF.get_or_init(|| parse(&std::env::var(ENV).unwrap_or_default()).unwrap_or(0)) & s.bit() == 0
}

/// The fewest items a piece of a parallel iterator may hold: 1 where the shortcut is taken,
/// all of them (one piece, one thread) where it is not.
pub fn min_len(s: Shortcut) -> usize {
    if on(s) {
        1
    } else {
        usize::MAX
    }
}

/// `rayon::join` where the shortcut is taken, `a` then `b` on this thread where it is not.
pub fn join<A, B, RA, RB>(s: Shortcut, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if on(s) {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

/// Reads [`ENV`]. An unknown name is an error naming it, the name meant if one is close, and
/// every name.
pub fn init() -> Result<(), String> {
    let (name, meant) = match parse(&std::env::var(ENV).unwrap_or_default()) {
        Ok(off) => {
            let _ = OFF.set(off);
            return Ok(());
        }
        Err(e) => e,
    };
    let names = Shortcut::ALL.map(Shortcut::name).join(", ");
    Err(match meant {
        Some(meant) => crate::i18n::t!(
            "cli.bad_shortcut_env_meant",
            env = ENV,
            name = name,
            meant = meant,
            names = names
        ),
        None => crate::i18n::t!(
            "cli.bad_shortcut_env",
            env = ENV,
            name = name,
            names = names
        ),
    })
}

fn parse(list: &str) -> Result<u32, (String, Option<String>)> {
    let mut off = 0;
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "all" {
            off |= Shortcut::ALL.iter().fold(0, |a, s| a | s.bit());
            continue;
        }
        match Shortcut::ALL.iter().find(|s| s.name() == name) {
            Some(s) => off |= s.bit(),
            None => {
                let meant = did_you_mean(name, Shortcut::ALL.iter().map(|s| s.name()));
                return Err((name.to_string(), meant));
            }
        }
    }
    Ok(off)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_misspellings_are_caught() {
        assert_eq!(parse(""), Ok(0));
        assert_eq!(
            parse(" fold , partials"),
            Ok(Shortcut::Fold.bit() | Shortcut::Partials.bit())
        );
        assert_eq!(parse("all"), Ok((1 << Shortcut::ALL.len()) - 1));
        assert_eq!(
            parse("flod"),
            Err(("flod".to_string(), Some("fold".to_string())))
        );
        assert_eq!(
            parse("nothing-like-it"),
            Err(("nothing-like-it".to_string(), None))
        );
        for s in Shortcut::ALL {
            assert_eq!(parse(s.name()), Ok(s.bit()));
        }
    }
}

//! The cell-value policy: one exhaustive match over calamine's cell types per field kind.
//!
//! Money is parsed from decimal text into integer fen without passing through float
//! arithmetic, so that 11.73 亿元 is exactly 117,300,000,000 fen.

use crate::model::parse_decimal_scaled;
use crate::model::{DashPolicy, FieldKind, MoneyUnit, Value};
use crate::shortcuts::{on, Shortcut};
use calamine::{CellErrorType, Data};
use unicode_normalization::UnicodeNormalization;

/// Why a cell could not be read as its field's kind; completes "expected <kind>, found …".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CellError {
    #[error("{}", crate::i18n::t!("cell.text", v = .0))]
    Text(String),
    #[error("{}", crate::i18n::t!("cell.error_value", v = .0))]
    ErrorValue(String),
    #[error("{}", crate::i18n::t!("cell.bool", v = .0))]
    Bool(bool),
    #[error("{}", crate::i18n::t!("cell.date", v = .0))]
    Date(String),
    #[error("{}", crate::i18n::t!("cell.duration", v = .0))]
    Duration(String),
    #[error("{}", crate::i18n::t!("cell.fraction", v = .0))]
    Fraction(String),
    #[error("{}", crate::i18n::t!("cell.out_of_range", v = .0))]
    OutOfRange(String),
    #[error("{}", crate::i18n::t!("cell.not_a_date", v = .0))]
    NotADate(String),
    #[error("{}", crate::i18n::t!("cell.implausible_date", first = DATE_YEARS.start(), last = DATE_YEARS.end(), v = .0))]
    ImplausibleDate(String),
}

impl CellError {
    /// The kind of error as a stable name, for `rejected.csv`'s `reason_code`.
    pub fn code(&self) -> &'static str {
        match self {
            CellError::Text(_) => "found_text",
            CellError::ErrorValue(_) => "found_error_value",
            CellError::Bool(_) => "found_boolean",
            CellError::Date(_) => "found_date",
            CellError::Duration(_) => "found_duration",
            CellError::Fraction(_) => "found_fraction",
            CellError::OutOfRange(_) => "number_out_of_range",
            CellError::NotADate(_) => "number_for_date",
            CellError::ImplausibleDate(_) => "date_out_of_range",
        }
    }
}

/// The years a date field accepts, as for year columns and titles. Excel's own dates start in
/// 1900; a year far beyond the plans a bureau records (or before year 1, which ISO text can
/// write) is a typing error.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2099;

/// Words that mean "nothing here" in a numeric cell.
const DASHES: [&str; 9] = ["-", "—", "——", "－", "–", "―", "…", "...", "……"];
/// Units written after a number in text cells; money units are applied, the rest dropped.
const TRAILING_UNITS: [&str; 12] = [
    "万元", "亿元", "千元", "元", "户", "笔", "个", "家", "项", "次", "人", "%",
];

/// The cell as a person reads it: whole floats without `.0`, dates as YYYY-MM-DD.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => match excel_days(dt.as_f64()) {
            Some(days) => date_text(days),
            None => float_text(dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => error_text(e),
    }
}

fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn error_text(e: &CellErrorType) -> String {
    match e {
        CellErrorType::Div0 => "#DIV/0!",
        CellErrorType::NA => "#N/A",
        CellErrorType::Name => "#NAME?",
        CellErrorType::Null => "#NULL!",
        CellErrorType::Num => "#NUM!",
        CellErrorType::Ref => "#REF!",
        CellErrorType::Value => "#VALUE!",
        CellErrorType::GettingData => "#GETTING_DATA",
    }
    .to_string()
}

/// Parses a cell as `kind`. Money uses `unit` unless the text names its own.
pub fn parse_cell(
    cell: &Data,
    kind: FieldKind,
    unit: MoneyUnit,
    dash: DashPolicy,
) -> Result<Value, CellError> {
    let value = parse_unbounded(cell, kind, unit, dash)?;
    match value {
        Value::Money(fen) if fen.unsigned_abs() > MAX_FEN => {
            Err(CellError::OutOfRange(cell_text(cell)))
        }
        Value::Count(n) if n.unsigned_abs() > MAX_COUNT => {
            Err(CellError::OutOfRange(cell_text(cell)))
        }
        v => Ok(v),
    }
}

/// The largest amount a money cell may hold: 10^15 元, far past any real figure. A larger
/// one is a typing or export error, and bounding cells keeps sums inside i64 instead of
/// wrapping round to a wrong figure.
pub const MAX_FEN: u64 = 100_000_000_000_000_000;
/// The largest count a cell may hold (10^15).
pub const MAX_COUNT: u64 = 1_000_000_000_000_000;

fn parse_unbounded(
    cell: &Data,
    kind: FieldKind,
    unit: MoneyUnit,
    dash: DashPolicy,
) -> Result<Value, CellError> {
    let empty = || match (kind, dash) {
        (FieldKind::Count, DashPolicy::Zero) => Value::Count(0),
        (FieldKind::Money, DashPolicy::Zero) => Value::Money(0),
        (FieldKind::Percent, DashPolicy::Zero) => Value::Percent(0.0),
        _ => Value::Null,
    };
    match cell {
        Data::Empty => Ok(empty()),
        Data::String(s) => match kind {
            FieldKind::Text => {
                let t = trim(s);
                Ok(if t.is_empty() {
                    Value::Null
                } else {
                    Value::Text(t.to_string())
                })
            }
            FieldKind::Date => match parse_date_text(s) {
                Some(days) => plausible(days, s),
                None => Err(CellError::Text(s.clone())),
            },
            _ => match clean_number_text(s)? {
                None => Ok(empty()),
                Some((number, text_unit)) => {
                    number_value(&number, kind, text_unit.unwrap_or(unit), || s.clone())
                }
            },
        },
        Data::Float(f) => {
            if !f.is_finite() {
                return Err(CellError::OutOfRange(f.to_string()));
            }
            match kind {
                FieldKind::Text => Ok(Value::Text(float_text(*f))),
                FieldKind::Date => match serial_date(*f) {
                    Some(days) => plausible(days, &float_text(*f)),
                    None => Err(CellError::NotADate(float_text(*f))),
                },
                _ => match on(Shortcut::ExactNumbers)
                    .then(|| exact_number(*f, kind, unit))
                    .flatten()
                {
                    Some(v) => Ok(v),
                    None => float_by_text(*f, kind, unit),
                },
            }
        }
        Data::Int(i) => match kind {
            FieldKind::Text => Ok(Value::Text(i.to_string())),
            FieldKind::Date => match serial_date(*i as f64) {
                Some(days) => plausible(days, &i.to_string()),
                None => Err(CellError::NotADate(i.to_string())),
            },
            _ => match exact_int(*i, kind, unit) {
                Some(v) => Ok(v),
                None => number_value(&i.to_string(), kind, unit, || i.to_string()),
            },
        },
        Data::Bool(b) => match kind {
            FieldKind::Text => Ok(Value::Text(cell_text(cell))),
            _ => Err(CellError::Bool(*b)),
        },
        Data::DateTime(dt) => {
            let shown = cell_text(cell);
            match kind {
                FieldKind::Text => Ok(Value::Text(shown)),
                FieldKind::Date => match excel_days(dt.as_f64()) {
                    Some(days) => plausible(days, &shown),
                    None => Err(CellError::ImplausibleDate(shown)),
                },
                _ => Err(CellError::Date(shown)),
            }
        }
        Data::DateTimeIso(s) => match kind {
            FieldKind::Text => Ok(Value::Text(s.clone())),
            // An ISO date cell that does not parse names a year no calendar here holds.
            FieldKind::Date => match parse_date_text(s) {
                Some(days) => plausible(days, s),
                None => Err(CellError::ImplausibleDate(s.clone())),
            },
            _ => Err(CellError::Date(s.clone())),
        },
        Data::DurationIso(s) => match kind {
            FieldKind::Text => Ok(Value::Text(s.clone())),
            _ => Err(CellError::Duration(s.clone())),
        },
        Data::Error(e) => Err(CellError::ErrorValue(error_text(e))),
    }
}

/// Trims every kind of space Chinese workbooks hold: ASCII, U+3000 and no-break space.
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}')
}

/// A finite f64 as plain decimal text (no exponent).
fn plain_decimal(f: f64) -> String {
    let s = format!("{f}");
    if !s.contains(['e', 'E']) {
        return s;
    }
    // Rust's Display never uses exponents for f64, but keep a safe path.
    format!("{f:.10}")
}

/// Cleans numeric text: NFKC, spaces, thousands separators, a trailing unit, `(123)`.
/// Returns the ASCII number and the money unit written in the text, or None for a dash.
pub fn clean_number_text(raw: &str) -> Result<Option<(String, Option<MoneyUnit>)>, CellError> {
    let s: String = raw
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '\u{a0}')
        .collect();
    if s.is_empty() || DASHES.contains(&s.as_str()) {
        return Ok(None);
    }
    let mut body = s.as_str();
    let mut unit = None;
    for u in TRAILING_UNITS {
        if let Some(rest) = body.strip_suffix(u) {
            unit = MoneyUnit::parse(u);
            body = rest;
            break;
        }
    }
    let mut negative = false;
    if let Some(inner) = body.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
        negative = true;
        body = inner;
    }
    if let Some(rest) = body.strip_prefix('+') {
        body = rest;
    } else if let Some(rest) = body.strip_prefix(['-', '\u{2212}', '△']) {
        // `−` (U+2212, which NFKC keeps) and `△` are minus signs in Chinese tables.
        negative = !negative;
        body = rest;
    }
    let valid = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.chars().filter(|&c| c == '.').count() <= 1
        && body.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return Err(CellError::Text(raw.to_string()));
    }
    Ok(Some((
        if negative {
            format!("-{body}")
        } else {
            body.to_string()
        },
        unit,
    )))
}

/// A float's value without going through text, where that gives exactly what the text would:
/// money whose fen is a whole number below 2^52 (then the shortest decimal of `f` has no
/// digits past the fen, so it is that whole number), whole counts, percentages. None sends
/// the cell the slow way, which also words the errors.
pub(super) fn exact_number(f: f64, kind: FieldKind, unit: MoneyUnit) -> Option<Value> {
    const LIMIT: f64 = (1u64 << 52) as f64;
    match kind {
        FieldKind::Money => {
            let per = unit.fen() as f64;
            let fen = (f * per).round();
            (fen.abs() < LIMIT && fen / per == f).then_some(Value::Money(fen as i64))
        }
        FieldKind::Count => (f.abs() < LIMIT && f.fract() == 0.0).then_some(Value::Count(f as i64)),
        FieldKind::Percent => Some(Value::Percent(f)),
        FieldKind::Text | FieldKind::Date => None,
    }
}

/// A number cell's value by its shortest round-trip text, then exact decimal parsing.
pub(super) fn float_by_text(f: f64, kind: FieldKind, unit: MoneyUnit) -> Result<Value, CellError> {
    let mut buf = ryu::Buffer::new();
    let short = buf.format_finite(f);
    let shown = || float_text(f);
    if short.contains(['e', 'E']) {
        number_value(&plain_decimal(f), kind, unit, shown)
    } else {
        number_value(short, kind, unit, shown)
    }
}

/// An integer cell's value without going through text; None where it would overflow.
fn exact_int(i: i64, kind: FieldKind, unit: MoneyUnit) -> Option<Value> {
    match kind {
        FieldKind::Money => i.checked_mul(unit.fen()).map(Value::Money),
        FieldKind::Count => Some(Value::Count(i)),
        FieldKind::Percent => Some(Value::Percent(i as f64)),
        FieldKind::Text | FieldKind::Date => None,
    }
}

/// `shown` gives the cell as written, for error messages only.
fn number_value(
    number: &str,
    kind: FieldKind,
    unit: MoneyUnit,
    shown: impl Fn() -> String,
) -> Result<Value, CellError> {
    let out_of_range = || CellError::OutOfRange(shown());
    match kind {
        FieldKind::Money => {
            // Fen per unit is a power of ten: scale the decimal text directly.
            let scale = unit.fen().ilog10();
            let fen = parse_decimal_scaled(number, scale).ok_or_else(out_of_range)?;
            i64::try_from(fen)
                .map(Value::Money)
                .map_err(|_| out_of_range())
        }
        FieldKind::Count => {
            let (int, frac) = number.split_once('.').unwrap_or((number, ""));
            if frac.chars().any(|c| c != '0') {
                return Err(CellError::Fraction(shown()));
            }
            int.parse::<i64>()
                .map(Value::Count)
                .map_err(|_| out_of_range())
        }
        FieldKind::Percent => {
            let v: f64 = number.parse().map_err(|_| out_of_range())?;
            if v.is_finite() {
                Ok(Value::Percent(v))
            } else {
                Err(out_of_range())
            }
        }
        FieldKind::Text | FieldKind::Date => Err(CellError::Text(shown())),
    }
}

/// Days since 1970-01-01 for an Excel serial (1900 date system).
fn excel_days(serial: f64) -> Option<i32> {
    if !serial.is_finite() || !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    Some(serial.floor() as i32 - 25_569)
}

fn serial_date(f: f64) -> Option<i32> {
    excel_days(f)
}

/// A date field's value when its year is in [`DATE_YEARS`].
fn plausible(days: i32, shown: &str) -> Result<Value, CellError> {
    let year = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(days as i64)))
        .map(|d| chrono::Datelike::year(&d));
    match year {
        Some(y) if DATE_YEARS.contains(&y) => Ok(Value::Date(days)),
        _ => Err(CellError::ImplausibleDate(shown.to_string())),
    }
}

/// `2022-05-01`, `2022/5/1`, `2022.5.1`, `2022年5月1日` (also with a time after a space or T).
/// A sign before the year (`-1000-01-01`, ISO's years before 1) is not a date here.
fn parse_date_text(raw: &str) -> Option<i32> {
    let s: String = raw.nfkc().collect();
    let s = trim(&s).split([' ', 'T']).next().unwrap_or("");
    if s.starts_with(['-', '+', '−']) {
        return None;
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return None;
    }
    let y: i32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    let d: u32 = parts[2].parse().ok()?;
    days_from_civil(y, m, d)
}

/// Days since 1970-01-01 of a calendar date, None if the date does not exist.
fn days_from_civil(y: i32, m: u32, d: u32) -> Option<i32> {
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((date - epoch).num_days()).ok()
}

fn date_text(days: i32) -> String {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(days as i64)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DashPolicy::*, FieldKind::*, MoneyUnit::*};

    fn s(x: &str) -> Data {
        Data::String(x.to_string())
    }

    #[test]
    fn money_is_exact_in_every_unit() {
        assert_eq!(
            parse_cell(&s("11.73"), Money, Yiyuan, Zero),
            Ok(Value::Money(117_300_000_000))
        );
        assert_eq!(
            parse_cell(&Data::Float(11.73), Money, Yiyuan, Zero),
            Ok(Value::Money(117_300_000_000))
        );
        assert_eq!(
            parse_cell(&Data::Float(0.0001), Money, Wanyuan, Zero),
            Ok(Value::Money(100))
        );
        assert_eq!(
            parse_cell(&s("1,837万元"), Money, Yuan, Zero),
            Ok(Value::Money(1_837_000_000))
        );
        assert_eq!(
            parse_cell(&s("500元"), Money, Wanyuan, Zero),
            Ok(Value::Money(50_000))
        );
        assert_eq!(
            parse_cell(&s("(123)"), Money, Wanyuan, Zero),
            Ok(Value::Money(-123_000_000))
        );
        for neg in ["\u{2212}123", "△123", "－123", "（123）"] {
            assert_eq!(
                parse_cell(&s(neg), Money, Wanyuan, Zero),
                Ok(Value::Money(-123_000_000)),
                "{neg}"
            );
        }
        assert_eq!(
            parse_cell(&s("１２３"), Money, Wanyuan, Zero),
            Ok(Value::Money(123_000_000))
        );
        assert_eq!(
            parse_cell(&s("1,234.5"), Money, Yuan, Zero),
            Ok(Value::Money(123_450))
        );
        assert_eq!(
            parse_cell(&Data::Int(2021), Money, Yuan, Zero),
            Ok(Value::Money(202_100))
        );
    }

    #[test]
    fn dashes_and_empty_follow_the_policy() {
        for d in ["—", "——", "-", "－", "", "  "] {
            assert_eq!(
                parse_cell(&s(d), Money, Wanyuan, Zero),
                Ok(Value::Money(0)),
                "{d:?}"
            );
            assert_eq!(
                parse_cell(&s(d), Count, Wanyuan, Missing),
                Ok(Value::Null),
                "{d:?}"
            );
        }
        assert_eq!(
            parse_cell(&Data::Empty, Count, Wanyuan, Zero),
            Ok(Value::Count(0))
        );
    }

    #[test]
    fn bad_values_are_errors() {
        for bad in ["NaN", "inf", "-inf", "Infinity", "待核实", "1.2.3", "abc"] {
            assert!(parse_cell(&s(bad), Money, Wanyuan, Zero).is_err(), "{bad}");
        }
        assert!(matches!(
            parse_cell(&s("99999999999999999999"), Money, Wanyuan, Zero),
            Err(CellError::OutOfRange(_))
        ));
        assert_eq!(
            parse_cell(&Data::Bool(true), Money, Wanyuan, Zero),
            Err(CellError::Bool(true))
        );
        assert_eq!(
            parse_cell(&Data::Error(CellErrorType::Div0), Count, Wanyuan, Zero),
            Err(CellError::ErrorValue("#DIV/0!".into()))
        );
        assert!(matches!(
            parse_cell(&Data::Float(f64::NAN), Percent, Wanyuan, Zero),
            Err(_)
        ));
    }

    #[test]
    fn counts_are_whole_and_never_scaled() {
        assert_eq!(
            parse_cell(&s("35903户"), Count, Yiyuan, Zero),
            Ok(Value::Count(35903))
        );
        assert_eq!(
            parse_cell(&Data::Float(3.0), Count, Yiyuan, Zero),
            Ok(Value::Count(3))
        );
        assert!(matches!(
            parse_cell(&Data::Float(3.5), Count, Wanyuan, Zero),
            Err(CellError::Fraction(_))
        ));
    }

    #[test]
    fn dates_before_year_one_and_implausible_years_are_refused() {
        let iso = |x: &str| Data::DateTimeIso(x.to_string());
        for (cell, shown) in [
            (iso("-1000-01-01"), "-1000-01-01"),
            (iso("0000-01-01"), "0000-01-01"),
            (iso("9999-12-31"), "9999-12-31"),
            (s("-2022-01-01"), "-2022-01-01"),
            (s("1000年1月1日"), "1000年1月1日"),
            (Data::Float(2_958_465.0), "2958465"),
        ] {
            let got = parse_cell(&cell, Date, Wanyuan, Zero);
            assert!(
                matches!(&got, Err(CellError::ImplausibleDate(x)) | Err(CellError::Text(x)) if x == shown),
                "{cell:?} gave {got:?}"
            );
        }
        assert_eq!(
            parse_cell(&iso("1000-01-01"), Date, Wanyuan, Zero),
            Err(CellError::ImplausibleDate("1000-01-01".into()))
        );
        assert_eq!(
            parse_cell(&iso("2022-05-01"), Date, Wanyuan, Zero),
            Ok(Value::Date(19113))
        );
        assert_eq!(
            CellError::ImplausibleDate("-1000-01-01".into()).to_string(),
            "a date outside the years 1900–2099 (-1000-01-01)"
        );
    }

    #[test]
    fn texts_and_dates() {
        assert_eq!(
            parse_cell(&Data::Float(2021.0), Text, Wanyuan, Zero),
            Ok(Value::Text("2021".into()))
        );
        assert_eq!(
            parse_cell(&s("\u{3000}项目 "), Text, Wanyuan, Zero),
            Ok(Value::Text("项目".into()))
        );
        assert_eq!(
            parse_cell(&s("2022年5月1日"), Date, Wanyuan, Zero),
            Ok(Value::Date(19113))
        );
        assert_eq!(
            parse_cell(&s("2022/5/1"), Date, Wanyuan, Zero),
            Ok(Value::Date(19113))
        );
        assert_eq!(
            parse_cell(&Data::Float(44682.0), Date, Wanyuan, Zero),
            Ok(Value::Date(19113))
        );
        assert_eq!(
            parse_cell(&s("64%"), Percent, Wanyuan, Zero),
            Ok(Value::Percent(64.0))
        );
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
    }

    #[test]
    fn decimal_scaling_rounds_half_away_from_zero() {
        assert_eq!(parse_decimal_scaled("1.005", 2), Some(101));
        assert_eq!(parse_decimal_scaled("-1.005", 2), Some(-101));
        assert_eq!(parse_decimal_scaled(".5", 0), Some(1));
        assert_eq!(parse_decimal_scaled("x", 0), None);
    }
}

#[cfg(test)]
mod bound_tests {
    use super::*;
    use crate::model::{DashPolicy::*, FieldKind::*, MoneyUnit::*};

    #[test]
    fn amounts_and_counts_past_any_real_figure_are_out_of_range() {
        let s = |x: &str| Data::String(x.to_string());
        assert_eq!(
            parse_cell(&s("9000000000000000000"), Count, Wanyuan, Zero),
            Err(CellError::OutOfRange("9000000000000000000".into()))
        );
        assert!(parse_cell(&s("-9223372036854775808"), Count, Wanyuan, Zero).is_err());
        assert!(parse_cell(&Data::Float(5e12), Money, Wanyuan, Zero).is_err());
        assert!(parse_cell(&Data::Int(i64::MIN), Count, Wanyuan, Zero).is_err());
        // 10^15 元 itself is still a figure.
        assert_eq!(
            parse_cell(&s("1000000000000000"), Money, Yuan, Zero),
            Ok(Value::Money(100_000_000_000_000_000))
        );
        assert_eq!(
            parse_cell(&s("1000000000000000"), Count, Wanyuan, Zero),
            Ok(Value::Count(1_000_000_000_000_000))
        );
    }
}

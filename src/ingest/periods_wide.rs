//! Period labels as statistics portals write them in table headers: `2023年`, `2023` or
//! `2023.0` stored as a number, `2023年10月`, `2023-10`, `2023年1-10月`, `2023年第三季度`,
//! and real date cells.

use crate::config::normalize::squeeze;
use calamine::Data;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Year,
    Quarter,
    Month,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Year => "year",
            Frequency::Quarter => "quarter",
            Frequency::Month => "month",
        }
    }
}

/// A parsed period: the year, then the month or quarter it ends in, and whether the figure
/// covers the year so far (1—N月, 前三季度, 上半年).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodKey {
    pub frequency: Frequency,
    pub year: i32,
    pub month: Option<u32>,
    pub quarter: Option<u32>,
    pub cumulative: bool,
}

impl PeriodKey {
    fn year(year: i32) -> PeriodKey {
        PeriodKey {
            frequency: Frequency::Year,
            year,
            month: None,
            quarter: None,
            cumulative: false,
        }
    }

    fn month(year: i32, month: u32, cumulative: bool) -> PeriodKey {
        PeriodKey {
            frequency: Frequency::Month,
            year,
            month: Some(month),
            quarter: None,
            cumulative,
        }
    }

    fn quarter(year: i32, quarter: u32, cumulative: bool) -> PeriodKey {
        PeriodKey {
            frequency: Frequency::Quarter,
            year,
            month: None,
            quarter: Some(quarter),
            cumulative,
        }
    }
}

fn valid_year(y: i64) -> Option<i32> {
    (1900..=2099).contains(&y).then_some(y as i32)
}

/// The period a header cell names, or None.
pub fn parse_period_cell(cell: &Data) -> Option<PeriodKey> {
    match cell {
        Data::Int(i) => valid_year(*i).map(PeriodKey::year),
        Data::Float(f) => {
            (f.is_finite() && f.fract() == 0.0).then_some(())?;
            valid_year(*f as i64).map(PeriodKey::year)
        }
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            if !(1.0..=2_958_465.0).contains(&serial) {
                return None;
            }
            let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
            let date = base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))?;
            use chrono::Datelike;
            Some(PeriodKey::month(date.year(), date.month(), false))
        }
        Data::DateTimeIso(s) | Data::String(s) => parse_period_text(s),
        Data::Empty | Data::Bool(_) | Data::Error(_) | Data::DurationIso(_) => None,
    }
}

const CN_DIGITS: [(char, u32); 4] = [('一', 1), ('二', 2), ('三', 3), ('四', 4)];
const DASHES: [char; 8] = ['-', '—', '–', '~', '～', '至', '―', '－'];

/// The period a header text names, or None. The whole text must be a period.
pub fn parse_period_text(raw: &str) -> Option<PeriodKey> {
    let s = squeeze(raw);
    let digits = s.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits != 4 {
        // `2023Q1` has four digits too; anything else is not a period.
        return None;
    }
    let year = valid_year(s[..4].parse().ok()?)?;
    let rest = &s[4..];
    if matches!(rest, "" | "年" | ".0" | "年度" | "全年") {
        return Some(PeriodKey::year(year));
    }
    if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
        let q: u32 = q.parse().ok()?;
        return (1..=4)
            .contains(&q)
            .then(|| PeriodKey::quarter(year, q, false));
    }
    if let Some(after) = rest.strip_prefix('年') {
        return parse_after_year(year, after);
    }
    // `2023-10`, `2023/10`, `2023.10`, `2023-10-01` (a month's date).
    let sep = rest.chars().next()?;
    if !matches!(sep, '-' | '/' | '.') {
        return None;
    }
    let parts: Vec<&str> = rest[1..].split(sep).collect();
    let month: u32 = match parts.as_slice() {
        [m] if m.len() <= 2 => m.parse().ok()?,
        [m, d] if m.len() <= 2 && d.len() <= 2 && d.chars().all(|c| c.is_ascii_digit()) => {
            m.parse().ok()?
        }
        _ => return None,
    };
    (1..=12)
        .contains(&month)
        .then(|| PeriodKey::month(year, month, false))
}

/// What follows `YYYY年`: `10月`, `1-10月`, `第三季度`, `一季度`, `1季度`, `前三季度`, `上半年`.
fn parse_after_year(year: i32, after: &str) -> Option<PeriodKey> {
    if after == "上半年" {
        return Some(PeriodKey::month(year, 6, true));
    }
    if after == "下半年" {
        return Some(PeriodKey::month(year, 12, false));
    }
    if let Some(m) = after.strip_suffix('月') {
        // `1-10月` is the year to date; a range not starting at 1 is not a period we read.
        let (cumulative, m) = match m.find(DASHES) {
            Some(i) => {
                let (from, to) = m.split_at(i);
                let dash_len = to.chars().next()?.len_utf8();
                if from != "1" {
                    return None;
                }
                (true, &to[dash_len..])
            }
            None => (false, m),
        };
        let month: u32 = m.parse().ok()?;
        if !(1..=12).contains(&month) {
            return None;
        }
        // `1-1月` is just January.
        return Some(PeriodKey::month(year, month, cumulative && month > 1));
    }
    let (cumulative, q) = match after.strip_prefix('前') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    let q = q.strip_prefix('第').unwrap_or(q);
    let q = q.strip_suffix("季度").or_else(|| q.strip_suffix('季'))?;
    let n = match q.parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            let mut chars = q.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            CN_DIGITS.iter().find(|(d, _)| *d == c)?.1
        }
    };
    (1..=4)
        .contains(&n)
        .then(|| PeriodKey::quarter(year, n, cumulative && n > 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = (Frequency, i32, Option<u32>, Option<u32>, bool);

    fn t(s: &str) -> Option<Parsed> {
        parse_period_text(s).map(|p| (p.frequency, p.year, p.month, p.quarter, p.cumulative))
    }

    #[test]
    fn every_header_form() {
        use Frequency::*;
        assert_eq!(t("2023年"), Some((Year, 2023, None, None, false)));
        assert_eq!(t("2023"), Some((Year, 2023, None, None, false)));
        assert_eq!(t("2023.0"), Some((Year, 2023, None, None, false)));
        assert_eq!(t(" 2023 年 "), Some((Year, 2023, None, None, false)));
        assert_eq!(t("2023年10月"), Some((Month, 2023, Some(10), None, false)));
        assert_eq!(t("2023-10"), Some((Month, 2023, Some(10), None, false)));
        assert_eq!(t("2010-05"), Some((Month, 2010, Some(5), None, false)));
        assert_eq!(t("2023/3"), Some((Month, 2023, Some(3), None, false)));
        assert_eq!(t("2023年1-10月"), Some((Month, 2023, Some(10), None, true)));
        assert_eq!(t("2023年1—2月"), Some((Month, 2023, Some(2), None, true)));
        assert_eq!(
            t("2023年第三季度"),
            Some((Quarter, 2023, None, Some(3), false))
        );
        assert_eq!(
            t("2023年一季度"),
            Some((Quarter, 2023, None, Some(1), false))
        );
        assert_eq!(
            t("2023年前三季度"),
            Some((Quarter, 2023, None, Some(3), true))
        );
        assert_eq!(t("2023Q2"), Some((Quarter, 2023, None, Some(2), false)));
        assert_eq!(t("2023年上半年"), Some((Month, 2023, Some(6), None, true)));
        assert_eq!(t("２０２３年"), Some((Year, 2023, None, None, false)));
    }

    #[test]
    fn not_periods() {
        for s in [
            "指标",
            "地区",
            "2023年增速",
            "12023",
            "1899年",
            "2023-13",
            "2023年3-5月",
            "2023.5.6.7",
            "2023年第五季度",
            "数据库：年度数据",
            "",
        ] {
            assert_eq!(t(s), None, "{s}");
        }
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(
            parse_period_cell(&Data::Float(2023.0)).map(|p| p.year),
            Some(2023)
        );
        assert_eq!(parse_period_cell(&Data::Float(2023.5)), None);
        assert_eq!(parse_period_cell(&Data::Float(35371.28)), None);
        assert_eq!(
            parse_period_cell(&Data::Int(1978)).map(|p| p.year),
            Some(1978)
        );
        let dt = Data::DateTime(calamine::ExcelDateTime::new(
            31808.0,
            calamine::ExcelDateTimeType::DateTime,
            false,
        ));
        let p = parse_period_cell(&dt);
        assert_eq!(p.map(|p| (p.year, p.month)), Some((1987, Some(1))));
    }
}

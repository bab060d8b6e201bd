//! Types shared by every stage: field kinds, money units and cell values.

use std::fmt;

/// What a dataset field holds, which decides how its cells are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// Whole numbers never scaled by a unit: 户数, 笔数, 个.
    Count,
    /// Amounts, stored exactly as integer fen (0.01 元).
    Money,
    /// A percentage as written (64 means 64%).
    Percent,
    Date,
}

impl FieldKind {
    pub const NAMES: [&'static str; 5] = ["text", "count", "money", "percent", "date"];

    pub fn parse(s: &str) -> Option<FieldKind> {
        Some(match s {
            "text" => FieldKind::Text,
            "count" => FieldKind::Count,
            "money" => FieldKind::Money,
            "percent" => FieldKind::Percent,
            "date" => FieldKind::Date,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Count => "count",
            FieldKind::Money => "money",
            FieldKind::Percent => "percent",
            FieldKind::Date => "date",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldKind::Count | FieldKind::Money | FieldKind::Percent
        )
    }
}

/// Money units met in bureau workbooks. Amounts are kept in fen so that every unit
/// converts exactly: 1 元 = 100 fen, 1 万元 = 1,000,000 fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MoneyUnit {
    Yuan,
    Qianyuan,
    Wanyuan,
    Yiyuan,
}

impl MoneyUnit {
    pub const NAMES: [&'static str; 4] = ["元", "千元", "万元", "亿元"];

    /// Fen in one of this unit.
    pub fn fen(self) -> i64 {
        match self {
            MoneyUnit::Yuan => 100,
            MoneyUnit::Qianyuan => 100_000,
            MoneyUnit::Wanyuan => 1_000_000,
            MoneyUnit::Yiyuan => 10_000_000_000,
        }
    }

    pub fn parse(s: &str) -> Option<MoneyUnit> {
        Some(match s.trim() {
            "元" => MoneyUnit::Yuan,
            "千元" => MoneyUnit::Qianyuan,
            "万元" => MoneyUnit::Wanyuan,
            "亿元" => MoneyUnit::Yiyuan,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MoneyUnit::Yuan => "元",
            MoneyUnit::Qianyuan => "千元",
            MoneyUnit::Wanyuan => "万元",
            MoneyUnit::Yiyuan => "亿元",
        }
    }
}

impl fmt::Display for MoneyUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What "—", "-" and empty cells mean in a numeric field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DashPolicy {
    #[default]
    Zero,
    Missing,
}

/// One parsed cell of a kept row.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Null,
    Text(String),
    Count(i64),
    /// Fen (0.01 元).
    Money(i64),
    Percent(f64),
    /// Days since 1970-01-01.
    Date(i32),
}

/// Column letters for a 0-based column index: 0 -> A, 26 -> AA.
pub fn column_letter(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        out.push(b'A' + r);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A1 reference for 0-based row and column.
pub fn a1(row: u32, col: u32) -> String {
    format!("{}{}", column_letter(col), row as u64 + 1)
}

/// Formats fen as 万元 with exactly `decimals` places (at most 6), rounding half away from zero.
pub fn fen_to_wan_string(fen: i64, decimals: u32) -> String {
    fen_to_unit_string(fen, MoneyUnit::Wanyuan, decimals)
}

/// Formats fen in `unit` with `decimals` places, rounding half away from zero, integer-only.
pub fn fen_to_unit_string(fen: i64, unit: MoneyUnit, decimals: u32) -> String {
    let per = unit.fen() as i128;
    let scale = 10i128.pow(decimals);
    let num = fen as i128 * scale;
    let (q, r) = (num / per, num % per);
    let q = if 2 * r.abs() >= per {
        q + num.signum()
    } else {
        q
    };
    let neg = q < 0;
    let q = q.abs();
    let int = q / scale;
    let frac = q % scale;
    let sign = if neg { "-" } else { "" };
    if decimals == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac:0width$}", width = decimals as usize)
    }
}

impl serde::Serialize for MoneyUnit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for MoneyUnit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MoneyUnit::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown money unit `{s}`")))
    }
}

/// The month a batch reports up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Period> {
        let (y, m) = s.trim().split_once('-')?;
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        ((1900..=2099).contains(&year) && (1..=12).contains(&month) && y.len() == 4)
            .then_some(Period { year, month })
    }

    /// `2022年1—12月` for year-to-date, as Chinese tables label it.
    pub fn label(self) -> String {
        if self.month == 1 {
            format!("{}年1月", self.year)
        } else {
            format!("{}年1—{}月", self.year, self.month)
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// `value * 10^scale` of decimal text such as `-1234.5`, rounded half away from zero.
pub fn parse_decimal_scaled(s: &str, scale: u32) -> Option<i128> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut value: i128 = 0;
    for c in int.chars() {
        value = value
            .checked_mul(10)?
            .checked_add(c.to_digit(10)? as i128)?;
    }
    let digits: Vec<u32> = frac.chars().filter_map(|c| c.to_digit(10)).collect();
    for i in 0..scale as usize {
        value = value
            .checked_mul(10)?
            .checked_add(*digits.get(i).unwrap_or(&0) as i128)?;
    }
    if digits.get(scale as usize).is_some_and(|&d| d >= 5) {
        value = value.checked_add(1)?;
    }
    Some(if neg { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(16383), "XFD");
        assert_eq!(a1(0, 0), "A1");
    }

    #[test]
    fn fen_formatting_is_exact() {
        assert_eq!(fen_to_wan_string(100, 4), "0.0001");
        assert_eq!(fen_to_wan_string(117_300_000_000, 4), "117300.0000");
        assert_eq!(fen_to_wan_string(-150, 4), "-0.0002");
        assert_eq!(fen_to_wan_string(149, 4), "0.0001");
        assert_eq!(
            fen_to_unit_string(117_300_000_000, MoneyUnit::Yiyuan, 2),
            "11.73"
        );
    }
}

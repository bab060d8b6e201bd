//! Header text normalisation, so that `本年累计\n完成投资（万元）` matches the synonym `完成投资`.

use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderText {
    /// Normalised text used for matching synonyms.
    pub key: String,
    /// A unit split off from parentheses, e.g. `万元` for `总投资（万元）`.
    pub unit: Option<String>,
    /// The header marks year-to-date values: 累计, or a 1-N月 prefix.
    pub cumulative: bool,
    /// The month a `1-N月` or `N月` prefix names.
    pub month: Option<u32>,
}

/// Prefixes that say which period a figure covers, not what it is. Longest first.
const PERIOD_PREFIXES: [(&str, bool); 7] = [
    ("本年累计", true),
    ("本月累计", true),
    ("本年", false),
    ("本月", false),
    ("年度", false),
    ("全年", false),
    ("累计", true),
];

/// NFKC alone: full-width digits and punctuation become ASCII, spaces stay.
pub fn nfkc(raw: &str) -> String {
    raw.nfkc().collect()
}

/// NFKC, then every kind of whitespace removed (U+3000 and U+00A0 become spaces under NFKC).
pub fn squeeze(raw: &str) -> String {
    raw.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Strips a `1-N月` / `1—N月` / `1~N月` / `1至N月` prefix; returns N and the rest.
fn strip_month_range(s: &str) -> Option<(u32, &str)> {
    let rest = s.strip_prefix('1')?;
    let mut chars = rest.char_indices();
    let (_, dash) = chars.next()?;
    if !matches!(dash, '-' | '—' | '–' | '~' | '～' | '至' | '―' | '－') {
        return None;
    }
    let after_dash = &rest[dash.len_utf8()..];
    let digits = after_dash
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let month: u32 = after_dash[..digits].parse().ok()?;
    if !(1..=12).contains(&month) {
        return None;
    }
    Some((month, after_dash[digits..].strip_prefix('月')?))
}

/// Strips a single-month prefix `N月` (or `N月份`) followed by more text; returns N and the
/// rest. Not before a digit, so that a date such as `12月31日` stays whole.
fn strip_month(s: &str) -> Option<(u32, &str)> {
    let digits = s.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let month: u32 = s[..digits].parse().ok()?;
    let rest = s[digits..].strip_prefix('月')?;
    let rest = rest.strip_prefix('份').unwrap_or(rest);
    ((1..=12).contains(&month) && !rest.starts_with(|c: char| c.is_ascii_digit()))
        .then_some((month, rest))
}

/// Strips a `2024年` prefix, so that a header names the same field every year.
fn strip_year(s: &str) -> Option<&str> {
    let digits = s.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits != 4 {
        return None;
    }
    let rest = &s[4..];
    rest.strip_prefix("年度")
        .or_else(|| rest.strip_prefix('年'))
}

/// Splits a trailing `(万元)`, `[万元]` or `(单位:万元)` off the text.
fn split_unit(s: &str) -> (String, Option<String>) {
    for (open, close) in [('(', ')'), ('[', ']'), ('【', '】')] {
        if let Some(inner) = s.strip_suffix(close) {
            if let Some(pos) = inner.rfind(open) {
                let unit = &inner[pos + open.len_utf8()..];
                let unit = unit
                    .strip_prefix("单位")
                    .map(|u| u.trim_start_matches([':', '：']))
                    .unwrap_or(unit);
                let head = &inner[..pos];
                if !head.is_empty() && !unit.is_empty() {
                    return (head.to_string(), Some(unit.to_string()));
                }
            }
        }
    }
    (s.to_string(), None)
}

pub fn normalize_header(raw: &str) -> HeaderText {
    let squeezed = squeeze(raw);
    let trimmed = squeezed.trim_end_matches([':', '：', '.', '。']);
    let (mut key, unit) = split_unit(trimmed);
    let mut cumulative = false;
    let mut month = None;
    // Prefixes can stack (`1-5月累计金额`); never strip down to nothing.
    loop {
        let mut changed = false;
        if let Some((m, rest)) = strip_month_range(&key) {
            if !rest.is_empty() {
                key = rest.to_string();
                cumulative = true;
                month = Some(m);
                changed = true;
            }
        } else if let Some((m, rest)) = strip_month(&key) {
            // `1月累计完成投资`, `6月完成投资`: January's figure is also its 1—1月 figure,
            // which the aggregation reads as the year's other months are read.
            if !rest.is_empty() {
                key = rest.to_string();
                month = Some(m);
                changed = true;
            }
        }
        if let Some(rest) = strip_year(&key) {
            if !rest.is_empty() {
                key = rest.to_string();
                changed = true;
            }
        }
        for (prefix, cum) in PERIOD_PREFIXES {
            if let Some(rest) = key.strip_prefix(prefix) {
                if !rest.is_empty() {
                    key = rest.to_string();
                    cumulative |= cum;
                    changed = true;
                    break;
                }
            }
        }
        if !changed {
            break;
        }
    }
    if key == "累计" || key.contains("累计") {
        cumulative = true;
    }
    HeaderText {
        key,
        unit,
        cumulative,
        month,
    }
}

/// The same normalisation for a synonym declared in a pipeline.
pub fn normalize_key(raw: &str) -> String {
    normalize_header(raw).key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_prefixes_and_spaces() {
        let h = normalize_header("本年累计\n完成投资（万元）");
        assert_eq!(
            (h.key.as_str(), h.unit.as_deref(), h.cumulative),
            ("完成投资", Some("万元"), true)
        );
        let h = normalize_header("1—10月累计金额(亿元)");
        assert_eq!(
            (h.key.as_str(), h.unit.as_deref(), h.cumulative),
            ("金额", Some("亿元"), true)
        );
        let h = normalize_header("上年同期(万元)");
        assert_eq!(
            (h.key.as_str(), h.unit.as_deref(), h.cumulative),
            ("上年同期", Some("万元"), false)
        );
        assert_eq!(normalize_header("项 目 名 称").key, "项目名称");
        assert_eq!(normalize_header("户数（户）").unit.as_deref(), Some("户"));
        assert_eq!(
            normalize_header("  总投资\n(单位：万元) ").unit.as_deref(),
            Some("万元")
        );
        assert_eq!(normalize_key("本年 总投资"), "总投资");
        assert_eq!(normalize_key("上年完成投资"), "上年完成投资");
        assert_eq!(normalize_key("累计"), "累计");
        assert_eq!(normalize_key("2024年计划投资"), "计划投资");
        assert_eq!(normalize_key("2024年1-6月完成投资"), "完成投资");
        assert_eq!(normalize_key("2024年"), "2024年");
        assert_eq!(normalize_key("2023年度计划投资"), "计划投资");
        assert_eq!(normalize_key("12345年度"), "12345年度");
        assert!(normalize_header("累计").cumulative);
        assert_eq!(squeeze("合\u{3000}计"), "合计");
    }

    #[test]
    fn month_prefixes() {
        for (raw, cum, month) in [
            ("1月累计完成投资", true, 1),
            ("1—1月完成投资", true, 1),
            ("1至6月完成投资", true, 6),
            ("1-6月累计完成投资", true, 6),
            ("１－６月完成投资（万元）", true, 6),
            ("6月完成投资", false, 6),
            ("6月份完成投资", false, 6),
        ] {
            let h = normalize_header(raw);
            assert_eq!(
                (h.key.as_str(), h.cumulative, h.month),
                ("完成投资", cum, Some(month)),
                "{raw}"
            );
        }
        assert_eq!(normalize_key("本年累计完成投资"), "完成投资");
        assert_eq!(normalize_key("12月31日余额"), "12月31日余额");
        assert_eq!(normalize_key("6月"), "6月");
    }
}

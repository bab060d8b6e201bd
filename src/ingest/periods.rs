//! Finding a table's year and month in sheet names, title lines and file names.
//!
//! Hand-written scanners rather than regexes: the patterns are few and a year inside a longer
//! number (e.g. a project code 120220) must not count.

/// A year 1900–2099 standing alone (not part of a longer digit run), preferring one followed by 年.
pub fn find_year(text: &str) -> Option<i32> {
    let chars: Vec<char> = text.chars().collect();
    let mut fallback = None;
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i - start != 4 {
            continue;
        }
        let y: i32 = chars[start..i]
            .iter()
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        if !(1900..=2099).contains(&y) {
            continue;
        }
        if chars.get(i) == Some(&'年') {
            return Some(y);
        }
        fallback.get_or_insert(y);
    }
    fallback
}

/// How many different years 1900–2099 stand alone in the text.
pub fn count_years(text: &str) -> usize {
    let mut years = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if run.len() == 4 {
            if let Ok(y) = run.parse::<i32>() {
                if (1900..=2099).contains(&y) && !years.contains(&y) {
                    years.push(y);
                }
            }
        }
        run.clear();
    }
    years.len()
}

/// Month found in text such as `2022年5月` (single month) or `2022年1-5月` / `1—5月`
/// (year to date). Returns (month, cumulative).
pub fn find_month(text: &str) -> Option<(u32, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '月' {
            i += 1;
            continue;
        }
        // Digits right before 月.
        let end = i;
        let mut start = i;
        while start > 0 && chars[start - 1].is_ascii_digit() {
            start -= 1;
        }
        if start == end || end - start > 2 {
            i += 1;
            continue;
        }
        let month: u32 = chars[start..end]
            .iter()
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        if !(1..=12).contains(&month) {
            i += 1;
            continue;
        }
        // `1-5月`: a range starting at January means year to date.
        if start >= 2 && is_dash(chars[start - 1]) {
            let mut s2 = start - 1;
            while s2 > 0 && chars[s2 - 1].is_ascii_digit() {
                s2 -= 1;
            }
            let first: String = chars[s2..start - 1].iter().collect();
            if first == "1" || first == "01" {
                return Some((month, true));
            }
            i += 1;
            continue;
        }
        // `2024年1月10日` is a date, not a period.
        let mut after = end + 1;
        while after < chars.len() && chars[after].is_ascii_digit() {
            after += 1;
        }
        if after > end + 1 && matches!(chars.get(after), Some('日' | '号')) {
            i += 1;
            continue;
        }
        // A single month must follow a year (`2022年5月`) or stand at the start, so that
        // `12月31日`-style dates in notes are not taken for the period.
        if start >= 1 && chars[start - 1] == '年' {
            return Some((month, false));
        }
        i += 1;
    }
    None
}

/// Words that start a date stamp in a title line rather than a period: the day a list was
/// filled in, sent or printed, or a cut-off date.
const DATE_WORDS: [&str; 9] = [
    "填报日期",
    "报送日期",
    "填表日期",
    "制表日期",
    "打印日期",
    "日期",
    "截至",
    "截止",
    "数据截",
];

/// The part of a title text that may give the table's period: cut at a date stamp's word
/// (`填报日期：2024年1月10日`, `截至2023年12月31日`), with full dates (`2024年1月10日`,
/// `2024-01-10`, `2024/1/10`) blanked out.
pub fn period_text(text: &str) -> String {
    let cut = DATE_WORDS
        .iter()
        .filter_map(|w| text.find(w))
        .min()
        .unwrap_or(text.len());
    let text = &text[..cut];
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match full_date_at(&chars, i) {
            Some(len) => {
                out.push(' ');
                i += len;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out.trim().to_string()
}

/// The length of a full date (year, month and day) starting at `i`, if one does.
fn full_date_at(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && chars[i - 1].is_ascii_digit() {
        return None;
    }
    let digits = |at: usize| {
        chars[at..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let y = digits(i);
    if y != 4 {
        return None;
    }
    let sep = *chars.get(i + y)?;
    let (sep2, end): (&[char], &[char]) = match sep {
        '年' => (&['月'], &['日', '号']),
        '-' | '/' | '.' => (&['-', '/', '.'], &[]),
        _ => return None,
    };
    let m_at = i + y + 1;
    let m = digits(m_at);
    if m == 0 || m > 2 || !chars.get(m_at + m).is_some_and(|c| sep2.contains(c)) {
        return None;
    }
    let d_at = m_at + m + 1;
    let d = digits(d_at);
    if d == 0 || d > 2 {
        return None;
    }
    match end.is_empty() {
        true => Some(d_at + d - i),
        false => chars
            .get(d_at + d)
            .filter(|c| end.contains(c))
            .map(|_| d_at + d + 1 - i),
    }
}

fn is_dash(c: char) -> bool {
    crate::config::normalize::RANGE_DASHES.contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years() {
        assert_eq!(find_year("2021年投资.xlsx"), Some(2021));
        assert_eq!(find_year("投资_2023.xlsx"), Some(2023));
        assert_eq!(find_year("项目编号120220"), None);
        assert_eq!(find_year("二道区重点项目"), None);
        assert_eq!(find_year("2020-2022年"), Some(2022));
        assert_eq!(count_years("2018-2022年投资.xlsx"), 2);
        assert_eq!(count_years("投资_2023_06.xlsx"), 1);
    }

    #[test]
    fn months() {
        assert_eq!(find_month("二道区2022年1-5月减免退税情况"), Some((5, true)));
        assert_eq!(find_month("2022年1—12月"), Some((12, true)));
        assert_eq!(find_month("2022年5月"), Some((5, false)));
        assert_eq!(find_month("2021年1-2月"), Some((2, true)));
        assert_eq!(find_month("截至12月31日"), None);
        assert_eq!(find_month("二道区2022年重点项目"), None);
        assert_eq!(find_month("2024年1月10日"), None);
    }

    #[test]
    fn date_stamps_give_no_period() {
        assert_eq!(period_text("填报日期：2024年1月10日"), "");
        assert_eq!(
            period_text("填报单位：二道区财政局 填报日期：2024年1月10日"),
            "填报单位：二道区财政局"
        );
        assert_eq!(
            period_text("二道区2023年项目（截至2024年1月10日）"),
            "二道区2023年项目（"
        );
        assert_eq!(period_text("2024年1月10日更新"), "更新");
        assert_eq!(period_text("2024-01-10"), "");
        assert_eq!(period_text("二道区2023年1-12月"), "二道区2023年1-12月");
        assert_eq!(find_year(&period_text("制表日期：2024年1月10日")), None);
    }
}

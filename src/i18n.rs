//! The language of the messages a person reads: errors, warnings, rejection reasons, the
//! report and the notes in the tables. Chinese unless `--lang en` or `YEARBOOK_LANG=en` says
//! otherwise; the system locale (`LANG`) is not consulted, so that a server or a scheduled
//! job set to an English locale writes the same files as a desk. Names a machine reads (JSON
//! keys, CSV headers, exit codes) never change with the language.
//!
//! The texts live in `locales/zh.yml` and `locales/en.yml`; [`t!`] looks one up in
//! the chosen language.

use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// 中文
    Zh,
    /// English
    En,
}

impl Lang {
    /// The catalogue's name (`locales/<code>.yml`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// `zh`, `zh-CN`, `zh_CN.UTF-8`, `en`, `en_US` and the like, in any case.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        let base = s.split(['-', '_', '.']).next().unwrap_or("");
        match base {
            "zh" | "cn" | "chinese" => Some(Lang::Zh),
            "en" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The environment variable that picks the language when `--lang` is not given.
pub const ENV: &str = "YEARBOOK_LANG";

const UNSET: u8 = 0;
static CHOSEN: AtomicU8 = AtomicU8::new(UNSET);

/// Sets the language of every message from here on (once, before any work starts).
pub fn set(lang: Lang) {
    CHOSEN.store(lang as u8 + 1, Ordering::Relaxed);
}

/// The language messages are written in.
pub fn lang() -> Lang {
    match CHOSEN.load(Ordering::Relaxed) {
        1 => Lang::Zh,
        2 => Lang::En,
        _ => default(),
    }
}

/// The language when nothing was set: `YEARBOOK_LANG` if it names one, else Chinese. The
/// library's own unit tests assert English texts, so they default to English.
fn default() -> Lang {
    if let Some(l) = std::env::var(ENV).ok().as_deref().and_then(Lang::parse) {
        return l;
    }
    if cfg!(test) {
        Lang::En
    } else {
        Lang::Zh
    }
}

/// Whether messages are in Chinese.
pub fn zh() -> bool {
    lang() == Lang::Zh
}

/// The message `key` in the chosen language, with `%{name}` placeholders filled:
/// `crate::i18n::t!("common.row", n = 12)`.
macro_rules! t {
    ($key:expr) => {
        rust_i18n::t!($key, locale = $crate::i18n::lang().code()).into_owned()
    };
    ($key:expr, $($args:tt)+) => {
        rust_i18n::t!($key, locale = $crate::i18n::lang().code(), $($args)+).into_owned()
    };
}

pub(crate) use t;

/// An amount in fen as 万元 with 2 decimals and thousands separators, for messages:
/// `1,234.56万元` (Chinese) or `1,234.56 万元` (English).
pub fn wan(fen: i64) -> String {
    let neg = fen < 0;
    // Rounded half away from zero to the hundredth of a 万元 (100 元 = 10,000 fen).
    let hundredths = (fen.unsigned_abs() + 5_000) / 10_000;
    let int = group(hundredths / 100);
    let text = format!(
        "{}{int}.{:02}",
        if neg { "-" } else { "" },
        hundredths % 100
    );
    match lang() {
        Lang::Zh => format!("{text}万元"),
        Lang::En => format!("{text} 万元"),
    }
}

/// Digits grouped by thousands: `1234567` → `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A fixed English phrase the code hands around (`"a socket"`) in the chosen language, from
/// `word.<the phrase, lower case, with `_` for all but letters and digits>`; as written when
/// the catalogues lack it.
pub fn word(en: &str) -> String {
    let key = format!("word.{}", slug(en));
    let text = t!(key.as_str());
    match text == key {
        true => en.to_string(),
        false => text,
    }
}

fn slug(en: &str) -> String {
    let mut out = String::new();
    for c in en.chars().flat_map(char::to_lowercase) {
        match c.is_ascii_alphanumeric() {
            true => out.push(c),
            false if !out.ends_with('_') => out.push('_'),
            false => {}
        }
    }
    out.trim_matches('_').to_string()
}

/// A row number as people say it: `第12行` or `row 12`.
pub fn row(n: impl std::fmt::Display) -> String {
    t!("common.row", n = n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const CATALOGUES: [(&str, &str); 2] = [
        ("zh", include_str!("../locales/zh.yml")),
        ("en", include_str!("../locales/en.yml")),
    ];

    /// Every key of a catalogue with the sorted placeholders of its text.
    fn keys(yaml: &str) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        let mut stack: Vec<(usize, String)> = Vec::new();
        for line in yaml.lines() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("_version") {
                continue;
            }
            let indent = line.len() - trimmed.len();
            let Some((key, value)) = trimmed.split_once(':') else {
                continue;
            };
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            let full = stack
                .iter()
                .map(|(_, k)| k.as_str())
                .chain([key.trim()])
                .collect::<Vec<_>>()
                .join(".");
            let value = value.trim();
            if value.is_empty() {
                stack.push((indent, key.trim().to_string()));
                continue;
            }
            let mut names: Vec<String> = value
                .split("%{")
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                .collect();
            names.sort();
            names.dedup();
            out.insert(full, names);
        }
        out
    }

    #[test]
    fn catalogues_have_the_same_keys_and_placeholders() {
        let zh = keys(CATALOGUES[0].1);
        let en = keys(CATALOGUES[1].1);
        assert!(zh.len() > 50, "{} keys read", zh.len());
        let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        assert!(only_zh.is_empty(), "only in zh.yml: {only_zh:?}");
        assert!(only_en.is_empty(), "only in en.yml: {only_en:?}");
        for (k, names) in &zh {
            assert_eq!(Some(names), en.get(k), "placeholders of `{k}` differ");
        }
    }

    #[test]
    fn every_key_the_code_uses_is_in_the_catalogues() {
        let en = keys(CATALOGUES[1].1);
        let mut missing = BTreeMap::new();
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        for entry in walkdir::WalkDir::new(src).into_iter().flatten() {
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let parts: Vec<&str> = text.split("t!(\"").collect();
            for (before, part) in parts.iter().zip(parts.iter().skip(1)) {
                // `format!("` ends the same way.
                if before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                if let Some((key, _)) = part.split_once('"') {
                    if !en.contains_key(key) {
                        missing.insert(key.to_string(), entry.path().display().to_string());
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys not in the catalogues: {missing:?}"
        );
    }

    #[test]
    fn both_languages_fill_placeholders() {
        for (code, _) in CATALOGUES {
            let text = rust_i18n::t!("common.row", locale = code, n = 7);
            assert!(text.contains('7') && !text.contains("%{"), "{code}: {text}");
        }
    }

    #[test]
    fn money_in_wan_yuan() {
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(group(12), "12");
        // English is the unit tests' default.
        assert_eq!(wan(123_456_789_000), "123,456.79 万元");
        assert_eq!(wan(-150_000), "-0.15 万元");
    }

    #[test]
    fn lang_names() {
        assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}

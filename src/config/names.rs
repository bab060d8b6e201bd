//! Names that become parts of output paths: the pipeline's (its output folder), a dataset's
//! (`data/<name>.parquet`), a table's (`tables/<name>.csv`, …) and a chart's
//! (`charts/<name>.png`). One rule for all four, checked when the pipeline loads, so that no
//! name can point outside the output folder or fail on the disk after the whole read.

/// The file name (without suffix) of the portal series in `data/`, which no dataset may take.
pub const SERIES_FILE: &str = "series";

/// At most this many characters: with a suffix, a staging prefix and a process id the file
/// name stays well under the 255 bytes most file systems allow, even in Chinese (3 bytes a
/// character in UTF-8).
pub const MAX_CHARS: usize = 64;

/// Names Windows reserves for devices, whatever the suffix (`NUL.csv` is the device too).
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// What is wrong with `name` as a file name, or None when it is safe: 1 to [`MAX_CHARS`]
/// letters (Chinese included), digits, `_` and `-`, not starting with `-`, and not a name
/// Windows reserves. No `.`, `/`, `\`, spaces or control characters, so no `..`, no absolute
/// path and no hidden file.
pub fn problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if n == 0 {
        return Some(crate::i18n::t!("config.empty"));
    }
    if n > MAX_CHARS {
        return Some(crate::i18n::t!(
            "config.name.too_long",
            n = n,
            max = MAX_CHARS
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Some(crate::i18n::t!(
            "config.name.bad_char",
            name = name.escape_debug(),
            what = describe(bad)
        ));
    }
    if name.starts_with('-') {
        return Some(crate::i18n::t!("config.name.dash", name = name));
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Some(crate::i18n::t!("config.name.device", name = name));
    }
    None
}

fn describe(c: char) -> String {
    match c {
        '/' | '\\' => crate::i18n::t!("config.name.separator", c = c),
        '.' => "`.`".into(),
        ' ' | '\u{3000}' => crate::i18n::t!("config.name.space"),
        c if c.is_control() => {
            crate::i18n::t!("config.name.control", code = format!("U+{:04X}", c as u32))
        }
        c => format!("`{c}`"),
    }
}

/// The key two names share on a file system that ignores case (Windows, macOS by default).
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_pass() {
        for n in ["erdao", "key_projects", "投资_2022", "a-b", "T1", "二道区"] {
            assert_eq!(problem(n), None, "{n}");
        }
    }

    #[test]
    fn names_that_could_leave_the_folder_or_fail_on_disk_are_refused() {
        for n in [
            "",
            "..",
            "../x",
            "/tmp/x/ESCAPED",
            "a/b",
            "a\\b",
            "a\0b",
            ".hidden",
            "a b",
            "-rf",
            "NUL",
            "con",
            "x.csv",
        ] {
            assert!(problem(n).is_some(), "{n:?} was accepted");
        }
        assert!(problem(&"a".repeat(MAX_CHARS)).is_none());
        assert!(problem(&"a".repeat(MAX_CHARS + 1)).is_some());
        assert!(problem(&"表".repeat(300)).is_some());
    }

    #[test]
    fn messages_name_the_offending_character() {
        let m = problem("../../2022-12/facts").unwrap_or_default();
        assert!(m.contains("`.`"), "{m}");
        let m = problem("a\0b").unwrap_or_default();
        assert!(m.contains("U+0000"), "{m}");
    }
}

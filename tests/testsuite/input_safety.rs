//! Inputs as they arrive from other offices: the same file name in two folders, names that are
//! not UTF-8, the same workbook twice, things that are not files, and small files that would
//! cost gigabytes. Every input is read once, or named with the reason it was not.

use crate::common::*;
use std::path::Path;

fn manifest(p: &Project, dir: &str) -> serde_json::Value {
    serde_json::from_str(&p.read(&format!("{dir}/t/2022-12/manifest.json"))).expect("manifest")
}

fn input_paths(m: &serde_json::Value) -> Vec<String> {
    m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect()
}

/// An investment workbook whose title row gives the year, so that any file name will do.
fn titled_book(p: &Project, rel: &str, project: &'static str, amount: f64) {
    p.xlsx(
        rel,
        &[SheetSpec::new(
            "项目",
            vec![
                vec![S("2022年重点项目")],
                vec![S("项目名称"), S("建设性质"), S("总投资")],
                vec![S(project), S("新建"), N(amount)],
            ],
        )],
    );
}

fn stderr_of(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).to_string()
}

#[test]
fn the_same_file_name_in_two_folders_is_read_twice_under_names_that_differ() {
    let p = Project::new();
    p.file(
        "pipe/p.toml",
        INVESTMENT_PIPELINE.replace(
            r#"include = ["data/**/*.xlsx", "data/**/*.xls", "data/**/*.ods"]"#,
            r#"include = ["../districtA/2022/*.xlsx", "../districtB/2022/*.xlsx"]"#,
        ),
    );
    titled_book(&p, "districtA/2022/投资.xlsx", "甲项目", 100.0);
    titled_book(&p, "districtB/2022/投资.xlsx", "乙项目", 200.0);
    p.cmd()
        .args(["run", "pipe/p.toml", "--out", "out"])
        .assert()
        .code(0);
    let m = manifest(&p, "out");
    assert_eq!(
        input_paths(&m),
        ["districtA/2022/投资.xlsx", "districtB/2022/投资.xlsx"]
    );
    assert_eq!(m["accounting"]["rows_kept"], 2);
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,2"), "{facts}");
}

#[cfg(unix)]
fn gbk_name(dir: &Path, name: &str) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let (bytes, _, bad) = encoding_rs::GBK.encode(name);
    assert!(!bad);
    dir.join(std::ffi::OsStr::from_bytes(&bytes))
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_are_decoded_for_display_and_every_file_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let p = pipeline_project();
    // As unzipped from an archive made on Chinese Windows: GBK bytes in the names.
    let rows = [
        ("2022年甲.xlsx", "甲项目"),
        ("2022年乙.xlsx", "乙项目"),
        ("2022年丙.xlsx", "丙项目"),
    ];
    for (i, (name, project)) in rows.iter().enumerate() {
        titled_book(&p, "tmp.xlsx", project, 10.0 * (i + 1) as f64);
        std::fs::create_dir_all(p.path("data")).unwrap();
        std::fs::rename(p.path("tmp.xlsx"), gbk_name(&p.path("data"), name)).unwrap();
    }
    // Two names that no encoding reads: they show the same text, so the second is numbered.
    for (i, raw) in [&b"\xfe.xlsx"[..], b"\xff.xlsx"].into_iter().enumerate() {
        titled_book(&p, "tmp.xlsx", ["丁项目", "戊项目"][i], 1.0);
        std::fs::rename(
            p.path("tmp.xlsx"),
            p.path("data").join(std::ffi::OsStr::from_bytes(raw)),
        )
        .unwrap();
    }
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let m = manifest(&p, "out");
    assert_eq!(
        input_paths(&m),
        [
            "data/2022年丙.xlsx",
            "data/2022年乙.xlsx",
            "data/2022年甲.xlsx",
            "data/\u{fffd}.xlsx",
            "data/\u{fffd}.xlsx [2]",
        ]
    );
    assert_eq!(m["accounting"]["rows_kept"], 5);
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,5"), "{facts}");
}

#[test]
fn a_file_reached_by_two_globs_or_a_link_is_one_input() {
    let p = Project::new();
    p.file(
        "p.toml",
        INVESTMENT_PIPELINE.replace(
            r#"include = ["data/**/*.xlsx", "data/**/*.xls", "data/**/*.ods"]"#,
            r#"include = ["data/**/*.xlsx", "./data/*.xlsx", "data/x/../*.xlsx"]"#,
        ),
    );
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲"), S("新建"), N(1.0)]],
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink("../2022年投资.xlsx", p.path("data/x/link.xlsx"))
        .or_else(|_| {
            std::fs::create_dir_all(p.path("data/x"))?;
            std::os::unix::fs::symlink("../2022年投资.xlsx", p.path("data/x/link.xlsx"))
        })
        .unwrap();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let m = manifest(&p, "out");
    assert_eq!(input_paths(&m), ["data/2022年投资.xlsx"]);
    assert_eq!(m["duplicates"].as_array().unwrap().len(), 0);
}

#[test]
fn the_same_workbook_twice_is_read_once_and_named_as_a_duplicate() {
    let p = pipeline_project();
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![
            vec![S("甲"), S("新建"), N(100.0)],
            vec![S("乙"), S("续建"), N(50.0)],
        ],
    );
    std::fs::create_dir_all(p.path("data/sub")).unwrap();
    std::fs::copy(
        p.path("data/2022年投资.xlsx"),
        p.path("data/sub/2022年投资.xlsx"),
    )
    .unwrap();
    let out = p.cmd().args(["run", "p.toml"]).assert().code(1);
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("data/sub/2022年投资.xlsx: the same bytes as data/2022年投资.xlsx"),
        "{stderr}"
    );
    let m = manifest(&p, "out");
    assert_eq!(input_paths(&m), ["data/2022年投资.xlsx"]);
    let d = &m["duplicates"][0];
    assert_eq!(d["path"], "data/sub/2022年投资.xlsx");
    assert_eq!(d["same_as"], "data/2022年投资.xlsx");
    assert_eq!(d["sha256"], m["inputs"][0]["sha256"]);
    assert!(m["warnings"].to_string().contains("the same bytes as"));
    assert_eq!(m["accounting"]["rows_kept"], 2);
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,2"), "{facts}");
    // A second run takes both from the parse cache and still counts them once.
    p.cmd().args(["run", "p.toml"]).assert().code(1);
    let m = manifest(&p, "out");
    assert_eq!(m["accounting"]["rows_kept"], 2);
    assert_eq!(m["duplicates"].as_array().unwrap().len(), 1);
}

#[test]
fn a_star_in_an_include_glob_stays_in_its_folder() {
    let p = Project::new();
    p.file(
        "p.toml",
        INVESTMENT_PIPELINE.replace(
            r#"include = ["data/**/*.xlsx", "data/**/*.xls", "data/**/*.ods"]"#,
            r#"include = ["data/*.xlsx"]"#,
        ),
    );
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲"), S("新建"), N(1.0)]],
    );
    investment_book(
        &p,
        "data/old/2022年投资.xlsx",
        vec![vec![S("乙"), S("新建"), N(2.0)]],
    );
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    assert_eq!(input_paths(&manifest(&p, "out")), ["data/2022年投资.xlsx"]);
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_among_the_inputs_is_a_file_error_not_a_hang() {
    let p = pipeline_project();
    investment_book(
        &p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲"), S("新建"), N(1.0)]],
    );
    let fifo = p.path("data/2022年管道.xlsx");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", p.path("data/2022年零.xlsx")).unwrap();
    let out = p
        .cmd()
        .args(["run", "p.toml"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1);
    assert!(!stderr_of(&out).contains("panicked"));
    let errors = manifest(&p, "out")["errors"].to_string();
    assert!(
        errors.contains("data/2022年管道.xlsx: a named pipe (FIFO), not a regular file"),
        "{errors}"
    );
    assert!(
        errors.contains("data/2022年零.xlsx: a character device, not a regular file"),
        "{errors}"
    );
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,1"), "{facts}");
}

// ---------------------------------------------------------------------------------------------
// Small files that would cost gigabytes. Each is built here, run under an address-space limit
// (so that a regression fails the test, not the machine), and its peak RSS must stay under
// 1 GiB.

/// The peak RSS allowed to a run on one hostile file.
const PEAK_KIB: u64 = 1 << 20;

/// Runs `yearbook run p.toml` under /usr/bin/time and a 3 GiB address-space limit: its exit
/// code, its stderr and its peak RSS in KiB. None (a skip) where the tools are missing.
fn run_bounded(p: &Project) -> Option<(i32, String, u64)> {
    let have = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok()
    };
    if !have("/usr/bin/time") || !have("prlimit") {
        assert!(
            std::env::var_os("CI").is_none(),
            "/usr/bin/time and prlimit are needed to measure memory"
        );
        eprintln!("skipped: /usr/bin/time or prlimit missing");
        return None;
    }
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "peak-rss-kib %M", "prlimit"])
        .arg(format!("--as={}", 3u64 << 30))
        .arg("--")
        .arg(assert_cmd::cargo::cargo_bin("yearbook"))
        .args(["run", "p.toml"])
        .current_dir(p.dir.path())
        .env_remove("YEARBOOK_FAIL_AT")
        .env("YEARBOOK_LANG", "en")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let peak = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("peak-rss-kib "))
        .next_back()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    eprintln!("peak RSS {} MiB", peak >> 10);
    Some((out.status.code().unwrap_or(-1), stderr, peak))
}

/// Asserts a run refused the hostile file with `error` (in the manifest's warnings), read the
/// good one, and stayed within [`PEAK_KIB`].
fn refused_within_budget(p: &Project, error: &str) {
    let Some((code, stderr, peak)) = run_bounded(p) else {
        return;
    };
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, 1, "{stderr}");
    let warnings = manifest(p, "out")["warnings"].to_string();
    assert!(warnings.contains(error), "{warnings}");
    let facts = p.read("out/t/2022-12/facts.csv");
    assert!(facts.contains("total,合计,项目个数,1"), "{facts}");
    assert!(peak < PEAK_KIB, "peak RSS {peak} KiB");
}

fn good_book(p: &Project) {
    investment_book(
        p,
        "data/2022年投资.xlsx",
        vec![vec![S("甲"), S("新建"), N(1.0)]],
    );
}

/// Bits of a DEFLATE stream, least significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, len: u32) {
        self.acc |= value << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code, which DEFLATE packs from its first bit.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(u64::from(reversed), len);
    }
    fn literals(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                0..=143 => self.code(0x30 + u32::from(b), 8),
                _ => self.code(0x190 + u32::from(b - 144), 9),
            }
        }
    }
    /// A block of literals in the fixed code.
    fn fixed_block(&mut self, bytes: &[u8], last: bool) {
        self.put(u64::from(last), 1);
        self.put(1, 2);
        self.literals(bytes);
        self.code(0, 7);
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A DEFLATE stream of `head`, then `pattern` repeated (one copy written, the rest copied 258
/// bytes at a time from `pattern.len()` bytes back, so `copies * 258` must be a multiple of
/// it), then `tail`: a stream a thousandth (a short pattern) to a hundredth of what it
/// inflates to. Returns it with the inflated size and CRC-32.
fn deflate_bomb(head: &[u8], pattern: &[u8], copies: u64, tail: &[u8]) -> (Vec<u8>, u64, u32) {
    let period = pattern.len() as u64;
    assert!(period <= 32_768 && (copies * 258) % period == 0);
    // The distance code and its extra bits for `period`.
    let (dist_code, extra_bits, base) = {
        let mut base = 1u64;
        let mut found = None;
        for code in 0..30u32 {
            let extra = if code < 4 { 0 } else { code / 2 - 1 };
            if period < base + (1 << extra) {
                found = Some((code, extra, base));
                break;
            }
            base += 1 << extra;
        }
        found.expect("distance")
    };
    let mut b = Bits::default();
    let mut first = head.to_vec();
    first.extend_from_slice(pattern);
    b.fixed_block(&first, false);
    // A dynamic block whose only symbols are a copy of 258 bytes, the block's end and one
    // distance: one bit each.
    b.put(0, 1);
    b.put(2, 2);
    b.put(29, 5); // 286 literal/length codes
    b.put(u64::from(dist_code), 5); // dist_code + 1 distance codes
    b.put(14, 4); // 18 code length codes, in their order: 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1
    for sym in [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1] {
        b.put(if matches!(sym, 0 | 1 | 17 | 18) { 2 } else { 0 }, 3);
    }
    // Code length codes, each two bits: 0 -> 00, 1 -> 01, 17 -> 10, 18 -> 11.
    let zeros = |b: &mut Bits, mut n: u32| {
        while n > 0 {
            match n {
                11.. => {
                    let k = n.min(138);
                    b.code(3, 2);
                    b.put(u64::from(k - 11), 7);
                    n -= k;
                }
                3..=10 => {
                    b.code(2, 2);
                    b.put(u64::from(n - 3), 3);
                    n = 0;
                }
                _ => {
                    b.code(0, 2);
                    n -= 1;
                }
            }
        }
    };
    zeros(&mut b, 256);
    b.code(1, 2); // 256, the block's end: length 1
    zeros(&mut b, 28);
    b.code(1, 2); // 285, a copy of 258: length 1
    zeros(&mut b, dist_code);
    b.code(1, 2); // the one distance code: length 1
    for _ in 0..copies {
        b.code(1, 1);
        b.code(0, 1);
        b.put(period - base, extra_bits);
    }
    b.code(0, 1);
    b.fixed_block(tail, true);
    let size = (first.len() + tail.len()) as u64 + copies * 258;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&first);
    let mut run = crc32fast::Hasher::new();
    let mut unit = crc32fast::Hasher::new();
    let chunk: Vec<u8> = pattern
        .iter()
        .copied()
        .cycle()
        .take(258 * period as usize)
        .collect();
    // 258 patterns' worth at a time, doubled as the bits of the count ask.
    unit.update(&chunk);
    let mut units = copies * 258 / (258 * period);
    while units > 0 {
        if units & 1 == 1 {
            run.combine(&unit);
        }
        let twice = unit.clone();
        unit.combine(&twice);
        units >>= 1;
    }
    crc.combine(&run);
    crc.update(tail);
    (b.finish(), size, crc.finalize())
}

/// A zip of the given parts: (name, method, bytes as stored, size, CRC-32).
fn zip_of(parts: &[(String, u16, Vec<u8>, u64, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let le16 = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let le32 = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    for (name, method, data, size, crc) in parts {
        let offset = out.len() as u32;
        le32(&mut out, 0x0403_4b50);
        for x in [20, 0, *method, 0, 0x21] {
            le16(&mut out, x);
        }
        for x in [*crc, data.len() as u32, *size as u32] {
            le32(&mut out, x);
        }
        le16(&mut out, name.len() as u16);
        le16(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        le32(&mut central, 0x0201_4b50);
        for x in [20, 20, 0, *method, 0, 0x21] {
            le16(&mut central, x);
        }
        for x in [*crc, data.len() as u32, *size as u32] {
            le32(&mut central, x);
        }
        for x in [name.len() as u16, 0, 0, 0, 0] {
            le16(&mut central, x);
        }
        le32(&mut central, 0);
        le32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let at = out.len() as u32;
    out.extend_from_slice(&central);
    le32(&mut out, 0x0605_4b50);
    for x in [0, 0, parts.len() as u16, parts.len() as u16] {
        le16(&mut out, x);
    }
    le32(&mut out, central.len() as u32);
    le32(&mut out, at);
    le16(&mut out, 0);
    out
}

/// The parts of a zip, stored, with `part` replaced by a deflated stream.
fn with_part(zip: &[u8], part: &str, (data, size, crc): (Vec<u8>, u64, u32)) -> Vec<u8> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        if name == part {
            continue;
        }
        let mut body = Vec::new();
        f.read_to_end(&mut body).unwrap();
        let crc = crc32fast::hash(&body);
        let len = body.len() as u64;
        parts.push((name, 0, body, len, crc));
    }
    parts.push((part.to_string(), 8, data, size, crc));
    zip_of(&parts)
}

/// An xlsx whose sheet is `head`, then `pattern` repeated, then `tail`.
fn bomb_xlsx(p: &Project, rel: &str, head: &str, pattern: &str, copies: u64, tail: &str) -> u64 {
    let template = p.path("template.xlsx");
    titled_book(p, "template.xlsx", "模板", 1.0);
    let bytes = std::fs::read(&template).unwrap();
    std::fs::remove_file(&template).unwrap();
    let sheet = deflate_bomb(head.as_bytes(), pattern.as_bytes(), copies, tail.as_bytes());
    let inflated = sheet.1;
    let out = with_part(&bytes, "xl/worksheets/sheet1.xml", sheet);
    p.file(rel, &out);
    eprintln!(
        "{rel}: {} KiB, its sheet {} MiB",
        out.len() >> 10,
        inflated >> 20
    );
    inflated
}

const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;

#[test]
fn a_staircase_of_cells_just_inside_the_stray_gaps_is_refused_naming_its_extent() {
    let p = pipeline_project();
    good_book(&p);
    // Each cell 9,999 rows and 999 columns past the last: never a gap wide enough to set it
    // aside as stray, and a grid of 17 billion cells.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for i in 0..105u32 {
        ws.write_number(i * 9_999, (i * 999).min(16_383) as u16, 1.0)
            .unwrap();
    }
    wb.save(p.path("data/2022年阶梯.xlsx")).unwrap();
    assert!(
        std::fs::metadata(p.path("data/2022年阶梯.xlsx"))
            .unwrap()
            .len()
            < 16 << 10
    );
    refused_within_budget(
        &p,
        "data/2022年阶梯.xlsx: sheet `Sheet1`: sheet could not be read: the cells span A1:XFD1039897 (17037672448 cells)",
    );
}

#[test]
fn an_ods_of_repeated_long_text_is_refused_by_its_bytes() {
    use std::io::Read;
    let p = pipeline_project();
    good_book(&p);
    // The sample's .ods with one more sheet: 19,000 rows of 1,000 repeated cells holding
    // 1,000 characters, 19 million cells (within the span allowed) but 19 GB of text.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample =
        std::fs::read(root.join("sample-data/2022/2022年工会贴息贷款发放情况.ods")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&sample)).unwrap();
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut body = Vec::new();
        f.read_to_end(&mut body).unwrap();
        if name == "content.xml" {
            let text = String::from_utf8(body).unwrap();
            let long = "x".repeat(1_000);
            let sheet = format!(
                r#"<table:table table:name="重复"><table:table-row table:number-rows-repeated="19000"><table:table-cell office:value-type="string" table:number-columns-repeated="1000"><text:p>{long}</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"#
            );
            body = text
                .replacen("</office:spreadsheet>", &sheet, 1)
                .into_bytes();
        }
        let crc = crc32fast::hash(&body);
        let len = body.len() as u64;
        parts.push((name, 0, body, len, crc));
    }
    p.file("data/2022年重复.ods", zip_of(&parts));
    refused_within_budget(
        &p,
        "data/2022年重复.ods: corrupt or unreadable workbook: sheet `重复` repeats its cells' text to more than 384 MiB",
    );
}

#[test]
fn a_small_file_whose_sheet_is_one_text_of_a_gigabyte_is_refused() {
    let p = pipeline_project();
    good_book(&p);
    // 1 GiB of one letter in one cell: about a thousand to one, so the file is about 1 MB.
    let head = format!(r#"{SHEET_HEAD}<row r="1"><c r="A1" t="inlineStr"><is><t>"#);
    let inflated = bomb_xlsx(
        &p,
        "data/2022年炸弹.xlsx",
        &head,
        "a",
        (1 << 30) / 258,
        "</t></is></c></row></sheetData></worksheet>",
    );
    assert!(inflated > 1 << 30 - 1);
    assert!(
        std::fs::metadata(p.path("data/2022年炸弹.xlsx"))
            .unwrap()
            .len()
            < 2 << 20
    );
    refused_within_budget(
        &p,
        "data/2022年炸弹.xlsx: corrupt or unreadable workbook: xl/worksheets/sheet1.xml holds a text or tag longer than 16 MiB",
    );
}

/// A sheet of 40,000 cells that all show one shared text of 32,767 characters: 1.3 GB once
/// each cell holds its copy, from a file of 1.3 MB (stored, not compressed).
fn shared_text(p: &Project, rel: &str, salt: &str) {
    use std::io::Read;
    titled_book(p, "template.xlsx", "模板", 1.0);
    let template = std::fs::read(p.path("template.xlsx")).unwrap();
    std::fs::remove_file(p.path("template.xlsx")).unwrap();
    let mut sheet = SHEET_HEAD.to_string();
    for r in 1..=1_000 {
        sheet.push_str(&format!(r#"<row r="{r}">"#));
        for c in ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]
            .iter()
            .cycle()
            .take(40)
            .enumerate()
        {
            let col = format!("{}{}", ["", "A", "B", "C"][c.0 / 10], c.1);
            sheet.push_str(&format!(r#"<c r="{col}{r}" t="s"><v>0</v></c>"#));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let strings = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="40000" uniqueCount="1"><si><t>{salt}{}</t></si></sst>"#,
        "x".repeat(32_767 - salt.len())
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&template)).unwrap();
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut body = Vec::new();
        f.read_to_end(&mut body).unwrap();
        match name.as_str() {
            "xl/worksheets/sheet1.xml" => body = sheet.clone().into_bytes(),
            "xl/sharedStrings.xml" => body = strings.clone().into_bytes(),
            _ => {}
        }
        let crc = crc32fast::hash(&body);
        let len = body.len() as u64;
        parts.push((name, 0, body, len, crc));
    }
    p.file(rel, zip_of(&parts));
    assert!(std::fs::metadata(p.path(rel)).unwrap().len() < 2 << 20);
}

#[test]
fn a_small_file_whose_cells_copy_one_long_text_is_refused_by_the_cell_budget() {
    let p = pipeline_project();
    good_book(&p);
    shared_text(&p, "data/2022年长文.xlsx", "a");
    refused_within_budget(
        &p,
        "data/2022年长文.xlsx: sheet `项目`: sheet could not be read: the sheet's cells take more than 384 MiB",
    );
}

#[test]
fn large_files_are_read_one_at_a_time() {
    let p = pipeline_project();
    good_book(&p);
    // Each alone stays within the budget of one workbook; side by side they would not.
    shared_text(&p, "data/2022年长文甲.xlsx", "a");
    shared_text(&p, "data/2022年长文乙.xlsx", "b");
    let head = format!(r#"{SHEET_HEAD}<row r="1"><c r="A1" t="inlineStr"><is><t>"#);
    let tail = "</t></is></c></row></sheetData></worksheet>";
    bomb_xlsx(
        &p,
        "data/2022年炸弹甲.xlsx",
        &head,
        "a",
        (1 << 30) / 258,
        tail,
    );
    bomb_xlsx(
        &p,
        "data/2022年炸弹乙.xlsx",
        &head,
        "b",
        (1 << 30) / 258,
        tail,
    );
    refused_within_budget(
        &p,
        "data/2022年长文乙.xlsx: sheet `项目`: sheet could not be read: the sheet's cells take more than 384 MiB",
    );
    let warnings = manifest(&p, "out")["warnings"].to_string();
    for name in ["长文甲", "炸弹甲", "炸弹乙"] {
        assert!(
            warnings.contains(&format!("data/2022年{name}.xlsx: ")),
            "{warnings}"
        );
    }
}

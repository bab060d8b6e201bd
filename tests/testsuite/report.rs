//! The HTML report: every link and image resolves offline, and a real browser shows the
//! Chinese text. The browser part needs Debian's chromium (`.ci/run` installs it).

use crate::common::*;
use std::path::Path;
use std::process::Command;

fn project() -> Project {
    let p = Project::new();
    p.file("p.toml", INVESTMENT_PIPELINE);
    for (file, year, rows) in [
        ("data/2021年投资.xlsx", "二道区2021年重点项目", 5000.0),
        ("data/2022年投资.xlsx", "二道区2022年重点项目", 8000.0),
    ] {
        p.xlsx(
            file,
            &[SheetSpec::new(
                "项目",
                vec![
                    vec![S(year)],
                    vec![S("单位：万元")],
                    vec![S("项目名称"), S("建设性质"), S("总投资")],
                    vec![
                        S("长春二道经济开发区新建建材产业园区项目"),
                        S("新建"),
                        N(rows),
                    ],
                    vec![S("二道区疾病预防控制中心建设项目"), S("续建"), N(6000.0)],
                ],
            )],
        );
    }
    p
}

/// Every `href="…"` and `src="…"` value in the page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(pos) = rest.find(attr) {
            rest = &rest[pos + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn every_link_and_image_resolves_offline() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let dir = p.path("out/t/2022-12");
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let all = links(&html);
    assert!(
        all.iter().any(|l| l.ends_with(".png")),
        "no chart image in the page"
    );
    for l in &all {
        // The contents list links to the tables' headings in the page.
        if let Some(id) = l.strip_prefix('#') {
            assert!(html.contains(&format!("id=\"{id}\"")), "broken anchor {l}");
            continue;
        }
        assert!(
            !l.contains("://") && !l.starts_with('/'),
            "link is not relative: {l}"
        );
        let target = dir.join(percent_decode(l));
        assert!(target.is_file(), "broken link {l}");
    }
    assert!(html.contains("二道区疾病预防控制中心建设项目") || html.contains("续建"));
    // The page falls back to the charts' font, shipped beside it with its licence, so the
    // Chinese text renders where no CJK font is installed.
    assert!(html.contains("url('fonts/YearbookSansSC-Regular.otf')"));
    assert!(dir.join("fonts/YearbookSansSC-Regular.otf").is_file());
    assert!(dir.join("fonts/OFL.txt").is_file());
}

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

#[test]
fn a_real_browser_renders_the_chinese_report() {
    let Some(browser) = chromium() else {
        cannot_run("chromium is not installed (.ci/run installs it)");
        return;
    };
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let index = p.path("out/t/2022-12/index.html");
    let url = format!("file://{}", index.display());
    let profile = p.path("chromium-profile");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    let dom = Command::new(browser)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("项目情况"),
        "rendered page lacks the Chinese table title:\n{dom}"
    );
    assert!(dom.contains("数据期"));
    let shot = p.path("screenshot.png");
    Command::new(browser)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,1600")
        .arg(&url)
        .output()
        .expect("run chromium");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..4], b"\x89PNG");
    // Keep the screenshot where a person can look at it after the test run.
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::copy(&shot, keep);
}

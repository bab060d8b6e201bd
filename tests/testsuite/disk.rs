//! Output failures on a real file system: a full disk and a read-only one, on a small tmpfs
//! mounted in a private namespace (`unshare`, no root needed where user namespaces are on), and
//! the output folder deleted while a run writes.

use crate::common::*;
use std::path::Path;

fn project() -> Project {
    let p = pipeline_project();
    investment(&p, "甲项目", 100.0);
    p
}

fn investment(p: &Project, name: &'static str, amount: f64) {
    investment_book(
        p,
        "data/2022年投资.xlsx",
        vec![vec![S(name), S("新建"), N(amount)]],
    );
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with(".staging") || n.starts_with(".old") || n == ".lock")
                .collect()
        })
        .unwrap_or_default()
}

fn namespaces_available() -> bool {
    std::process::Command::new("unshare")
        .args(["-rm", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_or_read_only_output_disk_fails_the_run_and_keeps_the_previous_output() {
    if !namespaces_available() {
        cannot_run("`unshare -rm` is not available here to mount a small tmpfs");
        return;
    }
    let p = project();
    std::fs::create_dir_all(p.path("out")).unwrap();
    // Inside the namespace: a 4 MiB tmpfs on out/, a good run, then the same disk full (a
    // re-run links its unchanged files, which takes no room, so none is left), then read-only. A step the system cannot do (exit 90)
    // skips the test. The tree of the first run is copied out before the mount
    // goes away with the namespace.
    let bin = assert_cmd::cargo::cargo_bin("yearbook");
    let script = format!(
        r#"
        set -u
        mount -t tmpfs -o size=4m tmpfs out || exit 90
        "{bin}" run p.toml >first.log 2>&1; echo $? >first.code
        cp -r out/t/2022-12 before
        cp changed.xlsx "data/2022年投资.xlsx"
        avail=$(df --output=avail -k out | tail -1 | tr -d ' ') && [ -n "$avail" ] || exit 90
        dd if=/dev/zero of=out/filler bs=1k count=$avail 2>/dev/null
        [ -f out/filler ] || exit 90
        "{bin}" run p.toml >full.log 2>&1; echo $? >full.code
        cp -r out/t/2022-12 after-full; ls -a out/t >full.ls
        rm out/filler
        mount -o remount,ro out || exit 90
        "{bin}" run p.toml >ro.log 2>&1; echo $? >ro.code
        cp -r out/t/2022-12 after-ro; ls -a out/t >ro.ls
        "#,
        bin = bin.display()
    );
    // The changed input is written before the namespace starts, and copied in between runs.
    investment(&p, "乙项目", 7.0);
    std::fs::rename(p.path("data/2022年投资.xlsx"), p.path("changed.xlsx")).unwrap();
    investment(&p, "甲项目", 100.0);
    let status = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .current_dir(p.dir.path())
        .env_remove("YEARBOOK_FAIL_AT")
        .env("YEARBOOK_LANG", "en")
        .status()
        .unwrap();
    if status.code() == Some(90) {
        cannot_run("a small tmpfs cannot be mounted, filled or remounted here");
        return;
    }
    let code = |f: &str| p.read(f).trim().to_string();
    assert_eq!(code("first.code"), "0", "{}", p.read("first.log"));
    let before = tree(&p.path("before"));
    assert!(!before.is_empty());

    for (step, error) in [
        ("full", "No space left on device"),
        ("ro", "Read-only file system"),
    ] {
        let log = p.read(&format!("{step}.log"));
        assert_eq!(code(&format!("{step}.code")), "4", "{log}");
        assert!(log.contains(error), "{log}");
        assert_eq!(
            tree(&p.path(&format!("after-{step}"))),
            before,
            "output changed ({error})"
        );
        let ls = p.read(&format!("{step}.ls"));
        assert!(!ls.contains(".staging") && !ls.contains(".lock"), "{ls}");
    }
}

#[test]
fn the_output_folder_deleted_mid_run_fails_cleanly() {
    let p = project();
    p.cmd().args(["run", "p.toml"]).assert().code(0);
    let out = p
        .cmd()
        .args(["run", "p.toml", "--no-cache"])
        .env("YEARBOOK_FAIL_AT", "delete-output")
        .assert()
        .code(4);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("error: cannot write outputs"), "{stderr}");
    assert!(stderr.contains("No such file or directory"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(leftovers(&p.path("out/t")).is_empty());
}

#[test]
fn an_output_folder_that_is_a_file_is_a_clear_error() {
    let p = project();
    p.file("out", "not a folder");
    let out = p.cmd().args(["run", "p.toml"]).assert().code(4);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("error: cannot write"), "{stderr}");
    assert!(stderr.contains("out/t"), "{stderr}");
    assert_eq!(p.read("out"), "not a folder");
}

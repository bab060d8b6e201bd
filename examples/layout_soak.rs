//! Draws workbooks from the space of bureau layouts, runs yearbook on them and checks that every
//! row, period and figure comes out as planted; every failing workbook is copied to a folder
//! with its seed and what differed.
//!
//! ```sh
//! cargo run --release --example layout_soak -- --cases 20000
//! cargo run --release --example layout_soak -- --cases 500 --space full --out soak-failures
//! cargo run --release --example layout_soak -- --cases 500 --only two_row_headers,parent_units
//! ```
//!
//! Options:
//! - `--cases N` (default 1000); `--seed S`, the first seed (default 1): a case depends only on
//!   its seed and the space, so `--seed S --cases 1` with the same space draws it again;
//! - `--space passing|full` (default passing: the dimensions the property test covers),
//!   `--only A,B` (just these dimensions), `--with A,B` and `--without A,B`;
//! - `--out DIR` for the failing workbooks (default `layout-failures`), `--keep DIR` to keep
//!   every group's folder, `--group N` cases per yearbook run (default 40, at most 45).
//!
//! At the end it lists, per dimension, how many cases used it and how many of those failed.
//! It exits 1 when a case failed.

#[path = "shared/layoutgen/mod.rs"]
mod layoutgen;
#[path = "shared/sheets/mod.rs"]
mod sheets;
#[path = "shared/xorshift.rs"]
mod xorshift;

use layoutgen::check::{case_path, check, write_group};
use layoutgen::{generate, Case, Space};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

struct Args {
    cases: u64,
    seed: u64,
    space: Space,
    out: PathBuf,
    group: usize,
    /// Keep each group's folder (workbooks, pipeline, outputs) here.
    keep: Option<PathBuf>,
}

fn dims(list: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = list
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for n in &names {
        if !Space::DIMENSIONS.contains(&n.as_str()) {
            return Err(format!(
                "unknown dimension `{n}`; the dimensions are: {}",
                Space::DIMENSIONS.join(", ")
            ));
        }
    }
    Ok(names)
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        cases: 1000,
        seed: 1,
        space: Space::passing(),
        out: PathBuf::from("layout-failures"),
        group: 40,
        keep: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--cases" => a.cases = value()?.parse().map_err(|e| format!("--cases: {e}"))?,
            "--seed" => a.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--group" => {
                a.group = value()?.parse().map_err(|e| format!("--group: {e}"))?;
                if !(1..=layoutgen::MAX_GROUP).contains(&a.group) {
                    return Err(format!("--group must be 1 to {}", layoutgen::MAX_GROUP));
                }
            }
            "--out" => a.out = PathBuf::from(value()?),
            "--keep" => a.keep = Some(PathBuf::from(value()?)),
            "--space" => {
                a.space = match value()?.as_str() {
                    "passing" => Space::passing(),
                    "full" => Space::full(),
                    other => return Err(format!("--space: `{other}` is not passing or full")),
                }
            }
            "--only" => {
                a.space = Space::none();
                for d in dims(&value()?)? {
                    if let Some(b) = a.space.get_mut(&d) {
                        *b = true;
                    }
                }
            }
            "--with" | "--without" => {
                let on = flag == "--with";
                for d in dims(&value()?)? {
                    if let Some(b) = a.space.get_mut(&d) {
                        *b = on;
                    }
                }
            }
            "-h" | "--help" => {
                println!("layout_soak [--cases N] [--seed S] [--space passing|full] [--only A,B] [--with A,B] [--without A,B] [--out DIR] [--keep DIR] [--group N]");
                println!("dimensions: {}", Space::DIMENSIONS.join(", "));
                std::process::exit(0);
            }
            other => return Err(format!("unknown option `{other}` (try --help)")),
        }
    }
    Ok(a)
}

/// Runs yearbook (the library, as `yearbook run p.toml --no-cache` does) in `dir`.
fn run_yearbook(dir: &Path) -> (Option<i32>, String) {
    let pipeline = match yearbook::config::load(&dir.join("p.toml")) {
        Ok(p) => p,
        Err(e) => return (Some(2), format!("pipeline: {e}")),
    };
    let opts = yearbook::run::RunOptions {
        period: None,
        out: None,
        strict: false,
        no_cache: true,
        no_links: true,
        from_parquet: None,
    };
    match yearbook::run::run(&pipeline, &opts) {
        Ok(s) => (Some(if s.warnings > 0 { 1 } else { 0 }), String::new()),
        Err(e) => (Some(2), yearbook::error::report(&e)),
    }
}

fn save_failure(
    out: &Path,
    dir: &Path,
    i: usize,
    case: &Case,
    diffs: &[String],
) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let name = format!("seed{}-{}", case.seed, case.file_name);
    std::fs::copy(dir.join(case_path(i, case)), out.join(&name))?;
    let text = format!(
        "seed {}\nyear {}\nworkbook {name}\ndimensions used: {}\n\n{}\n",
        case.seed,
        case.truth.year,
        case.used.join(", "),
        diffs.join("\n")
    );
    std::fs::write(out.join(format!("seed{}.txt", case.seed)), text)
}

fn main() {
    // The checks read warnings in English, as the test suite's runs of the generator do.
    yearbook::i18n::set(yearbook::i18n::Lang::En);
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("layout_soak: {e}");
            std::process::exit(2);
        }
    };
    let t0 = Instant::now();
    let work = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("layout_soak: temporary folder: {e}");
            std::process::exit(2);
        }
    };
    let mut failed = 0u64;
    let mut by_dim: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    let mut done = 0u64;
    while done < args.cases {
        let n = (args.cases - done).min(args.group as u64) as usize;
        let first = args.seed + done;
        let cases: Vec<Case> = (0..n)
            .map(|i| generate(first + i as u64, &args.space))
            .collect();
        let dir = args
            .keep
            .as_deref()
            .unwrap_or(work.path())
            .join(format!("g{first}"));
        if let Err(e) = write_group(&dir, &cases) {
            eprintln!("layout_soak: {e}");
            std::process::exit(2);
        }
        let (code, stderr) = run_yearbook(&dir);
        let findings = check(&dir, &cases, code, &stderr);
        for (i, c) in cases.iter().enumerate() {
            let bad = findings.contains_key(&i);
            for d in &c.used {
                let e = by_dim.entry(d).or_default();
                e.0 += 1;
                e.1 += u64::from(bad);
            }
        }
        for (i, diffs) in &findings {
            failed += 1;
            if let Err(e) = save_failure(&args.out, &dir, *i, &cases[*i], diffs) {
                eprintln!("layout_soak: saving seed {}: {e}", cases[*i].seed);
            }
        }
        if args.keep.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        done += n as u64;
        eprintln!("{done}/{} cases, {failed} failed", args.cases);
    }
    println!(
        "{} cases in {:.1}s: {failed} failed{}",
        args.cases,
        t0.elapsed().as_secs_f64(),
        if failed > 0 {
            format!(" (workbooks and differences in {})", args.out.display())
        } else {
            String::new()
        }
    );
    println!("dimension: cases using it, of which failed");
    for (d, (n, bad)) in &by_dim {
        println!("  {d}: {n}, {bad}");
    }
    std::process::exit(if failed > 0 { 1 } else { 0 });
}

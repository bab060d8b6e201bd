//! The parse floor: how fast the workbooks of a folder can be read at all. Opens every
//! workbook with calamine, loads every sheet and walks every cell, in parallel across files
//! (rayon, as `yearbook run` does), and nothing else.
//!
//!     cargo run --release --example parse_floor -- DIR

use calamine::{open_workbook_auto_from_rs, Data, Reader};
use rayon::prelude::*;
use std::io::Cursor;
use std::path::PathBuf;
use std::time::Instant;

fn workbooks(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            workbooks(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| matches!(e.to_str(), Some("xlsx" | "xls" | "ods")))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn main() {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: parse_floor DIR");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    if let Err(e) = workbooks(&dir, &mut files) {
        eprintln!("error: {}: {e}", dir.display());
        std::process::exit(1);
    }
    files.sort();
    let start = Instant::now();
    let (cells, numbers) = files
        .par_iter()
        .map(|path| {
            let Ok(bytes) = std::fs::read(path) else {
                return (0u64, 0u64);
            };
            let Ok(mut wb) = open_workbook_auto_from_rs(Cursor::new(bytes)) else {
                return (0, 0);
            };
            let mut cells = 0u64;
            let mut numbers = 0u64;
            for name in wb.sheet_names() {
                let Ok(range) = wb.worksheet_range(&name) else {
                    continue;
                };
                for (_, _, cell) in range.used_cells() {
                    cells += 1;
                    if matches!(cell, Data::Float(_) | Data::Int(_)) {
                        numbers += 1;
                    }
                }
            }
            (cells, numbers)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!(
        "{} workbooks, {cells} cells ({numbers} numbers) in {:.3} s",
        files.len(),
        start.elapsed().as_secs_f64()
    );
}

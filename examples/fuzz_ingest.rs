//! Mutation fuzzing of workbook ingestion, on the stable toolchain.
//!
//!     cargo run --release --example fuzz_ingest -- SEED_DIR SECONDS [START]
//!
//! Takes the workbooks under SEED_DIR (e.g. `sample-data`), and for as long as asked mutates
//! one at a time and feeds it to ingestion as `yearbook run` would. Half the mutations work on
//! raw bytes (flips, truncation, inserted and repeated runs); half open the zip of an xlsx or
//! ods, mutate one XML part as text (numbers, cell references, dimensions, dropped or repeated
//! bytes) and zip it again, so that the mutations reach calamine's parsers rather than stopping
//! at the zip checksum. Iteration N is reproducible from its number alone.
//!
//! A finding is: a panic that escapes ingestion, a sheet whose rows do not balance
//! (read = kept + rejected + skipped), or one input slower than 10 s. Findings are written to
//! `fuzz-findings/` in the current folder. Run it under a memory limit (`ulimit -v`) so that an
//! allocation failure shows up too: the last line printed names the iteration to replay.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "shared/workbooks.rs"]
mod workbooks;
#[path = "shared/xorshift.rs"]
mod xorshift;
use xorshift::Rng;

/// The generator of one iteration.
fn rng_for(iteration: u64) -> Rng {
    Rng(iteration.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
}

const INTERESTING: [&str; 10] = [
    "XFD1048576",
    "A1048576",
    "0",
    "-1",
    "4294967295",
    "1e308",
    "NaN",
    "",
    "A0",
    "ZZZZ1",
];

fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>) {
    for _ in 0..1 + rng.index(8) {
        if data.is_empty() {
            data.push(rng.next() as u8);
        }
        let at = rng.index(data.len());
        match rng.index(6) {
            0 => data[at] ^= 1 << rng.index(8),
            1 => data[at] = rng.next() as u8,
            2 => data.truncate(at),
            3 => {
                let n = 1 + rng.index(64);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            4 => {
                let len = rng.index((data.len() - at).min(4096)) + 1;
                let chunk = data[at..(at + len).min(data.len())].to_vec();
                let to = rng.index(data.len());
                data.splice(to..to, chunk);
            }
            _ => {
                let len = rng.index((data.len() - at).min(256));
                data.drain(at..at + len);
            }
        }
    }
}

/// Mutates XML text: replaces a number or quoted value with an interesting one, or applies
/// byte mutations to a region.
fn mutate_xml(rng: &mut Rng, xml: &mut Vec<u8>) {
    for _ in 0..1 + rng.index(4) {
        if xml.is_empty() {
            return;
        }
        let at = rng.index(xml.len());
        if rng.index(2) == 0 {
            // Next quoted attribute value from `at`.
            let Some(q) = xml[at..]
                .iter()
                .position(|&b| b == b'"')
                .map(|i| at + i + 1)
            else {
                continue;
            };
            let Some(end) = xml[q..].iter().position(|&b| b == b'"').map(|i| q + i) else {
                continue;
            };
            let value = INTERESTING[rng.index(INTERESTING.len())]
                .as_bytes()
                .to_vec();
            xml.splice(q..end, value);
        } else {
            let mut region = xml[at..(at + 64).min(xml.len())].to_vec();
            mutate_bytes(rng, &mut region);
            let end = (at + 64).min(xml.len());
            xml.splice(at..end, region);
        }
    }
}

/// Rewrites a zip with one XML part mutated; None when the input is not a readable zip.
fn mutate_zip(rng: &mut Rng, data: &[u8]) -> Option<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(data)).ok()?;
    let names: Vec<String> = (0..zip.len())
        .filter_map(|i| {
            zip.by_index(i)
                .ok()
                .and_then(|f| f.name().ok().map(|n| n.to_string()))
        })
        .collect();
    let xml_parts: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.ends_with(".xml") || n.ends_with(".rels"))
        .map(|(i, _)| i)
        .collect();
    let target = *xml_parts.get(rng.index(xml_parts.len()))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (i, name) in names.iter().enumerate() {
        let mut body = Vec::new();
        zip.by_index(i).ok()?.read_to_end(&mut body).ok()?;
        if i == target {
            mutate_xml(rng, &mut body);
        }
        out.start_file(name.as_str(), opts).ok()?;
        out.write_all(&body).ok()?;
    }
    out.finish().ok().map(|c| c.into_inner())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(seconds)) = (
        args.first().map(PathBuf::from),
        args.get(1).and_then(|s| s.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: fuzz_ingest SEED_DIR SECONDS [START]");
        std::process::exit(2);
    };
    let start: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    // Unreadable folders give no seeds; the run then stops below.
    let files = workbooks::workbooks(&dir).unwrap_or_default();
    let corpus: Vec<(PathBuf, Vec<u8>)> = files
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect();
    if corpus.is_empty() {
        eprintln!("no workbooks under {}", dir.display());
        std::process::exit(2);
    }
    let pipeline = match yearbook::config::builtin() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("built-in dictionary: {e}");
            std::process::exit(1);
        }
    };
    // Panics are counted, not printed; the ones ingestion catches are its file errors.
    std::panic::set_hook(Box::new(|_| {}));
    let findings = PathBuf::from("fuzz-findings");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut runs, mut file_errors, mut caught, mut found) = (0u64, 0u64, 0u64, 0u64);
    let mut slowest = Duration::ZERO;
    let mut iteration = start;
    let trace = std::env::var_os("FUZZ_TRACE").is_some();
    while Instant::now() < deadline {
        let mut rng = rng_for(iteration);
        let (path, seed) = &corpus[rng.index(corpus.len())];
        let mut data = seed.clone();
        let zipped = path.extension().is_none_or(|e| e != "xls");
        if zipped && rng.index(2) == 0 {
            if let Some(d) = mutate_zip(&mut rng, &data) {
                data = d;
            }
        } else {
            mutate_bytes(&mut rng, &mut data);
        }
        let name = Path::new("fuzz").with_extension(path.extension().unwrap_or_default());
        if trace {
            // Kept on disk until the next input, so that an abort leaves it behind.
            let _ = std::fs::write("fuzz-current.bin", &data);
            eprintln!("iteration {iteration}");
        }
        let t = Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            yearbook::ingest::ingest_bytes(&pipeline, &name, "fuzz", &data, String::new())
        }));
        let took = t.elapsed();
        slowest = slowest.max(took);
        runs += 1;
        let problem = match &result {
            Err(_) => Some("panic escaped ingestion".to_string()),
            Ok(r) => {
                if let Some(e) = &r.error {
                    file_errors += 1;
                    if e.starts_with("reading the workbook failed unexpectedly") {
                        caught += 1;
                    }
                }
                r.sheets
                    .iter()
                    .find(|s| s.rows_read != s.rows_kept + s.rows_rejected + s.rows_skipped())
                    .map(|s| format!("rows do not balance on sheet `{}`", s.name))
                    .or_else(|| (took > Duration::from_secs(10)).then(|| format!("slow: {took:?}")))
            }
        };
        if let Some(why) = problem {
            found += 1;
            let _ = std::fs::create_dir_all(&findings);
            let out = findings.join(format!(
                "{iteration}.{}",
                name.extension().unwrap_or_default().to_string_lossy()
            ));
            let _ = std::fs::write(&out, &data);
            println!(
                "finding at iteration {iteration}: {why} (input saved as {})",
                out.display()
            );
        }
        if runs % 1000 == 0 {
            println!("{runs} runs, last iteration {iteration}");
        }
        iteration += 1;
    }
    println!(
        "{runs} runs (iterations {start}..{iteration}) over {} seeds in {seconds} s: {file_errors} reported as file errors ({caught} of them panics caught inside a dependency), {found} findings; slowest input {:.3} s",
        corpus.len(),
        slowest.as_secs_f64()
    );
}

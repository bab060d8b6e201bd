//! Links the `yearbook` binary as a position-dependent executable on Linux.
//!
//! Polars puts many absolute addresses (vtables) into the binary. In a position-independent
//! executable the loader rewrites every one at start, copying hundreds of pages on each run,
//! a measurable part of a re-run that reuses its results. Linked at a fixed address they are
//! written once, at link time. What is given up is the random
//! placement of the binary's own code (libraries, heap and stack are still placed at
//! random); BENCHMARKS.md has the figures.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The message catalogues are compiled into the library.
    println!("cargo:rerun-if-changed=locales");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    if linux && gnu {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

//! rt's project commands.
//!
//! - `cargo xtask ci`: fmt check, clippy (warnings denied), the whole test
//!   suite, and the docs (warnings denied). This is the README's test command
//!   and what `.ci/run` runs.
//! - `cargo xtask bench [suite...] [--rounds N]`: builds every Rust benchmark
//!   in release mode, runs it and its Node twin interleaved for several rounds,
//!   prints the medians side by side and writes `target/bench/<suite>.json`.
#![forbid(unsafe_code)]

mod bench;
mod ci;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask ci\n       cargo xtask bench [suite...] [--rounds N] [--list]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's folder).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

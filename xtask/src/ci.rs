//! `cargo xtask ci`: everything CI checks, in order, stopping at the first failure.

use std::process::Command;
use std::time::Instant;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("`ci` takes no arguments (got {a})"));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    type Step<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let steps: [Step<'_>; 7] = [
        ("fmt", vec!["fmt", "--all", "--check"], vec![]),
        (
            "clippy",
            vec!["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
            vec![],
        ),
        ("test", vec!["test", "--workspace"], vec![]),
        // rt-stream's shuttle models (the state mutexes become shuttle's, so
        // the feature builds rt-stream apart and only this test runs with it).
        (
            "model",
            vec![
                "test",
                "-p",
                "rt-stream",
                "--features",
                "model",
                "--test",
                "model",
            ],
            vec![],
        ),
        // rt-net's shuttle model of the socket reader's wake-up protocol.
        (
            "model",
            vec![
                "test",
                "-p",
                "rt-net",
                "--features",
                "model",
                "--test",
                "reader_model",
            ],
            vec![],
        ),
        // rt-net's deferred-work test with the counters on: mutex
        // acquisitions and writes through the write gate per round trip.
        (
            "counters",
            vec![
                "test",
                "-p",
                "rt-net",
                "--features",
                "counters",
                "--test",
                "deferred_work",
            ],
            vec![],
        ),
        (
            "doc",
            vec!["doc", "--workspace", "--no-deps"],
            vec![("RUSTDOCFLAGS", "-D warnings")],
        ),
    ];
    let all = Instant::now();
    // Tests record each skip here (rt_tests::skip); the summary counts them.
    let skip_log = crate::root().join("target").join("rt-skips.log");
    let _ = std::fs::create_dir_all(crate::root().join("target"));
    let _ = std::fs::remove_file(&skip_log);
    for (name, argv, mut env) in steps {
        if name == "test" {
            env.push(("RT_SKIP_LOG", skip_log.to_str().unwrap_or_default()));
        }
        eprintln!("==> xtask ci: {name}: cargo {}", argv.join(" "));
        let start = Instant::now();
        let status = Command::new(&cargo)
            .args(&argv)
            .envs(env)
            .current_dir(crate::root())
            .status()
            .map_err(|e| format!("could not start cargo: {e}"))?;
        eprintln!("==> xtask ci: {name} took {:.1}s", start.elapsed().as_secs_f64());
        if !status.success() {
            if name == "test" {
                report_skips(&skip_log);
            }
            return Err(format!("step `{name}` failed ({status})"));
        }
        if name == "test" {
            report_skips(&skip_log);
        }
    }
    valgrind_unsafe_tests(&cargo)?;
    eprintln!(
        "==> xtask ci: all steps passed in {:.1}s",
        all.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Prints how many tests skipped and why (one line per skip in `log`).
fn report_skips(log: &std::path::Path) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    eprintln!("==> xtask ci: {} tests skipped", lines.len());
    for line in lines {
        eprintln!("    skipped {line}");
    }
}

/// rt-buffer's unit tests (they cover `raw.rs`, its one module with `unsafe`:
/// the kernels' safe wrappers, and `raw/pool_block.rs`, the `alloc_unsafe`
/// pool: refill without zeroing, whose differential test reads every reused
/// byte, and biased reference counting, with pieces dropped on other threads
/// and during thread teardown) run under `valgrind --error-exitcode=1`, with
/// definitely lost memory counted as an error. Valgrind cannot execute AVX-512, so the
/// step sets `RT_BUFFER_NO_AVX512=1` and the wrappers take their scalar
/// paths; the kernels themselves are checked natively by the same tests
/// against their scalar twins and by the differential tests against node.
fn valgrind_unsafe_tests(cargo: &str) -> Result<(), String> {
    let name = "valgrind (rt-buffer unsafe code)";
    if Command::new("valgrind").arg("--version").output().is_err() {
        // Under a requirement (as .ci/run sets) a missing tool is a failure.
        let required = ["RT_REQUIRE_NODE", "RT_REQUIRE_SERVICES"].iter().any(|v| {
            std::env::var(v).is_ok_and(|x| {
                !matches!(
                    x.trim().to_ascii_lowercase().as_str(),
                    "" | "0" | "false" | "no" | "off"
                )
            })
        });
        if required {
            return Err(format!(
                "{name}: `valgrind` not found on PATH (and RT_REQUIRE_* is set)"
            ));
        }
        eprintln!("==> xtask ci: NOTICE: {name} SKIPPED: `valgrind` not found on PATH");
        return Ok(());
    }
    let start = Instant::now();
    let out = Command::new(cargo)
        .args([
            "test",
            "-p",
            "rt-buffer",
            "--lib",
            "--no-run",
            "--message-format=json",
        ])
        .current_dir(crate::root())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "step `{name}`: building the test binary failed ({})",
            out.status
        ));
    }
    let exe = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["target"]["name"] == "rt_buffer" && m["profile"]["test"] == true)
        .find_map(|m| m["executable"].as_str().map(str::to_owned))
        .ok_or_else(|| format!("step `{name}`: cargo named no rt-buffer test binary"))?;
    eprintln!("==> xtask ci: {name}: valgrind --error-exitcode=1 {exe}");
    let status = Command::new("valgrind")
        // A definitely lost block is an error too: the pool's blocks are
        // freed by whichever piece or pool lets go of them last.
        .args([
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--quiet",
            &exe,
            "--test-threads=1",
        ])
        .env("RT_BUFFER_NO_AVX512", "1")
        .current_dir(crate::root())
        .status()
        .map_err(|e| format!("could not start valgrind: {e}"))?;
    eprintln!("==> xtask ci: {name} took {:.1}s", start.elapsed().as_secs_f64());
    if !status.success() {
        return Err(format!("step `{name}` failed ({status})"));
    }
    Ok(())
}

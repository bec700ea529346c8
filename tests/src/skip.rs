//! Visible skips, and requirements that turn a skip into a failure.
//!
//! A test that cannot run here (no `node`, no service binary, an fd limit too
//! low) calls [`skip`]. Without a requirement the skip is printed and recorded
//! in the file named by `RT_SKIP_LOG` (which `cargo xtask ci` sets and reads, so
//! its summary counts skips and says why). When any requirement variable
//! ([`REQUIREMENTS`]) holds a truthy value, the same call fails the test.

use std::io::Write;

/// The variables that, when truthy, turn every skip into a failure.
/// `.ci/run` sets `RT_REQUIRE_NODE=1` and `RT_REQUIRE_SERVICES=1`.
pub const REQUIREMENTS: [&str; 2] = ["RT_REQUIRE_NODE", "RT_REQUIRE_SERVICES"];

/// The variable naming the file skips are appended to (one line each).
pub const SKIP_LOG: &str = "RT_SKIP_LOG";

/// Whether `value` reads as "yes": anything but empty, `0`, `false`, `no`, `off`.
pub fn truthy(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    !(v.is_empty() || v == "0" || v == "false" || v == "no" || v == "off")
}

/// Whether the environment variable `var` is set to a truthy value.
pub fn required(var: &str) -> bool {
    std::env::var(var).map(|v| truthy(&v)).unwrap_or(false)
}

/// The first requirement variable that is truthy, if any.
pub fn any_requirement() -> Option<&'static str> {
    REQUIREMENTS.into_iter().find(|v| required(v))
}

/// Skips `test` because of `why`: panics when a requirement is set (so CI
/// fails), otherwise prints a notice and records the skip for `cargo xtask ci`.
#[track_caller]
pub fn skip(test: &str, why: &str) {
    if let Some(var) = any_requirement() {
        panic!("{test}: cannot run: {why} (and {var} is set, so this is a failure, not a skip)");
    }
    record(test, why);
}

/// Skips `test` unless the requirement `var` is truthy, in which case it fails.
/// Use for prerequisites tied to one requirement (a missing `node` under
/// `RT_REQUIRE_NODE`, a missing service binary under `RT_REQUIRE_SERVICES`).
#[track_caller]
pub fn skip_unless_required(var: &str, test: &str, why: &str) {
    if required(var) {
        panic!("{test}: cannot run: {why} (and {var} is set, so this is a failure, not a skip)");
    }
    record(test, why);
}

fn record(test: &str, why: &str) {
    // libtest captures stdout/stderr; the notice shows with --nocapture or on
    // failure, and the log line is what `cargo xtask ci` counts.
    eprintln!("NOTICE: SKIPPED {test}: {why}");
    if let Some(path) = std::env::var_os(SKIP_LOG) {
        let line = format!("{test}: {why}\n").replace(['\r'], " ");
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::truthy;

    #[test]
    fn truthy_values() {
        for yes in ["1", "true", "TRUE", "yes", "on", "2", " y "] {
            assert!(truthy(yes), "{yes:?} should be truthy");
        }
        for no in ["", "0", "false", "False", "no", "off", " "] {
            assert!(!truthy(no), "{no:?} should not be truthy");
        }
    }
}

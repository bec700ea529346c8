//! What `/proc` says about a process a benchmark measures: CPU time
//! (utime + stime) and resident memory (VmRSS, VmHWM).
//!
//! A process that has gone (or a system without `/proc`) reads as 0.

use std::process::Command;
use std::sync::OnceLock;

/// Clock ticks per second (`getconf CLK_TCK`, 100 when it cannot be asked).
pub fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// utime + stime of process `pid` so far, in seconds.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces and parentheses: count the fields
    // after the last ")". State is field 3, so utime (field 14) and stime
    // (field 15) are at indices 11 and 12 there.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / clock_ticks()
}

/// The sum of [`cpu_secs`] over several processes (a cluster's primary and workers).
pub fn cpu_secs_of(pids: &[u32]) -> f64 {
    pids.iter().map(|&pid| cpu_secs(pid)).sum()
}

/// Resident set of process `pid` now (VmRSS), in bytes.
pub fn rss_bytes(pid: u32) -> f64 {
    status_kib(pid, "VmRSS:") * 1024.0
}

/// The sum of [`rss_bytes`] over several processes.
pub fn rss_bytes_of(pids: &[u32]) -> f64 {
    pids.iter().map(|&pid| rss_bytes(pid)).sum()
}

/// Peak resident set of process `pid` so far (VmHWM), in bytes.
pub fn peak_rss_bytes(pid: u32) -> f64 {
    status_kib(pid, "VmHWM:") * 1024.0
}

fn status_kib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

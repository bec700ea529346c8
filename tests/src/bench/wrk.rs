//! `wrk` as a load generator: found (or installed from Debian's packages),
//! run with one thread, and its report read into a [`Load`].

use std::path::{Path, PathBuf};
use std::process::Command;

use super::server::command_on;
use super::{Better, report_as};

/// Whether `wrk` runs here.
pub fn available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Makes sure `wrk` is here: when missing, installs it with
/// `apt-get install wrk` (after `apt-get update` if the first try fails).
pub fn ensure() -> Result<(), String> {
    if available() {
        return Ok(());
    }
    eprintln!("-- wrk not found: installing it from Debian's packages (apt-get install -y wrk)");
    let install = || {
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-qq", "wrk"])
            .status();
    };
    install();
    if !available() {
        let _ = Command::new("apt-get").args(["update", "-qq"]).status();
        install();
    }
    if available() {
        Ok(())
    } else {
        Err("wrk is missing and could not be installed".into())
    }
}

/// One wrk run against `http://127.0.0.1:<port><path>`: `wrk -t1 -c<conns>
/// -d<secs>s --latency [-H header]... [-s script]`, optionally pinned to a core.
#[derive(Debug, Clone)]
pub struct Wrk {
    port: u16,
    path: String,
    conns: usize,
    secs: u64,
    core: Option<usize>,
    script: Option<PathBuf>,
    headers: Vec<String>,
}

/// What wrk reported.
#[derive(Debug, Clone, Default)]
pub struct Load {
    /// Requests completed.
    pub requests: f64,
    /// How long the run took, in seconds, as wrk measured it.
    pub secs: f64,
    /// The 99th percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// wrk's "Socket errors" and "Non-2xx or 3xx responses" lines, if any.
    pub errors: Vec<String>,
    /// wrk's whole report.
    pub output: String,
}

impl Load {
    /// Whether some answers were not 2xx or 3xx.
    pub fn non_2xx(&self) -> bool {
        self.errors.iter().any(|e| e.starts_with("Non-2xx"))
    }

    /// Requests per second.
    pub fn per_sec(&self) -> f64 {
        self.requests / self.secs
    }

    /// Reports the two figures of a server under this load:
    /// `"{figure}: {cpu_name}"` (µs of `cpu_secs`, the server's CPU over the
    /// run, per request) and `"{figure}: req/s"`.
    pub fn report_cpu_and_rate(&self, who: &str, figure: &str, cpu_name: &str, cpu_secs: f64) {
        report_as(
            who,
            &format!("{figure}: {cpu_name}"),
            "µs/req",
            Better::Lower,
            cpu_secs * 1e6 / self.requests,
        );
        report_as(
            who,
            &format!("{figure}: req/s"),
            "req/s",
            Better::Higher,
            self.per_sec(),
        );
    }
}

impl Wrk {
    /// A run against `port`: path `/`, 64 connections, 5 seconds, unpinned.
    pub fn new(port: u16) -> Wrk {
        Wrk {
            port,
            path: "/".into(),
            conns: 64,
            secs: 5,
            core: None,
            script: None,
            headers: Vec::new(),
        }
    }

    /// The path requested (unless a script makes the requests).
    pub fn path(mut self, path: &str) -> Wrk {
        self.path = path.into();
        self
    }

    /// How many connections.
    pub fn conns(mut self, conns: usize) -> Wrk {
        self.conns = conns;
        self
    }

    /// How long, in seconds.
    pub fn secs(mut self, secs: u64) -> Wrk {
        self.secs = secs;
        self
    }

    /// Runs wrk pinned to `core` (`None`: anywhere).
    pub fn core(mut self, core: Option<usize>) -> Wrk {
        self.core = core;
        self
    }

    /// A Lua script (`-s`).
    pub fn script(mut self, script: impl AsRef<Path>) -> Wrk {
        self.script = Some(script.as_ref().to_path_buf());
        self
    }

    /// A request header (`-H "Name: value"`).
    pub fn header(mut self, header: &str) -> Wrk {
        self.headers.push(header.into());
        self
    }

    /// Runs wrk; an error when it cannot start or served no requests.
    pub fn run(&self) -> Result<Load, String> {
        let mut cmd = match self.core {
            Some(_) => command_on(self.core, "wrk"),
            None => Command::new("wrk"),
        };
        cmd.args([
            "-t1",
            &format!("-c{}", self.conns),
            &format!("-d{}s", self.secs),
            "--latency",
        ]);
        for h in &self.headers {
            cmd.args(["-H", h]);
        }
        if let Some(s) = &self.script {
            cmd.arg("-s").arg(s);
        }
        cmd.arg(format!("http://127.0.0.1:{}{}", self.port, self.path));
        let out = cmd.output().map_err(|e| format!("wrk: {e}"))?;
        let load = parse(&String::from_utf8_lossy(&out.stdout), self.secs as f64);
        if load.requests == 0.0 {
            return Err(format!("wrk served no requests:\n{}", load.output));
        }
        Ok(load)
    }
}

/// Reads wrk's report (`secs`: the run's length, used when the report does not say).
pub fn parse(text: &str, secs: f64) -> Load {
    let mut load = Load {
        secs,
        output: text.to_string(),
        ..Load::default()
    };
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("99%") {
            load.p99_ms = duration_ms(v.trim());
        }
        if let Some((n, rest)) = t.split_once(" requests in ") {
            load.requests = n.trim().parse().unwrap_or(0.0);
            load.secs = duration_ms(rest.split(',').next().unwrap_or("").trim()) / 1000.0;
        }
        if t.starts_with("Socket errors") || t.starts_with("Non-2xx") {
            load.errors.push(t.to_string());
        }
    }
    load
}

/// A wrk duration (`812.00us`, `1.20ms`, `5.01s`, `1.00m`) in milliseconds.
pub fn duration_ms(v: &str) -> f64 {
    let num: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let n: f64 = num.parse().unwrap_or(0.0);
    match &v[num.len()..] {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_report() {
        let text = "Running 5s test @ http://127.0.0.1:1/\n  1 threads and 64 connections\n  Latency Distribution\n     50%  612.00us\n     99%    2.50ms\n  123456 requests in 5.01s, 12.00MB read\n  Socket errors: connect 0, read 1, write 0, timeout 0\n  Non-2xx or 3xx responses: 3\nRequests/sec:  24641.52\n";
        let load = parse(text, 5.0);
        assert_eq!(load.requests, 123456.0);
        assert!((load.secs - 5.01).abs() < 1e-9);
        assert!((load.p99_ms - 2.5).abs() < 1e-9);
        assert_eq!(load.errors.len(), 2);
        assert!(load.non_2xx());
        assert!((duration_ms("812.00us") - 0.812).abs() < 1e-9);
        assert!((duration_ms("1.00m") - 60_000.0).abs() < 1e-9);
        let none = parse("garbage", 3.0);
        assert_eq!((none.requests, none.secs), (0.0, 3.0));
        assert!(!none.non_2xx());
    }
}

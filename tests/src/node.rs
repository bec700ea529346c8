//! Running `node` from tests: the oracle for differential and interop tests.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub use crate::temp::TempDir;

/// The environment variable that turns a missing `node` from a skip into a failure.
pub const REQUIRE_NODE: &str = "RT_REQUIRE_NODE";

/// A `node` executable found on this machine.
#[derive(Debug, Clone)]
pub struct Node {
    path: PathBuf,
    version: String,
}

/// The Node major version the oracle must be (the project targets Node v20).
pub const NODE_MAJOR: u32 = 20;

/// The case loop every Node runner of a differential test shares
/// (`tests/node/cases.js`): it defines `runCases(run)`, which reads a JSON
/// array of cases on stdin, awaits `run(case)` for each in turn and prints
/// the JSON array of the answers. [`Node::run_cases`] appends it to a runner.
pub const CASE_LOOP: &str = include_str!("../node/cases.js");

/// Finds `node` (v20) for the test named `test`.
///
/// Returns `None` after recording a visible skip ([`crate::skip`]) when `node`
/// is missing or is not v20, unless `RT_REQUIRE_NODE` is truthy, in which case
/// it panics (the test fails) saying what was found.
#[track_caller]
pub fn node_or_skip(test: &str) -> Option<Node> {
    match find() {
        Ok(node) => Some(node),
        Err(why) => {
            crate::skip::skip_unless_required(REQUIRE_NODE, test, why);
            None
        }
    }
}

fn find() -> Result<Node, &'static str> {
    static FOUND: OnceLock<Result<Node, &'static str>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let candidate = std::env::var_os("RT_NODE")
                .map(PathBuf::from)
                .unwrap_or_else(|| "node".into());
            let out = Command::new(&candidate)
                .arg("--version")
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output();
            let out = match out {
                Ok(out) if out.status.success() => out,
                _ => return Err("`node` not found on PATH (or RT_NODE)"),
            };
            let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
            match parse_major(&version) {
                Some(NODE_MAJOR) => Ok(Node {
                    path: candidate,
                    version,
                }),
                _ => Err(Box::leak(
                    format!("found node {version:?} but the oracle must be v{NODE_MAJOR}").into_boxed_str(),
                )),
            }
        })
        .clone()
}

/// The major version in `node --version` output such as `v20.20.2`.
fn parse_major(version: &str) -> Option<u32> {
    version.strip_prefix('v')?.split('.').next()?.parse().ok()
}

impl Node {
    /// The path (or bare name) used to start `node`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What `node --version` printed (`v20.x.y`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A `Command` that starts this `node`.
    pub fn command(&self) -> Command {
        Command::new(&self.path)
    }

    /// Runs `script` (JavaScript source) with `stdin` as its standard input and
    /// returns its standard output. Panics, showing stderr, if node fails.
    ///
    /// The script is written to a temporary folder of its own, removed again
    /// when node has finished (also when it failed).
    pub fn run_script(&self, script: &str, stdin: &[u8]) -> Vec<u8> {
        let dir = TempDir::new("rt-node");
        let file = dir.path().join(format!("script-{:x}.js", hash(script)));
        std::fs::write(&file, script).expect("write node script");
        self.run_file(&file, &[], stdin)
    }

    /// Runs `runner`, JavaScript whose last line is `runCases(run)`, with the
    /// kit's [`CASE_LOOP`] appended and `cases` (a JSON array) on stdin;
    /// returns its standard output: the JSON array of `run`'s answers, one
    /// per case. Panics, showing stderr, if node fails.
    pub fn run_cases(&self, runner: &str, cases: &[u8]) -> Vec<u8> {
        self.run_script(&format!("{runner}\n{CASE_LOOP}"), cases)
    }

    /// Runs the script at `file` with `args`, feeding `stdin`; returns stdout.
    /// Panics, showing stderr, if node exits unsuccessfully.
    pub fn run_file(&self, file: &Path, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let mut child = self
            .command()
            .arg(file)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn node");
        let mut input = child.stdin.take().expect("stdin");
        let data = stdin.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(&data);
        });
        let read_all = |mut r: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = r.read_to_end(&mut v);
                v
            })
        };
        let stdout = read_all(Box::new(child.stdout.take().expect("stdout")));
        let stderr = read_all(Box::new(child.stderr.take().expect("stderr")));
        // Bounded: a node script that never ends fails the test, saying so.
        let limit = script_timeout();
        let start = std::time::Instant::now();
        let status = loop {
            match child.try_wait().expect("wait for node") {
                Some(status) => break status,
                None if start.elapsed() >= limit => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "node {} did not finish within {}s (RT_NODE_SCRIPT_TIMEOUT to change)",
                        file.display(),
                        limit.as_secs()
                    );
                }
                None => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        };
        let _ = writer.join();
        let out = stdout.join().unwrap_or_default();
        let err = stderr.join().unwrap_or_default();
        if !status.success() {
            panic!(
                "node {} failed ({}):\n{}",
                file.display(),
                status,
                String::from_utf8_lossy(&err)
            );
        }
        out
    }
}

/// How long a node script may run: `RT_NODE_SCRIPT_TIMEOUT` seconds
/// (default 300; the slowest differential suites take a few seconds).
fn script_timeout() -> std::time::Duration {
    let secs = std::env::var("RT_NODE_SCRIPT_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300u64);
    std::time::Duration::from_secs(secs)
}

fn hash(s: &str) -> u64 {
    // FNV-1a: stable names for script files, no dependency.
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::{node_or_skip, parse_major};

    /// The shared case loop answers each case, in order, after awaiting it.
    #[test]
    fn run_cases_answers_every_case_in_order() {
        let Some(node) = node_or_skip("run_cases_answers_every_case_in_order") else {
            return;
        };
        let runner =
            "runCases(async (c) => { await new Promise((r) => setImmediate(r)); return [c, c * 2]; });";
        let out = node.run_cases(runner, b"[1, 2, 3]");
        assert_eq!(String::from_utf8_lossy(&out), "[[1,2],[2,4],[3,6]]");
    }

    #[test]
    fn major_versions() {
        assert_eq!(parse_major("v20.20.2"), Some(20));
        assert_eq!(parse_major("v18.19.0"), Some(18));
        assert_eq!(parse_major("20.1.0"), None);
        assert_eq!(parse_major(""), None);
    }
}

//! Running `node` from tests: the oracle for differential and interop tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The environment variable that turns a missing `node` from a skip into a failure.
pub const REQUIRE_NODE: &str = "RT_REQUIRE_NODE";

/// A `node` executable found on this machine.
#[derive(Debug, Clone)]
pub struct Node {
    path: PathBuf,
}

/// Finds `node` for the test named `test`.
///
/// Returns `None` after printing a notice when `node` is missing, unless
/// `RT_REQUIRE_NODE=1`, in which case it panics (the test fails).
pub fn node_or_skip(test: &str) -> Option<Node> {
    match find() {
        Some(node) => Some(node),
        None => {
            if std::env::var(REQUIRE_NODE).as_deref() == Ok("1") {
                panic!("{test}: `node` is required (RT_REQUIRE_NODE=1) but was not found on PATH");
            }
            eprintln!(
                "NOTICE: {test} skipped: `node` not found on PATH (set RT_REQUIRE_NODE=1 to fail instead)"
            );
            None
        }
    }
}

fn find() -> Option<Node> {
    let candidate = std::env::var_os("RT_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| "node".into());
    let ok = Command::new(&candidate)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    ok.then_some(Node { path: candidate })
}

impl Node {
    /// The path (or bare name) used to start `node`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A `Command` that starts this `node`.
    pub fn command(&self) -> Command {
        Command::new(&self.path)
    }

    /// Runs `script` (JavaScript source) with `stdin` as its standard input and
    /// returns its standard output. Panics, showing stderr, if node fails.
    pub fn run_script(&self, script: &str, stdin: &[u8]) -> Vec<u8> {
        let dir = std::env::temp_dir().join(format!("rt-node-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let file = dir.join(format!("script-{:x}.js", hash(script)));
        std::fs::write(&file, script).expect("write node script");
        self.run_file(&file, &[], stdin)
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
        let out = child.wait_with_output().expect("wait for node");
        let _ = writer.join();
        if !out.status.success() {
            panic!(
                "node {} failed ({}):\n{}",
                file.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out.stdout
    }
}

fn hash(s: &str) -> u64 {
    // FNV-1a: stable names for script files, no dependency.
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

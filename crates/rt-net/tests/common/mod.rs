//! Helpers for tests that run Node next to rt (kept here: the shared test
//! kit has no "long-running node process" helper yet).

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use rt_tests::node::Node;

/// A Node process running `script` that prints lines on stdout; the first
/// line is read as a port. Dropping it closes its stdin and waits for it.
pub struct NodeProcess {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub lines: std::io::Lines<BufReader<ChildStdout>>,
}

impl NodeProcess {
    pub fn start(node: &Node, script: &str, args: &[&str]) -> NodeProcess {
        let dir = std::env::temp_dir().join(format!("rt-net-node-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("s{}.js", fnv(script)));
        std::fs::write(&file, script).unwrap();
        let mut child = node
            .command()
            .arg(&file)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn node");
        let stdin = child.stdin.take();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        NodeProcess { child, stdin, lines }
    }

    /// The next stdout line (panics if node exited).
    pub fn line(&mut self) -> String {
        self.lines
            .next()
            .expect("node exited early")
            .expect("read node stdout")
    }

    pub fn send(&mut self, text: &str) {
        let s = self.stdin.as_mut().unwrap();
        s.write_all(text.as_bytes()).unwrap();
        s.flush().unwrap();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The soft limit on open files of this process, from /proc.
pub fn open_files_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

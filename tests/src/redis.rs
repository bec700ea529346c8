//! A real `redis-server` for a test: started on a free loopback port with its own data
//! directory in a temp dir (no persistence), stopped and removed when dropped.
//!
//! [`redis_or_skip`] skips with a visible notice when `redis-server` is missing (or
//! `RT_REDIS_SERVER` does not name one) and fails instead under `RT_REQUIRE_SERVICES=1`,
//! which `.ci/run` sets after installing Debian's `redis-server`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::temp::TempDir;

/// The requirement variable that turns a missing service into a failure.
pub const REQUIRE_SERVICES: &str = "RT_REQUIRE_SERVICES";

/// A running `redis-server` owned by the test; killed and its directory removed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl RedisServer {
    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RT_REDIS_SERVER") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("redis-server"))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Whether a server on `port` answers `PING` with `+PONG`.
fn pong(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// Starts a `redis-server` for `test`, or skips (see the module docs). Panics when the
/// binary exists but no server answers within 10 s (three tries on fresh ports).
#[track_caller]
pub fn redis_or_skip(test: &str) -> Option<RedisServer> {
    let Some(bin) = binary() else {
        crate::skip::skip_unless_required(
            REQUIRE_SERVICES,
            test,
            "redis-server not found on PATH (or RT_REDIS_SERVER)",
        );
        return None;
    };
    let mut last = String::new();
    for _ in 0..3 {
        last.clear();
        let dir = TempDir::new("rt-redis");
        let port = free_port();
        let mut child = Command::new(&bin)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir.path())
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{test}: cannot start {}: {e}", bin.display()));
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if pong(port) {
                return Some(RedisServer {
                    child,
                    port,
                    _dir: dir,
                });
            }
            if let Ok(Some(status)) = child.try_wait() {
                last = format!("redis-server exited with {status} (port {port} taken?)");
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if last.is_empty() {
            last = format!("redis-server on port {port} did not answer PING within 10 s");
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("{test}: {last}");
}

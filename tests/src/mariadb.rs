//! A real MariaDB server for a test: Debian's `mariadbd`, started on a free
//! loopback port with its own data folder in a temp dir, stopped (and the
//! folder removed) when the handle drops.
//!
//! The data folder is made by `mariadb-install-db`; the server runs with
//! `--skip-grant-tables` (any user and password are accepted: the test owns
//! the server) and `--user=root` only when the test runs as root (mariadbd
//! refuses root otherwise). `MariaDb::start_or_skip` returns `None` with a
//! visible skip when the binaries are missing, and fails instead under
//! `RT_REQUIRE_SERVICES=1` (which `.ci/run` sets after installing
//! `mariadb-server`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::temp::TempDir;

/// The server program names looked up on `PATH` and in `/usr/sbin`, `/usr/bin`.
pub const SERVER: [&str; 2] = ["mariadbd", "mysqld"];
/// The data-folder initialiser.
pub const INSTALL_DB: [&str; 2] = ["mariadb-install-db", "mysql_install_db"];

/// A running MariaDB server owned by a test.
#[derive(Debug)]
pub struct MariaDb {
    child: Child,
    port: u16,
    dir: TempDir,
}

/// Finds a program by name on `PATH` or in the sbin folders (not always on
/// a non-root `PATH`).
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(
        [
            "/usr/sbin",
            "/usr/bin",
            "/sbin",
            "/usr/local/sbin",
            "/usr/local/bin",
        ]
        .map(PathBuf::from),
    );
    for name in names {
        for d in &dirs {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A TCP port free on 127.0.0.1 at the time of the call.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl MariaDb {
    /// Starts a server, or skips `test` (visibly; a failure under
    /// `RT_REQUIRE_SERVICES`) when the binaries are not installed. Panics
    /// when they are installed but the server does not come up in 60 s.
    pub fn start_or_skip(test: &str) -> Option<MariaDb> {
        let (Some(server), Some(install)) = (find_program(&SERVER), find_program(&INSTALL_DB)) else {
            crate::skip::skip_unless_required(
                "RT_REQUIRE_SERVICES",
                test,
                "mariadbd / mariadb-install-db not installed (apt-get install mariadb-server)",
            );
            return None;
        };
        Some(MariaDb::start(&server, &install))
    }

    /// Starts `server` with a data folder made by `install`.
    pub fn start(server: &Path, install: &Path) -> MariaDb {
        let dir = TempDir::new("rt-mariadb");
        let data = dir.path().join("data");
        let root = running_as_root();
        let mut init = Command::new(install);
        init.arg(format!("--datadir={}", data.display()))
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db")
            .stdin(Stdio::null());
        if root {
            init.arg("--user=root");
        }
        let out = init
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", install.display()));
        assert!(
            out.status.success(),
            "{} failed: {}{}",
            install.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let log = dir.path().join("error.log");
        let mut cmd = Command::new(server);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", dir.path().join("sock").display()))
            .arg(format!("--pid-file={}", dir.path().join("pid").display()))
            .arg(format!("--log-error={}", log.display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg("--skip-grant-tables")
            .arg("--skip-log-bin")
            .arg("--innodb-buffer-pool-size=16M")
            .arg("--max-connections=200")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if root {
            cmd.arg("--user=root");
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", server.display()));
        let mut db = MariaDb { child, port, dir };
        db.wait_ready(&log);
        db
    }

    fn wait_ready(&mut self, log: &Path) {
        let start = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "mariadbd exited ({status}) before listening: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            if start.elapsed() > Duration::from_secs(60) {
                panic!(
                    "mariadbd did not listen on port {} within 60 s: {}",
                    self.port,
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `mysql://` URL for `database` (any user is accepted).
    pub fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }

    /// Its data folder (the server's error log is `error.log` beside it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! A server under load in a process of its own: started (optionally pinned
//! to one core with `taskset`), its port read from the first line it
//! prints, stopped when dropped.
//!
//! The server side prints its port on stdout, then serves until its stdin
//! closes (the bench's Rust servers and their Node twins alike); dropping a
//! [`ServerProcess`] closes stdin, then kills and reaps the process.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use super::procstat;

/// Cores for a server and its load generator: `Some((server, load))` when the
/// machine has two cores or more (each pinned to its own), `None` otherwise.
pub fn pinned_cores() -> Option<(usize, usize)> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores >= 2).then_some((0, 1))
}

/// A command that runs `program` pinned to `core` (`taskset -c core program`),
/// or as it is (through `env`, so the child is the program itself either way).
pub fn command_on(core: Option<usize>, program: impl AsRef<OsStr>) -> Command {
    let mut cmd = match core {
        Some(core) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &core.to_string()]);
            c
        }
        None => Command::new("env"),
    };
    cmd.arg(program);
    cmd
}

/// A running server process; see the module docs.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    port: u16,
}

impl ServerProcess {
    /// Starts `program args...` on `core` (see [`command_on`]) and reads its
    /// port. `who` names the server in errors.
    pub fn start<S: AsRef<OsStr>>(
        who: &str,
        program: impl AsRef<OsStr>,
        args: &[S],
        core: Option<usize>,
    ) -> Result<ServerProcess, String> {
        let mut child = command_on(core, program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting the {who} server: {e}"))?;
        let mut line = String::new();
        let out = child.stdout.take().ok_or("no stdout")?;
        let read = BufReader::new(out).read_line(&mut line);
        let port = match read {
            Ok(_) => line.trim().parse().ok(),
            Err(_) => None,
        };
        let mut server = ServerProcess { child, port: 0 };
        match port {
            Some(port) => {
                server.port = port;
                Ok(server)
            }
            // Dropping `server` stops the process.
            None => Err(format!("the {who} server printed {line:?}, not a port")),
        }
    }

    /// The port the server printed.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// utime + stime of the server so far, in seconds.
    pub fn cpu_secs(&self) -> f64 {
        procstat::cpu_secs(self.pid())
    }

    /// The server's resident set now, in bytes.
    pub fn rss_bytes(&self) -> f64 {
        procstat::rss_bytes(self.pid())
    }

    /// The server's peak resident set so far, in bytes.
    pub fn peak_rss_bytes(&self) -> f64 {
        procstat::peak_rss_bytes(self.pid())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `cluster.settings` / `setupPrimary(settings)` and the scheduling policy.

use std::path::PathBuf;

/// How connections reach workers (Node: `cluster.schedulingPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedulingPolicy {
    /// The primary listens, accepts, and hands each connection to the next
    /// free worker (Node: `cluster.SCHED_RR`, the default on Linux).
    #[doc(alias = "SCHED_RR")]
    RoundRobin,
    /// Each worker gets the primary's bound socket, listens and accepts
    /// itself; the kernel spreads connections (Node: `cluster.SCHED_NONE`).
    #[doc(alias = "SCHED_NONE")]
    None,
}

impl SchedulingPolicy {
    /// Node's default: `NODE_CLUSTER_SCHED_POLICY` (`rr` or `none`), else
    /// round-robin.
    pub fn from_env() -> SchedulingPolicy {
        match std::env::var("NODE_CLUSTER_SCHED_POLICY").as_deref() {
            Ok("none") => SchedulingPolicy::None,
            _ => SchedulingPolicy::RoundRobin,
        }
    }
}

/// The settings workers are forked with (Node: `cluster.settings`, set by
/// `cluster.setupPrimary(settings)`).
///
/// Node runs `execPath [...execArgv] exec [...args]`; rt runs the program
/// `exec` itself with `args` when `exec_path` is `None` (an rt worker is a
/// program, not a script), or `exec_path [...exec_argv] exec [...args]`
/// when it is set (`exec_path("node")`, `exec("worker.js")` runs a Node
/// worker).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Settings {
    /// The worker program, or the script `exec_path` runs (Node: `exec`;
    /// default: this program, `std::env::current_exe()`).
    pub exec: Option<String>,
    /// The interpreter that runs `exec` (Node: `process.execPath`; default
    /// none: `exec` runs directly).
    pub exec_path: Option<String>,
    /// Arguments after `exec` (Node: `args`; default: this process's
    /// arguments).
    pub args: Option<Vec<String>>,
    /// Arguments before `exec` when `exec_path` is set (Node: `execArgv`).
    pub exec_argv: Vec<String>,
    /// Workers' stdin, stdout and stderr are pipes instead of this
    /// process's (Node: `silent`).
    pub silent: bool,
    /// Working directory (Node: `cwd`).
    pub cwd: Option<PathBuf>,
}

rt_stream::option_setters!(Settings {
    /// Sets `exec` (Node: `exec`).
    exec: Some into (String),
    /// Sets `exec_path` (Node: `process.execPath` for the forks).
    #[doc(alias = "execPath")]
    exec_path: Some into (String),
    /// Sets `args` (Node: `args`).
    args: Some (Vec<String>),
    /// Sets `exec_argv` (Node: `execArgv`).
    #[doc(alias = "execArgv")]
    exec_argv: (Vec<String>),
    /// Sets `silent` (Node: `silent`).
    silent: (bool),
    /// Sets `cwd` (Node: `cwd`).
    cwd: Some into (PathBuf),
});

impl Settings {
    /// The defaults: this program, with this process's arguments.
    pub fn new() -> Settings {
        Settings::default()
    }

    /// The program and arguments a fork runs.
    pub(crate) fn command(&self) -> (String, Vec<String>) {
        let exec = self.exec.clone().unwrap_or_else(|| {
            std::env::current_exe()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let args = self
            .args
            .clone()
            .unwrap_or_else(|| std::env::args().skip(1).collect());
        match &self.exec_path {
            Some(interpreter) => {
                let mut argv = self.exec_argv.clone();
                argv.push(exec);
                argv.extend(args);
                (interpreter.clone(), argv)
            }
            None => (exec, args),
        }
    }
}

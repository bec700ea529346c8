//! `cluster.settings` / `setupPrimary(settings)` and the scheduling policy.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rt_child_process::Stdio;
use rt_stream::{Code, Error};

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
    /// The workers' stdio, one entry per fd; must hold
    /// [`WorkerStdio::Ipc`]. Overrides `silent` (Node: `stdio`).
    pub stdio: Option<Vec<WorkerStdio>>,
    /// The workers' user id (Node: `uid`).
    pub uid: Option<u32>,
    /// The workers' group id (Node: `gid`).
    pub gid: Option<u32>,
    /// The inspector port of a worker run by `exec_path` when `exec_argv`
    /// (or this process's `NODE_OPTIONS`) turns the inspector on: passed
    /// as `--inspect-port=<port>` (Node: `inspectPort`; default: 9229 plus
    /// 1, 2, ... one more per such fork in this process, as Node's primary
    /// counts from its own `process.debugPort`).
    pub inspect_port: Option<u16>,
}

/// One of a worker's stdio entries (Node: an item of `settings.stdio`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum WorkerStdio {
    /// A pipe, the parent's end in `worker.process().stdio()` (Node: `'pipe'`).
    Pipe,
    /// This process's fd of the same number (Node: `'inherit'`).
    Inherit,
    /// `/dev/null` (Node: `'ignore'`).
    Ignore,
    /// The cluster channel (Node: `'ipc'`): required, once.
    Ipc,
    /// A copy of this fd (Node: an integer fd).
    Fd(Arc<OwnedFd>),
}

impl WorkerStdio {
    fn to_stdio(&self) -> Result<Stdio, Error> {
        Ok(match self {
            WorkerStdio::Pipe => Stdio::Pipe,
            WorkerStdio::Inherit => Stdio::Inherit,
            WorkerStdio::Ignore => Stdio::Ignore,
            WorkerStdio::Ipc => Stdio::Ipc,
            WorkerStdio::Fd(fd) => Stdio::Fd(fd.try_clone().map_err(|e| Error::syscall_failed(&e, "dup"))?),
        })
    }
}

/// Node's `debugPortOffset` (`internal/util/inspector.js`): one more for
/// each fork that gets a default inspector port.
static DEBUG_PORT_OFFSET: AtomicU32 = AtomicU32::new(1);

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
    /// Sets `stdio` (Node: `stdio`).
    stdio: Some (Vec<WorkerStdio>),
    /// Sets `uid` (Node: `uid`).
    uid: Some (u32),
    /// Sets `gid` (Node: `gid`).
    gid: Some (u32),
    /// Sets `inspect_port` (Node: `inspectPort`).
    #[doc(alias = "inspectPort")]
    inspect_port: Some (u16),
});

impl Settings {
    /// The defaults: this program, with this process's arguments.
    pub fn new() -> Settings {
        Settings::default()
    }

    /// The stdio of a fork: `stdio`, or by `silent` (Node's `fork()`);
    /// `ERR_CHILD_PROCESS_IPC_REQUIRED` without an `Ipc` entry.
    pub(crate) fn spawn_stdio(&self) -> Result<Vec<Stdio>, Error> {
        match &self.stdio {
            Some(entries) => {
                if !entries.iter().any(|e| matches!(e, WorkerStdio::Ipc)) {
                    return Err(Error::new(
                        Code::ERR_CHILD_PROCESS_IPC_REQUIRED,
                        "Forked processes must have an IPC channel, missing value 'ipc' in options.stdio",
                    ));
                }
                entries.iter().map(WorkerStdio::to_stdio).collect()
            }
            None if self.silent => Ok(vec![Stdio::Pipe, Stdio::Pipe, Stdio::Pipe, Stdio::Ipc]),
            None => Ok(vec![Stdio::Inherit, Stdio::Inherit, Stdio::Inherit, Stdio::Ipc]),
        }
    }

    /// Node's `isUsingInspector(execArgv)`: an `--inspect`,
    /// `--inspect-brk` or `--inspect-wait` flag in `exec_argv` or in
    /// `NODE_OPTIONS`.
    fn uses_inspector(&self) -> bool {
        fn flag(arg: &str) -> bool {
            ["--inspect", "--inspect-brk", "--inspect-wait"].iter().any(|f| {
                arg.strip_prefix(f)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
            })
        }
        self.exec_argv.iter().any(|a| flag(a))
            || std::env::var("NODE_OPTIONS").is_ok_and(|o| o.split_whitespace().any(flag))
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
                if self.uses_inspector() {
                    // Node's getInspectPort(): the setting, or the next
                    // port after the primary's (9229 for an rt primary),
                    // wrapping past 65535 to 1024.
                    let port = self.inspect_port.map(u32::from).unwrap_or_else(|| {
                        let p = 9229 + DEBUG_PORT_OFFSET.fetch_add(1, Ordering::Relaxed);
                        if p > 65535 { p - 65535 + 1024 - 1 } else { p }
                    });
                    argv.push(format!("--inspect-port={port}"));
                }
                argv.push(exec);
                argv.extend(args);
                (interpreter.clone(), argv)
            }
            None => (exec, args),
        }
    }
}

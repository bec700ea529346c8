//! The options of `spawn` (Node: `child_process.spawn(command, args, options)`).

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::Duration;

use crate::abort::AbortSignal;
use crate::signals::Signal;

/// What one of the child's fds is connected to (Node: an entry of `stdio`).
#[doc(alias = "stdio")]
#[derive(Debug)]
#[non_exhaustive]
pub enum Stdio {
    /// A new pipe; the parent's end is an rt-net `Socket` (an rt-stream
    /// duplex on the fd pump) in `child.stdio()[i]` (Node: `'pipe'`).
    /// Fds 0-2 get a one-way pipe, fds above 2 a socketpair, which the
    /// child and the parent both read and write (Node's `stdio[3]`).
    Pipe,
    /// The parent's own fd of the same number (Node: `'inherit'`, or `0`,
    /// `1`, `2`). Only for fds 0, 1 and 2.
    Inherit,
    /// `/dev/null` for fds 0-2, nothing for the others (Node: `'ignore'`).
    Ignore,
    /// This open fd (Node: an integer fd, or a stream's fd).
    Fd(OwnedFd),
    /// The IPC channel (Node: `'ipc'`): at most one per child.
    Ipc,
    /// This socket's fd (Node: a `net.Socket` in `stdio`): the child reads
    /// or writes the connection itself. This process stops reading it
    /// (Node's `readStop()`: what arrives from then on is the child's; what
    /// was already read stays readable here), and the child's `stdio()[i]`
    /// entry is `None`, as in Node. For fds 0-2 the connection is made
    /// blocking, as libuv makes it for Node (the mode is the connection's,
    /// so this process's socket is blocking too: leave it to the child).
    Socket(rt_net::Socket),
}

/// How the command is run through a shell (Node: `shell`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Shell {
    /// No shell: the file is executed directly (Node: `shell: false`, the default).
    #[default]
    None,
    /// `/bin/sh -c "<command> <args...>"` (Node: `shell: true`).
    Default,
    /// This shell, with `-c` (Node: `shell: '/bin/bash'`).
    Path(String),
}

/// Options of [`spawn`](crate::spawn), Node's names in snake case.
///
/// ```
/// use rt_child_process::{SpawnOptions, Stdio};
/// let o = SpawnOptions::new().cwd("/tmp").env_set("LANG", "C").stdio([Stdio::Pipe, Stdio::Inherit, Stdio::Inherit]);
/// assert_eq!(o.stdio.len(), 3);
/// ```
#[derive(Debug, Default)]
pub struct SpawnOptions {
    /// Working directory of the child (Node: `cwd`).
    pub cwd: Option<PathBuf>,
    /// The child's whole environment (Node: `env`); `None`: this process's.
    pub env: Option<Vec<(String, String)>>,
    /// Variables set on top of `env` (or of this process's environment).
    pub env_extra: Vec<(String, String)>,
    /// `argv[0]` of the child (Node: `argv0`); default the command.
    pub argv0: Option<String>,
    /// One entry per child fd from 0 (Node: `stdio`); missing entries of
    /// 0-2 are [`Stdio::Pipe`].
    pub stdio: Vec<Stdio>,
    /// The child leads a new session and process group (Node: `detached`;
    /// `setsid()`, as libuv does).
    pub detached: bool,
    /// User id of the child (Node: `uid`). A parent that may not switch
    /// gets `Err` with `EPERM` (Node throws `spawn EPERM`).
    pub uid: Option<u32>,
    /// Group id of the child (Node: `gid`). With either id set the child
    /// has no supplementary groups, as libuv sets them.
    pub gid: Option<u32>,
    /// Run through a shell (Node: `shell`).
    pub shell: Shell,
    /// The signal `timeout` sends (Node: `killSignal`, default `SIGTERM`).
    pub kill_signal: Signal,
    /// Kill the child with `kill_signal` after this long (Node: `timeout`).
    pub timeout: Option<Duration>,
    /// Abort handle (Node: `signal`): when its controller aborts, the
    /// child is killed with `kill_signal` and emits `'error'` with an
    /// `AbortError` (code `ABORT_ERR`).
    pub signal: Option<AbortSignal>,
}

impl SpawnOptions {
    /// The defaults: pipes for stdin, stdout and stderr, no shell.
    pub fn new() -> SpawnOptions {
        SpawnOptions::default()
    }

    /// Sets `cwd`.
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> SpawnOptions {
        self.cwd = Some(cwd.into());
        self
    }

    /// Replaces the environment (Node: `env`).
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> SpawnOptions {
        self.env = Some(env.into_iter().map(|(k, v)| (k.into(), v.into())).collect());
        self
    }

    /// Sets one variable on top of the environment.
    pub fn env_set(mut self, key: impl Into<String>, value: impl Into<String>) -> SpawnOptions {
        self.env_extra.push((key.into(), value.into()));
        self
    }

    /// Sets `argv0`.
    pub fn argv0(mut self, argv0: impl Into<String>) -> SpawnOptions {
        self.argv0 = Some(argv0.into());
        self
    }

    /// Sets `stdio`.
    pub fn stdio(mut self, stdio: impl IntoIterator<Item = Stdio>) -> SpawnOptions {
        self.stdio = stdio.into_iter().collect();
        self
    }

    /// Sets `detached` (a new session: `setsid()`).
    pub fn detached(mut self, detached: bool) -> SpawnOptions {
        self.detached = detached;
        self
    }

    /// Sets `uid`: the child runs as this user (this process must be
    /// allowed to switch: else spawn fails with `EPERM`, as in Node).
    pub fn uid(mut self, uid: u32) -> SpawnOptions {
        self.uid = Some(uid);
        self
    }

    /// Sets `gid`: the child runs with this group and no supplementary
    /// groups (as libuv sets them for Node).
    pub fn gid(mut self, gid: u32) -> SpawnOptions {
        self.gid = Some(gid);
        self
    }

    /// Sets `shell`.
    pub fn shell(mut self, shell: Shell) -> SpawnOptions {
        self.shell = shell;
        self
    }

    /// Sets `killSignal`.
    pub fn kill_signal(mut self, signal: Signal) -> SpawnOptions {
        self.kill_signal = signal;
        self
    }

    /// Sets `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> SpawnOptions {
        self.timeout = Some(timeout);
        self
    }

    /// Sets `signal`, the abort handle.
    #[doc(alias = "AbortSignal")]
    pub fn signal(mut self, signal: AbortSignal) -> SpawnOptions {
        self.signal = Some(signal);
        self
    }
}

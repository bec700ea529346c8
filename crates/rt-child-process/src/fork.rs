//! `fork`: a program started with an IPC channel on its `'ipc'` fd (3 by
//! default) and `NODE_CHANNEL_FD` / `NODE_CHANNEL_SERIALIZATION_MODE` set
//! as Node sets them.

use std::path::PathBuf;

use rt_stream::{Code, Error};

use crate::child::ChildProcess;
use crate::options::{SpawnOptions, Stdio};
use crate::signals::Signal;

/// Options of [`fork`] (Node's names in snake case).
#[derive(Debug, Default)]
pub struct ForkOptions {
    /// The program that runs `module` (Node: `execPath`); default `node`,
    /// so `fork("child.js", ..)` runs `node child.js`. An rt program (or
    /// anything speaking the protocol) works as well.
    pub exec_path: Option<String>,
    /// Arguments before the module (Node: `execArgv`).
    pub exec_argv: Vec<String>,
    /// Pipes for stdin, stdout and stderr instead of this process's
    /// (Node: `silent`).
    pub silent: bool,
    /// All of the child's fds; must contain [`Stdio::Ipc`] (Node: `stdio`).
    pub stdio: Option<Vec<Stdio>>,
    /// Working directory (Node: `cwd`).
    pub cwd: Option<PathBuf>,
    /// The child's whole environment (Node: `env`).
    pub env: Option<Vec<(String, String)>>,
    /// Variables set on top of the environment.
    pub env_extra: Vec<(String, String)>,
    /// `argv[0]` (Node: `argv0`).
    pub argv0: Option<String>,
    /// New process group (Node: `detached`).
    pub detached: bool,
    /// The signal `timeout` sends (Node: `killSignal`).
    pub kill_signal: Signal,
    /// Kill the child after this long (Node: `timeout`).
    pub timeout: Option<std::time::Duration>,
    /// Abort handle (Node: `signal`), as [`SpawnOptions::signal`].
    pub signal: Option<crate::AbortSignal>,
}

impl ForkOptions {
    /// The defaults: `node`, this process's stdio, the channel on fd 3.
    pub fn new() -> ForkOptions {
        ForkOptions::default()
    }

    /// Sets `execPath`.
    pub fn exec_path(mut self, path: impl Into<String>) -> ForkOptions {
        self.exec_path = Some(path.into());
        self
    }

    /// Sets `silent`.
    pub fn silent(mut self, silent: bool) -> ForkOptions {
        self.silent = silent;
        self
    }

    /// Sets `signal`, the abort handle.
    pub fn signal(mut self, signal: crate::AbortSignal) -> ForkOptions {
        self.signal = Some(signal);
        self
    }

    /// Sets one environment variable on top of the environment.
    pub fn env_set(mut self, key: impl Into<String>, value: impl Into<String>) -> ForkOptions {
        self.env_extra.push((key.into(), value.into()));
        self
    }
}

/// Starts `exec_path [...exec_argv] module [...args]` with an IPC channel
/// (Node: `child_process.fork(modulePath, args, options)`): the returned
/// child sends and receives messages ([`ChildProcess::send`],
/// [`events::MESSAGE`](crate::events::MESSAGE), [`ChildProcess::recv`]).
///
/// ```no_run
/// use rt_child_process::{fork, ForkOptions};
/// # async fn demo() -> Result<(), rt_child_process::Error> {
/// let n = fork("./sub.js", Vec::<String>::new(), ForkOptions::new())?;
/// n.send(&serde_json::json!({"hello": "world"}))?;
/// println!("PARENT got message: {:?}", n.recv().await);
/// # Ok(()) }
/// ```
#[doc(alias = "child_process.fork")]
pub fn fork<I, S>(module: &str, args: I, options: ForkOptions) -> Result<ChildProcess, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    fork_with(module, args, options, |_| {})
}

/// [`fork`] with `setup` run before any event can be emitted (see
/// [`spawn_with`](crate::spawn_with)).
pub fn fork_with<I, S>(
    module: &str,
    args: I,
    options: ForkOptions,
    setup: impl FnOnce(&ChildProcess),
) -> Result<ChildProcess, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    crate::spawn::validate_file(module).map_err(|_| {
        Error::new(
            Code::ERR_INVALID_ARG_VALUE,
            "The argument 'modulePath' cannot be empty. Received ''",
        )
    })?;
    let stdio = match options.stdio {
        Some(s) => {
            if !s.iter().any(|e| matches!(e, Stdio::Ipc)) {
                return Err(Error::new(
                    Code::ERR_CHILD_PROCESS_IPC_REQUIRED,
                    "Forked processes must have an IPC channel, missing value 'ipc' in options.stdio",
                ));
            }
            s
        }
        None if options.silent => vec![Stdio::Pipe, Stdio::Pipe, Stdio::Pipe, Stdio::Ipc],
        None => vec![Stdio::Inherit, Stdio::Inherit, Stdio::Inherit, Stdio::Ipc],
    };
    let exec_path = options.exec_path.unwrap_or_else(|| "node".to_string());
    let mut argv = options.exec_argv;
    argv.push(module.to_string());
    argv.extend(args.into_iter().map(Into::into));
    let spawn_options = SpawnOptions {
        cwd: options.cwd,
        env: options.env,
        env_extra: options.env_extra,
        argv0: options.argv0,
        stdio,
        detached: options.detached,
        kill_signal: options.kill_signal,
        timeout: options.timeout,
        signal: options.signal,
        ..SpawnOptions::default()
    };
    crate::spawn_with(&exec_path, argv, spawn_options, setup)
}

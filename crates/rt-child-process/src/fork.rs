//! `fork`: a program started with an IPC channel on its `'ipc'` fd (3 by
//! default) and `NODE_CHANNEL_FD` / `NODE_CHANNEL_SERIALIZATION_MODE` set
//! as Node sets them.

use rt_stream::{Code, Error};

use crate::child::ChildProcess;
use crate::options::{Shell, SpawnOptions, Stdio};

/// Options of [`fork`] (Node's names in snake case): fork's own three, and
/// everything [`spawn`](crate::spawn) takes in [`ForkOptions::spawn`].
///
/// ```
/// use rt_child_process::{ForkOptions, SpawnOptions, Stdio};
/// let o = ForkOptions::new()
///     .exec_path("/usr/bin/node")
///     .exec_argv(["--no-warnings"])
///     .spawn_options(SpawnOptions::new().cwd("/tmp").detached(true));
/// assert_eq!(o.exec_argv, ["--no-warnings"]);
/// assert!(o.spawn.detached);
/// ```
#[derive(Debug, Default)]
pub struct ForkOptions {
    /// The program that runs `module` (Node: `execPath`); default `node`,
    /// so `fork("child.js", ..)` runs `node child.js`. An rt program (or
    /// anything speaking the protocol) works as well.
    pub exec_path: Option<String>,
    /// Arguments before the module (Node: `execArgv`): the child runs
    /// `exec_path ...exec_argv module ...args`.
    pub exec_argv: Vec<String>,
    /// Pipes for stdin, stdout and stderr instead of this process's
    /// (Node: `silent`); ignored when `spawn.stdio` is given.
    pub silent: bool,
    /// Every option spawn takes (Node: fork's `options` are spawn's):
    /// `cwd`, `env`, `argv0`, `detached`, `uid`, `gid`, `killSignal`,
    /// `timeout`, `signal`, and `stdio`, which must then contain
    /// [`Stdio::Ipc`] (empty: this process's stdio, or pipes when
    /// `silent`, and the channel on fd 3). `shell` is ignored: fork never
    /// uses one, as in Node.
    pub spawn: SpawnOptions,
}

impl ForkOptions {
    /// The defaults: `node`, this process's stdio, the channel on fd 3.
    pub fn new() -> ForkOptions {
        ForkOptions::default()
    }

    /// Sets `execPath`.
    #[doc(alias = "execPath")]
    pub fn exec_path(mut self, path: impl Into<String>) -> ForkOptions {
        self.exec_path = Some(path.into());
        self
    }

    /// Sets `execArgv`.
    #[doc(alias = "execArgv")]
    pub fn exec_argv<S: Into<String>>(mut self, argv: impl IntoIterator<Item = S>) -> ForkOptions {
        self.exec_argv = argv.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `silent`.
    pub fn silent(mut self, silent: bool) -> ForkOptions {
        self.silent = silent;
        self
    }

    /// Sets spawn's options (`cwd`, `env`, `stdio`, `detached`, ...).
    pub fn spawn_options(mut self, options: SpawnOptions) -> ForkOptions {
        self.spawn = options;
        self
    }

    /// Sets `stdio` (see [`ForkOptions::spawn`]).
    pub fn stdio(mut self, stdio: impl IntoIterator<Item = Stdio>) -> ForkOptions {
        self.spawn = self.spawn.stdio(stdio);
        self
    }

    /// Sets `signal`, the abort handle.
    #[doc(alias = "AbortSignal")]
    pub fn signal(mut self, signal: crate::AbortSignal) -> ForkOptions {
        self.spawn = self.spawn.signal(signal);
        self
    }

    /// Sets one environment variable on top of the environment.
    pub fn env_set(mut self, key: impl Into<String>, value: impl Into<String>) -> ForkOptions {
        self.spawn = self.spawn.env_set(key, value);
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
    let ForkOptions {
        exec_path,
        exec_argv,
        silent,
        spawn: mut spawn_options,
    } = options;
    if spawn_options.stdio.is_empty() {
        spawn_options.stdio = match silent {
            true => vec![Stdio::Pipe, Stdio::Pipe, Stdio::Pipe, Stdio::Ipc],
            false => vec![Stdio::Inherit, Stdio::Inherit, Stdio::Inherit, Stdio::Ipc],
        };
    } else if !spawn_options.stdio.iter().any(|e| matches!(e, Stdio::Ipc)) {
        return Err(Error::new(
            Code::ERR_CHILD_PROCESS_IPC_REQUIRED,
            "Forked processes must have an IPC channel, missing value 'ipc' in options.stdio",
        ));
    }
    // Node: `{ ...options, shell: false }`.
    spawn_options.shell = Shell::None;
    let exec_path = exec_path.unwrap_or_else(|| "node".to_string());
    let mut argv = exec_argv;
    argv.push(module.to_string());
    argv.extend(args.into_iter().map(Into::into));
    crate::spawn_with(&exec_path, argv, spawn_options, setup)
}

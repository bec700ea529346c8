//! # rt-child-process — Node.js's `child_process` module, in Rust on tokio
//!
//! Start programs the way Node does, with Node's events, fields, errors and
//! limits: [`spawn`] with the child's stdio as rt streams, [`exec`] /
//! [`exec_file`] collecting output with `timeout`, `killSignal` and
//! `maxBuffer`, and an IPC channel in Node's own json framing ([`ipc`]).
//!
//! ## Node API -> rt
//!
//! | Node | rt |
//! |---|---|
//! | `child_process.spawn(command, args, options)` | [`spawn`] with [`SpawnOptions`] (`cwd`, `env`, `argv0`, `stdio`, `detached`, `uid`, `gid`, `shell`, `killSignal`, `timeout`) |
//! | `stdio: ['pipe', 'inherit', 'ignore', fd, 'ipc']` | [`Stdio::Pipe`], [`Stdio::Inherit`], [`Stdio::Ignore`], [`Stdio::Fd`], [`Stdio::Ipc`] |
//! | `subprocess.stdin` / `stdout` / `stderr` / `stdio` | [`ChildProcess::stdin`] ... : `rt_net::Socket`s over the pipes (rt-stream duplexes on rt-net's fd pump, with backpressure) |
//! | `subprocess.pid`, `exitCode`, `signalCode`, `killed`, `spawnfile`, `spawnargs`, `connected` | [`ChildProcess::pid`], [`exit_code`](ChildProcess::exit_code), [`signal_code`](ChildProcess::signal_code), [`killed`](ChildProcess::killed), [`spawnfile`](ChildProcess::spawnfile), [`spawnargs`](ChildProcess::spawnargs), [`connected`](ChildProcess::connected) |
//! | `subprocess.kill([signal])` | [`ChildProcess::kill`] ([`Signal`]), [`ChildProcess::kill_named`] (`"SIGKILL"`, `"9"`) |
//! | `'spawn'`, `'exit'(code, signal)`, `'close'(code, signal)`, `'error'` | [`events::SPAWN`], [`events::EXIT`], [`events::CLOSE`], [`events::ERROR`]; [`ChildProcess::wait`] (exit), [`ChildProcess::closed`] (close) |
//! | `child_process.exec(command, options, callback)` | `exec(command, options).await` -> `Result<`[`ExecOutput`]`, `[`ExecError`]`>` |
//! | `child_process.execFile(file, args, options, callback)` | [`exec_file`] |
//! | `err.code`, `err.signal`, `err.killed`, `err.cmd`, `err.stdout`, `err.stderr` | [`ExecError`]'s fields |
//! | `subprocess.send(message)`, `'message'`, `disconnect()`, `'disconnect'` | [`ChildProcess::send`], [`events::MESSAGE`] or [`ChildProcess::recv`], [`ChildProcess::disconnect`], [`events::DISCONNECT`] |
//! | `process.send`, `process.on('message')` in a forked child | [`ipc::from_env`] -> [`Channel`] |
//! | `err.code`, `errno`, `syscall`, `path`, `spawnargs` | [`Error`] (rt's one error type, from rt-stream) |
//!
//! ## Example: the notes' `spawn('ls', ['-lh', '/usr'])`
//!
//! ```js
//! const ls = spawn('ls', ['-lh', '/usr']);
//! ls.stdout.on('data', data => console.log(`stdout: ${data}`));
//! ls.on('close', code => console.log(`child process exited with code ${code}`));
//! ```
//!
//! ```
//! use rt_child_process::{spawn, events::CLOSE, Emitter, SpawnOptions};
//! use rt_stream::events::DATA;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let ls = spawn("ls", ["-lh", "/usr"], SpawnOptions::new())?;
//! ls.stdout().unwrap().on(&DATA, |data| print!("stdout: {}", String::from_utf8_lossy(data)));
//! ls.on(&CLOSE, |info| println!("child process exited with code {:?}", info.code));
//! assert_eq!(ls.closed().await?.code, Some(0));
//! # Ok::<(), rt_child_process::Error>(())
//! # }).unwrap();
//! ```
//!
//! ## Example: `exec('node worker.js', (err, stdout, stderr) => ...)`
//!
//! ```
//! use rt_child_process::{exec, ExecOptions};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! match exec("echo hi", ExecOptions::new()).await {
//!     Ok(out) => assert_eq!(out.stdout.to_text(), "hi\n"),
//!     Err(err) => panic!("{err}: code {:?}, stderr {}", err.code, err.stderr),
//! }
//! # });
//! ```
//!
//! ## How it works
//!
//! - **fork+exec, never a forked runtime.** Children start through the
//!   standard library's `Command` (posix_spawn or fork+exec); fds above 2
//!   (the IPC channel, extra stdio) are placed by the `command-fds` crate.
//!   The crate has no `unsafe` of its own.
//! - **One task per child** owns the OS process, reaps it (also when every
//!   handle was dropped: no zombies) and emits its events in Node's order:
//!   `spawn` on the next turn, `exit` when reaped, `close` once stdout,
//!   stderr and the channel closed too. Like Node's `flushStdio`, output
//!   nobody reads is drained at exit so that `close` comes: read it before
//!   awaiting `wait()`.
//! - **Stdio on the fd pump.** The parent's ends are pipes adopted by
//!   `rt_net::transport::Io` and wrapped as `rt_net::Socket`s: real rt
//!   streams with Node's backpressure (a child writing faster than the
//!   parent reads blocks on its pipe). Node uses socketpairs here; a child
//!   sees a FIFO instead, as from a shell.
//!
//! ## Differences from Node
//!
//! - Events are emitted from the child's task, which may run on another
//!   thread at once: listeners added right after `spawn` see every event in
//!   practice, [`spawn_with`] guarantees it (its setup runs before any event
//!   can fire), and [`ChildProcess::wait`] / [`ChildProcess::closed`] never miss.
//! - At exit Node resumes every unread output stream; rt drains only those
//!   the program never took (a taken stream may be pulled with `read()`,
//!   which resuming would starve).
//! - `exec`'s `maxBuffer` counts bytes before decoding (Node counts the
//!   decoded chunk's byte length: the same for whole characters).
#![forbid(unsafe_code)]

mod child;
pub mod events;
mod exec;
pub mod ipc;
mod options;
mod signals;
mod spawn;
mod stdio;

pub use child::ChildProcess;
pub use events::ExitInfo;
pub use exec::{ExecCode, ExecError, ExecOptions, ExecOutput, MAX_BUFFER, Output, exec, exec_file};
pub use ipc::Channel;
pub use options::{Shell, SpawnOptions, Stdio};
pub use rt_events::Emitter;
pub use rt_stream::{Code, Error};
pub use signals::Signal;
pub use spawn::{spawn, spawn_with};

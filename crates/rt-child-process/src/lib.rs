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
//! | `stdio: ['pipe', 'inherit', 'ignore', fd, 'ipc', socket]` | [`Stdio::Pipe`], [`Stdio::Inherit`], [`Stdio::Ignore`], [`Stdio::Fd`], [`Stdio::Ipc`], [`Stdio::Socket`] |
//! | `signal` (an `AbortSignal`) | [`SpawnOptions::signal`] with an [`AbortController`]'s [`AbortSignal`] |
//! | `subprocess.stdin` / `stdout` / `stderr` / `stdio` | [`ChildProcess::stdin`] ... : `rt_net::Socket`s over the pipes (rt-stream duplexes on rt-net's fd pump, with backpressure) |
//! | `subprocess.pid`, `exitCode`, `signalCode`, `killed`, `spawnfile`, `spawnargs`, `connected` | [`ChildProcess::pid`], [`exit_code`](ChildProcess::exit_code), [`signal_code`](ChildProcess::signal_code), [`killed`](ChildProcess::killed), [`spawnfile`](ChildProcess::spawnfile), [`spawnargs`](ChildProcess::spawnargs), [`connected`](ChildProcess::connected) |
//! | `subprocess.kill([signal])` | [`ChildProcess::kill`] ([`Signal`]), [`ChildProcess::kill_named`] (`"SIGKILL"`, `"9"`) |
//! | `'spawn'`, `'exit'(code, signal)`, `'close'(code, signal)`, `'error'` | [`events::SPAWN`], [`events::EXIT`], [`events::CLOSE`], [`events::ERROR`]; [`ChildProcess::wait`] (exit), [`ChildProcess::closed`] (close) |
//! | `child_process.exec(command, options, callback)` | `exec(command, options).await` -> `Result<`[`ExecOutput`]`, `[`ExecError`]`>` |
//! | `child_process.execFile(file, args, options, callback)` | [`exec_file`] |
//! | `child_process.fork(modulePath, args, options)` (`execPath`, `execArgv`, `silent`, and spawn's options) | [`fork`] with [`ForkOptions`] (its [`spawn`](ForkOptions::spawn) field is a [`SpawnOptions`]) |
//! | `err.code`, `err.signal`, `err.killed`, `err.cmd`, `err.stdout`, `err.stderr` | [`ExecError`]'s fields |
//! | `spawnSync`, `execSync`, `execFileSync` (`input`, `timeout`, `maxBuffer`...) | [`spawn_sync`] -> [`SpawnSyncResult`], [`exec_sync`], [`exec_file_sync`] with [`SpawnSyncOptions`]: no runtime needed |
//! | `subprocess.send(message)`, `'message'`, `disconnect()`, `'disconnect'` | [`ChildProcess::send`], [`events::MESSAGE`] or [`ChildProcess::recv`], [`ChildProcess::disconnect`], [`events::DISCONNECT`] |
//! | `process.send`, `process.on('message')` in a forked child | [`ipc::from_env`] -> [`Channel`] |
//! | `subprocess.send(message, server \| socket)`, `'message'`'s `(message, handle)` | [`ChildProcess::send_handle`] with [`ipc::SendHandle`], [`ChildProcess::recv_with_handle`] -> [`ipc::ReceivedHandle`] |
//! | `'internalMessage'` (`NODE_*` messages: cluster's protocol), a `'net.Native'` handle | [`Channel::on_internal`] -> [`ipc::InternalMessage`], [`ipc::SendHandle::Native`] |
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
//! ## Example: the notes' parent and child exchanging messages
//!
//! ```js
//! // parent.js                                   // sub.js
//! const n = cp.fork('./sub.js');                 process.on('message', m =>
//! n.on('message', m =>                             console.log('CHILD got message:', m));
//!   console.log('PARENT got message:', m));      process.send({ foo: 'bar' });
//! n.send({ hello: 'world' });
//! ```
//!
//! ```no_run
//! // parent (rt), forking `node sub.js` or any program speaking Node's protocol
//! use rt_child_process::{fork_with, events::MESSAGE, Emitter, ForkOptions};
//! # async fn demo() -> Result<(), rt_child_process::Error> {
//! let n = fork_with("./sub.js", Vec::<String>::new(), ForkOptions::new(), |n| {
//!     n.on(&MESSAGE, |m| println!("PARENT got message: {m}"));
//! })?;
//! n.send(&serde_json::json!({"hello": "world"}))?;
//! # Ok(()) }
//! ```
//!
//! ```no_run
//! // child (rt), forked by Node (`fork(path, [], { execPath: 'my-rt-program' })`) or by rt
//! # async fn demo() -> Result<(), rt_child_process::Error> {
//! let process = rt_child_process::ipc::from_env()?.expect("forked with a channel");
//! process.send(&serde_json::json!({"foo": "bar"}))?;
//! while let Some(m) = process.recv().await {
//!     println!("CHILD got message: {m}");
//! }
//! # Ok(()) }
//! ```
//!
//! The crate's examples run these: `spawn_ls`, `fork_parent` (with `node`,
//! or with `RT_CHILD=ipc_child` an rt child), `ipc_child`.
//!
//! ## How it works
//!
//! - **fork+exec, never a forked runtime.** Children start through the
//!   standard library's `Command` (posix_spawn or fork+exec); fds above 2
//!   (the IPC channel, extra stdio) are placed by the `command-fds` crate.
//!   The crate has no `unsafe` of its own. `detached` makes the child
//!   call `setsid()` as libuv does (through the `process-wrap` crate's
//!   hook). Spawns are serialised from the making of a child's fds to its
//!   exec (libuv holds a lock over the same stretch): no sibling forked by
//!   this crate holds another child's ends.
//! - **One task per child** owns the OS process, reaps it (also when every
//!   handle was dropped: no zombies) and emits its events in Node's order:
//!   `spawn` on the next turn, `exit` when reaped, `close` once stdout,
//!   stderr and the channel closed too. Like Node's `flushStdio`, output
//!   nobody took is read to its end at exit so that `close` comes; unlike
//!   Node it is kept (up to 1 MiB) for a later taker.
//! - **Stdio on the fd pump.** The parent's ends are pipes adopted by
//!   `rt_net::transport::Io` and wrapped as `rt_net::Socket`s: real rt
//!   streams with Node's backpressure (a child writing faster than the
//!   parent reads blocks on its pipe). Node uses socketpairs here; a child
//!   sees a FIFO on fds 0-2 instead, as from a shell. Fds above 2 get a
//!   socketpair, read and written by both sides, as Node's `stdio[3]`.
//!
//! - **The IPC channel** is a socketpair on the child's `'ipc'` fd (3 for
//!   `fork`), `NODE_CHANNEL_FD` / `NODE_CHANNEL_SERIALIZATION_MODE=json` in its
//!   environment, as Node sets them. Each message is one JSON line; `send`
//!   writes straight to the kernel and queues only what it did not take (one
//!   writer task then drains the queue with `writev`), returning Node's hint
//!   (`false` past 128 KiB queued). One reader task splits lines and delivers
//!   messages in order, as `'message'` events or to [`ChildProcess::recv`];
//!   internal `NODE_*` messages never reach them; a line that is not JSON is
//!   an `'error'` carrying the line. After the peer exits, `'exit'` waits for
//!   the end of file its exit left, so `'disconnect'` comes first, as in Node;
//!   when another process still holds the child's end (a grandchild), it
//!   does not wait, and `'exit'` comes first, as in Node. A fork made by
//!   other code of this process (std's `Command`) holds a copy too, for the
//!   instant until its exec: a child whose whole life fits in that instant
//!   then gets `'exit'` first.
//!
//! ## Differences from Node
//!
//! - Events are emitted from the child's task, which may run on another
//!   thread at once. `'spawn'` always comes first and reaches a listener
//!   added right after `spawn` returns (from a task it is emitted after the
//!   task's poll; from a multi-thread runtime's `block_on` thread once a
//!   `'spawn'` listener is in place or before the child's next event, so a
//!   listener added there later, before any other event, still sees it).
//!   A child that exits at once can still race a caller thread that is
//!   descheduled between `spawn` and its `on(&EXIT, ..)`: [`spawn_with`]
//!   rules that out (its setup runs before any event can fire), and
//!   [`ChildProcess::wait`] / [`ChildProcess::closed`] never miss.
//! - At exit Node resumes every unread output stream, throwing its data
//!   away; rt reads only those the program never took (a taken stream may
//!   be pulled with `read()`, which resuming would starve) and keeps what
//!   it read, up to 1 MiB after exit, for a later `stdout()` / `stderr()`:
//!   in Node the code that takes a stream always runs before the exit can
//!   be seen, here the caller's next line may run after the child's whole
//!   life (a multi-thread runtime's `block_on` thread). Untaken output
//!   pipes are read by a small task per pipe (at most 64 KiB ahead while
//!   the child runs, as Node's socket reads ahead) and become sockets when
//!   taken.
//! - As in Node v20, a parent that called `disconnect()` itself gets no
//!   `'close'` (Node counts the channel's close only when it reads the
//!   peer's end of file: nodejs/node#19433); [`ChildProcess::closed`]
//!   still returns once the child exited and its streams closed.
//! - A peer that never reads: `send` returns Node's hint (`false` past 128
//!   KiB queued, at the same message as Node, as it writes straight to the
//!   kernel first), but where Node's queue grows without bound rt's stops at
//!   [`Channel::set_max_queue_bytes`] (64 MiB by default,
//!   [`ipc::MAX_QUEUE_BYTES`]): a message past it is refused with
//!   `ERR_IPC_QUEUE_FULL`, nothing is queued and the channel stays open;
//!   [`Channel::write_queue_size`] reports the queue.
//! - Handles travel as Node sends them (a `NODE_HANDLE` line with the fd on
//!   its first byte, ACK / NACK, later messages held until the answer, a
//!   sent socket destroyed on ACK, 3 retransmissions on NACK), but a
//!   received one comes only through `recv_with_handle` (not to `'message'`
//!   listeners), a server as a `ListenHandle` to listen on, and only
//!   `net.Server` / `net.Socket` (and cluster's `net.Native` sockets) are
//!   taken; UDP handles are not. Only the json serialization is spoken (not
//!   `advanced`).
//! - A forked rt child cannot delete `NODE_CHANNEL_*` from its own
//!   environment (that needs `unsafe` in Rust 2024); it moves the channel
//!   to a close-on-exec copy (`pidfd_getfd`, Linux 5.6+) and closes the
//!   inherited fd, and children it spawns get neither variable nor the
//!   channel.
//! - A message serde cannot serialize is a `TypeError` with code
//!   `ERR_INVALID_ARG_TYPE` (Node's code for a message its check refuses,
//!   a BigInt); for a value inside an object Node throws JSON.stringify's
//!   `TypeError`, which has no code.
//! - `exec`'s `maxBuffer` counts bytes before decoding (Node counts the
//!   decoded chunk's byte length: the same for whole characters).
#![forbid(unsafe_code)]

mod abort;
mod channel_env;
mod child;
pub mod events;
mod exec;
mod fork;
mod gate;
mod ids;
mod inherit;
pub mod ipc;
mod options;
mod pipes;
mod session;
mod signals;
mod spawn;
mod spawn_lock;
mod stdio;
mod sync;

pub use abort::{AbortController, AbortSignal};
pub use child::ChildProcess;
pub use events::ExitInfo;
pub use exec::{ExecCode, ExecError, ExecOptions, ExecOutput, MAX_BUFFER, Output, exec, exec_file};
pub use fork::{ForkOptions, fork, fork_with};
pub use inherit::hide_env_from_children;
pub use ipc::Channel;
pub use options::{Shell, SpawnOptions, Stdio};
pub use rt_events::Emitter;
pub use rt_stream::{Code, Error};
pub use signals::Signal;
pub use spawn::{spawn, spawn_with};
pub use sync::{
    ExecSyncError, SpawnSyncOptions, SpawnSyncResult, StdioSync, exec_file_sync, exec_sync, spawn_sync,
};

//! [`ChildProcess`]: a started (or failed) child, its stdio streams, its
//! state and its events.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use rt_events::{Emitter, EventEmitter};
use rt_net::Socket;
use rt_stream::{Code, Error};
use tokio::sync::watch;

use crate::events::ExitInfo;
use crate::ipc::Channel;
use crate::pipes::Slot;
use crate::signals::Signal;

/// A child process (Node: `ChildProcess`, what `spawn`, `exec`, `execFile`
/// and `fork` return). A cheap `Clone` handle; dropping every handle leaves
/// the child running and it is still reaped (no zombie).
///
/// Events ([`crate::events`]), in Node's order: `spawn`, then
/// `exit(code, signal)`, then `close(code, signal)` once stdout, stderr
/// (and the channel) closed too. A child that could not start emits
/// `error` then `close(-errno, None)`, and has no pid.
///
/// Output streams nobody took yet (with [`stdout`](Self::stdout),
/// [`stderr`](Self::stderr), [`stdio`](Self::stdio)) are read ahead and, once
/// the child exited, to their end so that `close` comes (Node's
/// `flushStdio`); what was read is kept for a later taker (up to 1 MiB
/// after exit, past which it is thrown away as in Node), so a stream taken
/// after `wait()` or even `closed()` still has all its data. A stream you
/// took is yours to read to its end, and `close` waits for that.
#[doc(alias = "child_process.ChildProcess")]
#[derive(Clone)]
pub struct ChildProcess {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) emitter: EventEmitter,
    pub(crate) pid: Option<u32>,
    pub(crate) spawnfile: String,
    pub(crate) spawnargs: Vec<String>,
    /// Per fd: the parent's end of the child's pipe, made a stream when
    /// taken (`stdout()`...); from then on it is the program's to read.
    pub(crate) slots: Vec<Arc<Slot>>,
    /// Every fd's stream, once `stdio()` took them all.
    pub(crate) all: OnceLock<Vec<Option<Socket>>>,
    /// Where the pipes' sockets are registered.
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) channel: Option<Channel>,
    pub(crate) state: Mutex<State>,
    pub(crate) phase: watch::Sender<Phase>,
    /// `'spawn'`, emitted once before any other event (none for a child
    /// that did not start).
    pub(crate) gate: Option<Arc<crate::gate::SpawnGate>>,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) exit_code: Option<i32>,
    pub(crate) signal_code: Option<&'static str>,
    pub(crate) killed: bool,
    /// The child was reaped: its pid may belong to another process now.
    pub(crate) reaped: bool,
    pub(crate) spawn_error: Option<Error>,
}

/// How far the child got (what `wait()` and `closed()` wait for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    Running,
    Exited,
    Closed,
}

pub(crate) fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Emitter for ChildProcess {
    fn emitter(&self) -> &EventEmitter {
        &self.inner.emitter
    }
}

impl std::fmt::Debug for ChildProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildProcess")
            .field("pid", &self.inner.pid)
            .field("spawnfile", &self.inner.spawnfile)
            .field("exit_code", &self.exit_code())
            .field("signal_code", &self.signal_code())
            .finish()
    }
}

impl ChildProcess {
    /// The child's process id (Node: `pid`); `None` when it could not start.
    pub fn pid(&self) -> Option<u32> {
        self.inner.pid
    }

    /// The file that was executed (Node: `spawnfile`).
    pub fn spawnfile(&self) -> &str {
        &self.inner.spawnfile
    }

    /// The whole argv, `argv0` first (Node: `spawnargs`).
    pub fn spawnargs(&self) -> &[String] {
        &self.inner.spawnargs
    }

    /// The parent's end of the child's stdin, when it is a pipe (Node: `stdin`).
    pub fn stdin(&self) -> Option<&Socket> {
        self.stdio_at(0)
    }

    /// The parent's end of the child's stdout, when it is a pipe (Node: `stdout`).
    pub fn stdout(&self) -> Option<&Socket> {
        self.stdio_at(1)
    }

    /// The parent's end of the child's stderr, when it is a pipe (Node: `stderr`).
    pub fn stderr(&self) -> Option<&Socket> {
        self.stdio_at(2)
    }

    /// The parent's end of every child fd that is a pipe, by fd (Node: `stdio`).
    pub fn stdio(&self) -> &[Option<Socket>] {
        self.inner.all.get_or_init(|| {
            (0..self.inner.slots.len())
                .map(|i| self.stdio_at(i).cloned())
                .collect()
        })
    }

    fn stdio_at(&self, i: usize) -> Option<&Socket> {
        self.inner.slots.get(i)?.take(&self.inner.runtime)
    }

    /// The exit code once the child exited (Node: `exitCode`); the negative
    /// errno after a failed spawn.
    #[doc(alias = "exitCode")]
    pub fn exit_code(&self) -> Option<i32> {
        lock(&self.inner.state).exit_code
    }

    /// The signal that ended the child (Node: `signalCode`).
    #[doc(alias = "signalCode")]
    pub fn signal_code(&self) -> Option<&'static str> {
        lock(&self.inner.state).signal_code
    }

    /// Whether a signal was delivered by [`kill`](Self::kill) (Node: `killed`).
    pub fn killed(&self) -> bool {
        lock(&self.inner.state).killed
    }

    /// Sends `signal` (Node: `subprocess.kill([signal])`, `SIGTERM` by
    /// default: `kill(Signal::default())`). `true` when it was delivered;
    /// `false` when the child already exited or never started.
    #[doc(alias = "subprocess.kill")]
    pub fn kill(&self, signal: Signal) -> bool {
        let mut st = lock(&self.inner.state);
        let Some(pid) = self.inner.pid else { return false };
        if st.reaped {
            return false;
        }
        let pid = nix::unistd::Pid::from_raw(pid as i32);
        match nix::sys::signal::kill(pid, signal.nix()) {
            Ok(()) => {
                st.killed = true;
                true
            }
            Err(nix::errno::Errno::ESRCH) => false,
            Err(e) => {
                drop(st);
                let err = Error::syscall_failed(&std::io::Error::from_raw_os_error(e as i32), "kill");
                let _ = self.inner.emitter.emit_error(&crate::events::ERROR, err);
                false
            }
        }
    }

    /// [`kill`](Self::kill) with a signal by name or number (`"SIGKILL"`,
    /// `"9"`); an unknown one is `ERR_UNKNOWN_SIGNAL`, as Node throws.
    pub fn kill_named(&self, signal: &str) -> Result<bool, Error> {
        Ok(self.kill(Signal::parse(signal)?))
    }

    /// Whether the IPC channel is open (Node: `connected`).
    pub fn connected(&self) -> bool {
        self.inner.channel.as_ref().is_some_and(Channel::connected)
    }

    /// The IPC channel, for children started with one (`fork`, or
    /// [`Stdio::Ipc`](crate::Stdio::Ipc)) (Node: `channel`, `send`,
    /// `disconnect`).
    pub fn channel(&self) -> Option<&Channel> {
        self.inner.channel.as_ref()
    }

    /// Sends a message to the child (Node: `subprocess.send(message)`):
    /// `Ok(false)` is Node's backpressure hint (much is queued; the message
    /// still goes). Without a channel: `ERR_CHILD_PROCESS_IPC_REQUIRED`.
    #[doc(alias = "subprocess.send")]
    pub fn send<T: serde::Serialize + ?Sized>(&self, message: &T) -> Result<bool, Error> {
        self.require_channel()?.send(message)
    }

    /// Sends a message with a listening server or a connected socket (Node:
    /// `subprocess.send(message, handle)`); see [`Channel::send_handle`].
    pub fn send_handle<T: serde::Serialize + ?Sized>(
        &self,
        message: &T,
        handle: crate::ipc::SendHandle,
    ) -> Result<bool, Error> {
        self.require_channel()?.send_handle(message, handle)
    }

    /// The next message and the handle that came with it, if any; see
    /// [`Channel::recv_with_handle`].
    pub async fn recv_with_handle(&self) -> Option<(serde_json::Value, Option<crate::ipc::ReceivedHandle>)> {
        match &self.inner.channel {
            Some(c) => c.recv_with_handle().await,
            None => None,
        }
    }

    /// The next message from the child (pull instead of `'message'`
    /// listeners); `None` once the channel closed and nothing is queued.
    pub async fn recv(&self) -> Option<serde_json::Value> {
        match &self.inner.channel {
            Some(c) => c.recv().await,
            None => None,
        }
    }

    /// Closes the IPC channel (Node: `subprocess.disconnect()`).
    pub fn disconnect(&self) -> Result<(), Error> {
        self.require_channel()?.disconnect()
    }

    fn require_channel(&self) -> Result<&Channel, Error> {
        self.inner.channel.as_ref().ok_or_else(|| {
            Error::new(
                Code::ERR_CHILD_PROCESS_IPC_REQUIRED,
                "Forked processes must have an IPC channel, missing value 'ipc' in options.stdio",
            )
        })
    }

    /// Waits until the child exited (Node: the `'exit'` event): its code
    /// or signal, or the spawn error.
    pub async fn wait(&self) -> Result<ExitInfo, Error> {
        self.reach(Phase::Exited).await
    }

    /// Waits for `'close'`: the child exited and its stdio streams and
    /// channel closed.
    pub async fn closed(&self) -> Result<ExitInfo, Error> {
        self.reach(Phase::Closed).await
    }

    async fn reach(&self, phase: Phase) -> Result<ExitInfo, Error> {
        let mut rx = self.inner.phase.subscribe();
        // The sender lives in `inner`, which we hold: this cannot fail.
        let _ = rx.wait_for(|p| *p >= phase).await;
        let st = lock(&self.inner.state);
        match &st.spawn_error {
            Some(e) => Err(e.clone()),
            None => Ok(ExitInfo {
                code: st.exit_code,
                signal: st.signal_code,
            }),
        }
    }
}

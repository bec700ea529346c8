//! `spawn`: starting a child (fork+exec by the standard library, never a
//! forked copy of this runtime) and the task that reports its life as
//! Node's events.

use std::os::unix::process::CommandExt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rt_events::EventEmitter;
use rt_stream::Error;
use tokio::sync::watch;

use crate::abort::AbortSignal;
use crate::channel_env::{CHANNEL_FD, SERIALIZATION_MODE};
use crate::child::{ChildProcess, Inner, Phase, State, lock};
use crate::events::{CLOSE, ERROR, EXIT, ExitInfo, SPAWN};
use crate::gate::SpawnGate;
use crate::ipc::Channel;
use crate::options::{Shell, SpawnOptions};
use crate::pipes::Slot;
use crate::signals::{Signal, name_of};
use crate::stdio::PrepareError;

/// Starts `command` with `args` (Node: `child_process.spawn(command, args,
/// options)`). Must be called inside a tokio runtime (the child's pipes
/// join its reactor).
///
/// Listeners added right after `spawn` returns see every event in
/// practice; [`spawn_with`] guarantees it.
///
/// Output streams may be taken at any time, even after the child exited:
/// what it wrote waits for the taker (see [`ChildProcess`]).
///
/// Failures Node reports as an `'error'` event (`ENOENT`, `EACCES`,
/// `EAGAIN`, `EMFILE`, `ENFILE`, a `cwd` that does not exist) come the same
/// way here, followed by `'close'`, and from [`ChildProcess::wait`]; the
/// child has no pid and no `'spawn'`. What Node throws (an empty command,
/// bad options, other errors of the spawn itself) is `Err`.
///
/// ```
/// use rt_child_process::{spawn, SpawnOptions};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let ls = spawn("ls", ["-lh", "/usr"], SpawnOptions::new())?;
/// let out = ls.stdout().unwrap().read_all().await?;
/// let status = ls.closed().await?;
/// assert_eq!(status.code, Some(0));
/// assert!(!out.is_empty());
/// # Ok::<(), rt_stream::Error>(())
/// # }).unwrap();
/// ```
#[doc(alias = "child_process.spawn")]
pub fn spawn<I, S>(command: &str, args: I, options: SpawnOptions) -> Result<ChildProcess, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    spawn_with(command, args, options, |_| {})
}

/// [`spawn`], with `setup` run on the child before any of its events can
/// be emitted: listeners added there never miss `'spawn'` or a spawn
/// failure's `'error'` and `'close'`, whatever the threads do (Node's
/// listeners, added in the same tick as `spawn()`, never miss them either).
///
/// ```
/// use std::sync::{Arc, Mutex, OnceLock};
/// use rt_child_process::{spawn_with, events::{CLOSE, ERROR}, Emitter, SpawnOptions};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = seen.clone();
/// let child = spawn_with("ls-not-here", ["-l"], SpawnOptions::new(), move |c| {
///     let s2 = s.clone();
///     c.on(&ERROR, move |e| s2.lock().unwrap().push(e.message().to_string()));
///     c.on(&CLOSE, move |i| s.lock().unwrap().push(format!("close {:?}", i.code)));
/// })?;
/// assert!(child.closed().await.is_err());
/// assert_eq!(*seen.lock().unwrap(), ["spawn ls-not-here ENOENT", "close Some(-2)"]);
/// # Ok::<(), rt_child_process::Error>(())
/// # }).unwrap();
/// ```
#[doc(alias = "child_process.spawn")]
pub fn spawn_with<I, S>(
    command: &str,
    args: I,
    options: SpawnOptions,
    setup: impl FnOnce(&ChildProcess),
) -> Result<ChildProcess, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    spawn_with_emitter(
        command,
        args,
        options,
        EventEmitter::with_type_name("ChildProcess"),
        setup,
    )
}

/// The file and argv Node runs for `command args` under `shell`.
pub(crate) fn resolve(command: &str, args: Vec<String>, shell: &Shell) -> (String, Vec<String>) {
    let sh = match shell {
        Shell::None => return (command.to_string(), args),
        Shell::Default => "/bin/sh".to_string(),
        Shell::Path(p) => p.clone(),
    };
    let mut line = command.to_string();
    for a in &args {
        line.push(' ');
        line.push_str(a);
    }
    (sh, vec!["-c".to_string(), line])
}

pub(crate) fn validate_file(command: &str) -> Result<(), Error> {
    if command.is_empty() {
        return Err(Error::new(
            rt_stream::Code::ERR_INVALID_ARG_VALUE,
            "The argument 'file' cannot be empty. Received ''",
        ));
    }
    if command.contains('\0') {
        return Err(Error::invalid_arg_value("file", "a string without null bytes"));
    }
    Ok(())
}

pub(crate) fn spawn_with_emitter(
    command: &str,
    args: Vec<String>,
    options: SpawnOptions,
    emitter: EventEmitter,
    setup: impl FnOnce(&ChildProcess),
) -> Result<ChildProcess, Error> {
    validate_file(command)?;
    if args.iter().any(|a| a.contains('\0')) {
        return Err(Error::invalid_arg_value("args", "strings without null bytes"));
    }
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
        Error::new(
            rt_stream::Code::custom("ERR_NO_RUNTIME"),
            "spawn must run inside a tokio runtime",
        )
    })?;
    let (file, args) = resolve(command, args, &options.shell);
    let argv0 = options.argv0.clone().unwrap_or_else(|| file.clone());
    let mut spawnargs = Vec::with_capacity(args.len() + 1);
    spawnargs.push(argv0.clone());
    spawnargs.extend(args.iter().cloned());

    let mut cmd = std::process::Command::new(&file);
    cmd.arg0(&argv0).args(&args);
    if let Some(cwd) = &options.cwd {
        cmd.current_dir(cwd);
    }
    if let Some(env) = &options.env {
        cmd.env_clear();
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
    } else {
        crate::inherit::apply(&mut cmd);
    }
    cmd.envs(options.env_extra.iter().map(|(k, v)| (k, v)));
    if options.detached {
        crate::session::new_session(&mut cmd);
    }
    crate::ids::apply(&mut cmd, options.uid, options.gid);
    // Node's run-time errors: an 'error' event (then 'close'), not a throw.
    let reported = |e: &std::io::Error, thrown_otherwise: &[i32]| -> Result<Error, Error> {
        let raw = e.raw_os_error().unwrap_or(0);
        if thrown_otherwise.contains(&raw) {
            let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
            Ok(Error::spawn(e, &file, &arg_refs))
        } else {
            Err(Error::syscall_failed(e, "spawn"))
        }
    };
    // No other spawn of this process forks while this child's ends are
    // open here: a sibling forked now would hold them until its exec, and
    // the child's exit would not close its channel (see spawn_lock.rs).
    let spawning = crate::spawn_lock::hold();
    let made = match crate::stdio::prepare(&mut cmd, options.stdio) {
        Err(PrepareError::Invalid(e)) => return Err(e),
        // No fds for the pipes: Node's uv_spawn fails the same way.
        Err(PrepareError::Sys(e)) => (None, Some(reported(&e, &[libc::EMFILE, libc::ENFILE])?), None),
        Ok(prepared) => {
            if let Some((_, fd)) = &prepared.ipc {
                cmd.env(CHANNEL_FD, fd.to_string())
                    .env(SERIALIZATION_MODE, "json");
            }
            let _guard = runtime.enter();
            let mut tokio_cmd = tokio::process::Command::from(cmd);
            let spawned = tokio_cmd.spawn();
            // The child's ends of pipes and the channel close here in the parent.
            drop(tokio_cmd);
            match spawned {
                Ok(child) => (Some(child), None, Some(prepared)),
                Err(e) => {
                    let known = [
                        libc::ENOENT,
                        libc::EACCES,
                        libc::EAGAIN,
                        libc::EMFILE,
                        libc::ENFILE,
                    ];
                    (None, Some(reported(&e, &known)?), None)
                }
            }
        }
    };
    drop(spawning);
    let (child, spawn_error, prepared) = made;
    let pid = child.as_ref().and_then(|c| c.id());

    let mut slots = Vec::new();
    let mut ipc = None;
    if let Some(prepared) = prepared {
        for (i, end) in prepared.parent_ends.into_iter().enumerate() {
            slots.push(Arc::new(match end {
                // stdin: the parent writes; a stream from the start.
                Some(fd) if i == 0 => Slot::made(crate::stdio::socket_of(fd)?),
                Some(fd) => Slot::output(fd),
                None => Slot::none(),
            }));
        }
        ipc = prepared.ipc;
    }
    let gate = child
        .as_ref()
        .map(|_| Arc::new(SpawnGate::pending(emitter.clone())));
    let channel = match (&child, ipc) {
        (Some(_), Some((fd, _))) => Some(Channel::open_gated(fd, emitter.clone(), gate.clone())?),
        _ => None,
    };
    let (phase, _) = watch::channel(Phase::Running);
    let inner = Arc::new(Inner {
        emitter,
        pid,
        spawnfile: file,
        spawnargs,
        slots,
        all: OnceLock::new(),
        runtime: runtime.clone(),
        channel,
        state: Mutex::new(State::default()),
        phase,
        gate,
    });
    let cp = ChildProcess { inner };
    // Node emits 'spawn' on the next tick, after the code that called
    // spawn(). Called from a task (or on a current-thread runtime), the
    // driver cannot run before that task's poll ends. Called from a
    // multi-thread runtime's block_on thread, the driver may run on a
    // worker at once: 'spawn' then waits until a 'spawn' listener is added
    // (it comes after the listener is in place) or another event of the
    // child is due, whichever is first.
    let eager = tokio::task::try_id().is_some()
        || runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread;
    if let (false, Some(gate)) = (eager, &cp.inner.gate) {
        let weak = Arc::downgrade(gate);
        let rt = runtime.clone();
        // (Holds the gate weakly: a strong emitter here would be a cycle.)
        cp.inner.emitter.on(&rt_events::NEW_LISTENER, move |info| {
            if info.event != SPAWN.name() {
                return;
            }
            let Some(gate) = weak.upgrade() else { return };
            if gate.is_open() {
                return;
            }
            // 'newListener' comes before the listener is added: 'spawn'
            // waits until it is in place (the adding thread may be
            // descheduled in between; a bound only for a listener that
            // never arrives).
            let id = info.id;
            rt.spawn(async move {
                for round in 0..3_000u32 {
                    if gate.is_open() || gate.has_listener(id) {
                        break;
                    }
                    if round < 100 {
                        tokio::task::yield_now().await;
                    } else {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
                gate.open();
            });
        });
    }
    setup(&cp);
    // Output pipes the setup did not take are read ahead from now on (Node's
    // socket reads ahead too); what is read waits for the taker.
    for slot in &cp.inner.slots {
        slot.start_reading(&runtime);
    }
    // The channel reads only now, after the setup's listeners are in: a
    // child closing fd 3 at once would otherwise have its 'spawn' and
    // 'disconnect' emitted before them (seen under load).
    if let Some(channel) = &cp.inner.channel {
        channel.start_reading();
    }
    let driver = cp.clone();
    let timeout = options.timeout.filter(|t| !t.is_zero());
    runtime.spawn(drive(
        driver,
        child,
        spawn_error,
        Limits {
            timeout,
            kill_signal: options.kill_signal,
            abort: options.signal,
            eager,
        },
    ));
    Ok(cp)
}

/// What ends a child early, and how `'spawn'` is emitted.
struct Limits {
    timeout: Option<Duration>,
    kill_signal: Signal,
    abort: Option<AbortSignal>,
    /// Emit `'spawn'` on the driver's first turn (see `spawn_with_emitter`).
    eager: bool,
}

/// Node's `AbortError` for an aborted child.
fn abort_error() -> Error {
    Error::new(rt_stream::Code::ABORT_ERR, "The operation was aborted")
}

/// Reports the child's life in Node's order: `spawn`, `exit`, `close` (or
/// `error`, `close`). Owns the OS child: it always reaps it.
async fn drive(
    cp: ChildProcess,
    child: Option<tokio::process::Child>,
    spawn_error: Option<Error>,
    limits: Limits,
) {
    // Node emits on the next tick: let the caller add its listeners first.
    tokio::task::yield_now().await;
    let inner = &cp.inner;
    let Some(mut child) = child else {
        let err = spawn_error.unwrap_or_else(|| Error::new(rt_stream::Code::UNKNOWN, "spawn failed"));
        let code = err.errno();
        {
            let mut st = lock(&inner.state);
            st.exit_code = code;
            st.reaped = true;
            st.spawn_error = Some(err.clone());
        }
        let _ = inner.emitter.emit_error(&ERROR, err);
        // Listeners first, then awaiters (wait / closed): as listeners
        // registered before them.
        inner.emitter.emit(&CLOSE, ExitInfo { code, signal: None });
        inner.phase.send_replace(Phase::Closed);
        return;
    };
    let gate = inner.gate.clone();
    let open_gate = || {
        if let Some(g) = &gate {
            g.open();
        }
    };
    if limits.eager {
        open_gate();
    }

    let Limits {
        timeout,
        kill_signal,
        abort,
        ..
    } = limits;
    let mut timer_armed = timeout.is_some();
    let mut timer = Box::pin(tokio::time::sleep(timeout.unwrap_or(Duration::MAX)));
    let mut abort_armed = abort.is_some();
    let mut aborted = Box::pin(async move {
        match abort {
            Some(a) => a.wait().await,
            None => std::future::pending().await,
        }
    });
    let status = loop {
        tokio::select! {
            s = child.wait() => break s,
            _ = &mut timer, if timer_armed => {
                timer_armed = false;
                cp.kill(kill_signal);
            }
            _ = &mut aborted, if abort_armed => {
                // Node: the child is killed with killSignal, and 'error'
                // (AbortError) follows when the signal was delivered.
                abort_armed = false;
                open_gate();
                if cp.kill(kill_signal) {
                    let _ = inner.emitter.emit_error(&ERROR, abort_error());
                }
            }
        }
    };
    let info = match status {
        Ok(s) => {
            use std::os::unix::process::ExitStatusExt;
            ExitInfo {
                code: s.code(),
                signal: s.signal().and_then(name_of),
            }
        }
        Err(_) => ExitInfo {
            code: None,
            signal: None,
        },
    };
    {
        let mut st = lock(&inner.state);
        st.exit_code = info.code;
        st.signal_code = info.signal;
        st.reaped = true;
    }
    if let Some(c) = &inner.channel {
        c.settle_after_peer_exit().await;
    }
    if let Some(stdin) = inner.slots.first().and_then(|s| s.taken()) {
        stdin.destroy(None);
    }
    open_gate();
    inner.emitter.emit(&EXIT, info);
    inner.phase.send_replace(Phase::Exited);

    // Node's flushStdio: output nobody took is read to its end (and kept for
    // a later taker, see pipes.rs) so that 'close' comes; a stream taken is
    // its reader's, and 'close' waits until it closed.
    for slot in inner.slots.iter().skip(1) {
        slot.set_exited();
    }
    for slot in inner.slots.iter().skip(1) {
        slot.settled().await;
    }
    let mut emit_close = true;
    if let Some(c) = &inner.channel {
        c.wait_closed().await;
        // Node v20 counts the channel's close only when it reads the
        // peer's end of file: after this side's own disconnect() its
        // 'close' never comes (nodejs/node#19433). closed() still returns.
        emit_close = !c.disconnected_here();
    }
    if emit_close {
        inner.emitter.emit(&CLOSE, info);
    }
    inner.phase.send_replace(Phase::Closed);
}

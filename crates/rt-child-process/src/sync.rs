//! `spawnSync`, `execSync`, `execFileSync`: run a child to its end on this
//! thread (no tokio runtime needed), with Node's input, timeout,
//! killSignal and maxBuffer, and Node's result and error fields.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use rt_buffer::Encoding;
use rt_stream::{Code, Error};

use crate::exec::Output;
use crate::options::Shell;
use crate::signals::{Signal, name_of};

/// What the child's stdin, stdout or stderr is in a sync run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StdioSync {
    /// Collected (stdout, stderr) or fed from `input` (stdin) (Node: `'pipe'`).
    #[default]
    Pipe,
    /// This process's own (Node: `'inherit'`).
    Inherit,
    /// `/dev/null` (Node: `'ignore'`).
    Ignore,
}

/// Options of [`spawn_sync`], [`exec_sync`] and [`exec_file_sync`].
#[derive(Debug, Clone)]
pub struct SpawnSyncOptions {
    /// Written to the child's stdin, which is then closed (Node: `input`).
    pub input: Option<Vec<u8>>,
    /// Kill the child after this long (Node: `timeout`): error `ETIMEDOUT`.
    pub timeout: Option<Duration>,
    /// The signal of `timeout` and `maxBuffer` (Node: `killSignal`).
    pub kill_signal: Signal,
    /// Most bytes read from stdout or stderr before the child is killed
    /// (Node: `maxBuffer`, 1 MiB): error `ENOBUFS`; `None`: no limit.
    pub max_buffer: Option<usize>,
    /// Decode output (Node: `encoding`); `None`: Buffers (`'buffer'`, the default).
    pub encoding: Option<Encoding>,
    /// Working directory (Node: `cwd`).
    pub cwd: Option<PathBuf>,
    /// The child's whole environment (Node: `env`).
    pub env: Option<Vec<(String, String)>>,
    /// Run through a shell (Node: `shell`).
    pub shell: Shell,
    /// `argv[0]` (Node: `argv0`).
    pub argv0: Option<String>,
    /// stdin, stdout, stderr (Node: `stdio`).
    pub stdio: [StdioSync; 3],
    /// User id of the child (Node: `uid`); a parent that may not switch
    /// gets the result's `error` `EPERM`, as in Node.
    pub uid: Option<u32>,
    /// Group id of the child (Node: `gid`); with either id set the child
    /// has no supplementary groups, as libuv sets them.
    pub gid: Option<u32>,
}

impl Default for SpawnSyncOptions {
    fn default() -> SpawnSyncOptions {
        SpawnSyncOptions {
            input: None,
            timeout: None,
            kill_signal: Signal::SIGTERM,
            max_buffer: Some(crate::exec::MAX_BUFFER),
            encoding: None,
            cwd: None,
            env: None,
            shell: Shell::None,
            argv0: None,
            stdio: [StdioSync::Pipe; 3],
            uid: None,
            gid: None,
        }
    }
}

impl SpawnSyncOptions {
    /// Node's defaults.
    pub fn new() -> SpawnSyncOptions {
        SpawnSyncOptions::default()
    }

    /// Sets `input`.
    pub fn input(mut self, input: impl Into<Vec<u8>>) -> SpawnSyncOptions {
        self.input = Some(input.into());
        self
    }

    /// Sets `timeout`.
    pub fn timeout(mut self, t: Duration) -> SpawnSyncOptions {
        self.timeout = Some(t);
        self
    }

    /// Sets `maxBuffer`.
    pub fn max_buffer(mut self, n: usize) -> SpawnSyncOptions {
        self.max_buffer = Some(n);
        self
    }

    /// Sets `encoding` (`None`: Buffers).
    pub fn encoding(mut self, e: Option<Encoding>) -> SpawnSyncOptions {
        self.encoding = e;
        self
    }

    /// Sets `uid`.
    pub fn uid(mut self, uid: u32) -> SpawnSyncOptions {
        self.uid = Some(uid);
        self
    }

    /// Sets `gid`.
    pub fn gid(mut self, gid: u32) -> SpawnSyncOptions {
        self.gid = Some(gid);
        self
    }

    /// Sets `cwd`.
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> SpawnSyncOptions {
        self.cwd = Some(cwd.into());
        self
    }
}

/// What [`spawn_sync`] returns (Node: `spawnSync`'s object).
#[derive(Debug, Clone)]
pub struct SpawnSyncResult {
    /// The child's pid; 0 when it could not start.
    pub pid: u32,
    /// What it wrote to stdout, when piped and started (Node: `stdout`, `output[1]`).
    pub stdout: Option<Output>,
    /// What it wrote to stderr (Node: `stderr`, `output[2]`).
    pub stderr: Option<Output>,
    /// The exit code (Node: `status`); `None` when a signal ended it or it never started.
    pub status: Option<i32>,
    /// The signal that ended it (Node: `signal`).
    pub signal: Option<&'static str>,
    /// `ENOENT` and the like, `ETIMEDOUT`, `ENOBUFS` (Node: `error`).
    pub error: Option<Error>,
}

/// Runs `command` to its end on this thread (Node:
/// `child_process.spawnSync(command, args, options)`); works outside any
/// tokio runtime. `Err` is what Node throws (an empty command, a bad
/// option); a child that could not start, timed out or wrote too much is
/// in `error` of the result, as in Node.
///
/// As in Node, the pipes are let go when the child exits: what is in them
/// then is kept, a grandchild that still holds them does not keep this
/// call waiting.
///
/// ```
/// use rt_child_process::{spawn_sync, SpawnSyncOptions};
/// let r = spawn_sync("cat", Vec::<String>::new(), SpawnSyncOptions::new().input("abc"))?;
/// assert_eq!((r.status, r.stdout.unwrap().to_text()), (Some(0), "abc".to_string()));
/// # Ok::<(), rt_child_process::Error>(())
/// ```
#[doc(alias = "child_process.spawnSync")]
#[doc(alias = "spawnSync")]
pub fn spawn_sync<I, S>(command: &str, args: I, options: SpawnSyncOptions) -> Result<SpawnSyncResult, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    crate::spawn::validate_file(command)?;
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    let (file, args) = crate::spawn::resolve(command, args, &options.shell);
    let argv0 = options.argv0.clone().unwrap_or_else(|| file.clone());
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
    crate::ids::apply(&mut cmd, options.uid, options.gid);
    let std_stdio = |s: StdioSync, piped: bool| match s {
        StdioSync::Pipe if piped => std::process::Stdio::piped(),
        StdioSync::Pipe | StdioSync::Ignore => std::process::Stdio::null(),
        StdioSync::Inherit => std::process::Stdio::inherit(),
    };
    let feed = options.input.is_some() && options.stdio[0] == StdioSync::Pipe;
    cmd.stdin(std_stdio(options.stdio[0], feed))
        .stdout(std_stdio(options.stdio[1], true))
        .stderr(std_stdio(options.stdio[2], true));
    let arg_refs: Vec<String> = args.clone();
    let syscall = format!("spawnSync {file}");
    let sync_error = |raw: i32| {
        Error::syscall_failed(&std::io::Error::from_raw_os_error(raw), &syscall)
            .with_path(file.clone())
            .with_spawnargs(arg_refs.clone())
    };
    // std makes the pipes inside spawn(): no async spawn of this process
    // forks while their child ends are open here (see spawn_lock.rs).
    let spawned = {
        let _spawning = crate::spawn_lock::hold();
        cmd.spawn()
    };
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return Ok(SpawnSyncResult {
                pid: 0,
                stdout: None,
                stderr: None,
                status: None,
                signal: None,
                error: Some(sync_error(e.raw_os_error().unwrap_or(libc::EIO))),
            });
        }
    };
    let pid = child.id();
    let guard = Arc::new(Guard::default());
    let over = Arc::new(AtomicBool::new(false));

    let writer = match (child.stdin.take(), options.input.clone()) {
        (Some(mut stdin), Some(input)) => Some(std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })),
        _ => None,
    };
    // One thread reads stdout and stderr (poll) until both end or the
    // child exited (then what is already in the pipes is taken and the
    // rest left, as Node closes the pipes at exit).
    let (wake_rx, wake_tx) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| Error::syscall_failed(&std::io::Error::from(e), "pipe"))?;
    let pipes = [
        child.stdout.take().map(OwnedFd::from),
        child.stderr.take().map(OwnedFd::from),
    ];
    let pump = {
        let (guard, over, max, signal) = (
            guard.clone(),
            over.clone(),
            options.max_buffer,
            options.kill_signal,
        );
        std::thread::spawn(move || {
            read_outputs(pipes, wake_rx, max, || {
                over.store(true, Ordering::SeqCst);
                guard.kill(pid, signal);
            })
        })
    };

    let timed_out = Arc::new(AtomicBool::new(false));
    let watchdog = options.timeout.filter(|t| !t.is_zero()).map(|t| {
        let (guard, timed_out, signal) = (guard.clone(), timed_out.clone(), options.kill_signal);
        std::thread::spawn(move || {
            if guard.wait_exit(t) {
                return;
            }
            timed_out.store(true, Ordering::SeqCst);
            guard.kill(pid, signal);
        })
    });
    // Waits for the exit without reaping, so the pid stays the child's
    // while a timeout or maxBuffer may still signal it.
    let _ = nix::sys::wait::waitid(
        nix::sys::wait::Id::Pid(nix::unistd::Pid::from_raw(pid as i32)),
        nix::sys::wait::WaitPidFlag::WEXITED | nix::sys::wait::WaitPidFlag::WNOWAIT,
    );
    guard.mark_exited();
    let _ = rustix::io::write(&wake_tx, b"x");
    let status = child.wait();
    if let Some(w) = watchdog {
        let _ = w.join();
    }
    if let Some(w) = writer {
        let _ = w.join();
    }
    let [stdout, stderr] = pump.join().unwrap_or([None, None]);
    let (code, signal) = match &status {
        Ok(s) => (s.code(), s.signal().and_then(name_of)),
        Err(_) => (None, None),
    };
    let error = if timed_out.load(Ordering::SeqCst) {
        Some(sync_error(libc::ETIMEDOUT))
    } else if over.load(Ordering::SeqCst) {
        Some(sync_error(libc::ENOBUFS))
    } else {
        None
    };
    let enc = options.encoding;
    Ok(SpawnSyncResult {
        pid,
        stdout: stdout.map(|b| Output::of(b, enc)),
        stderr: stderr.map(|b| Output::of(b, enc)),
        status: code,
        signal,
        error,
    })
}

/// Reads both output pipes (either may be absent) until each ends, or
/// until `wake` is readable (the child exited): then one last
/// non-blocking pass takes what is already there. Past `max` bytes on one
/// pipe, `over()` is called once and reading stops.
fn read_outputs(
    pipes: [Option<OwnedFd>; 2],
    wake: OwnedFd,
    max: Option<usize>,
    over: impl Fn(),
) -> [Option<Vec<u8>>; 2] {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut out: [Option<Vec<u8>>; 2] = [
        pipes[0].as_ref().map(|_| Vec::new()),
        pipes[1].as_ref().map(|_| Vec::new()),
    ];
    let mut open: [Option<OwnedFd>; 2] = pipes;
    for fd in open.iter().flatten() {
        let _ = rustix::io::ioctl_fionbio(fd, true);
    }
    let mut chunk = vec![0u8; 64 * 1024];
    let mut exited = false;
    loop {
        // Drain whatever is ready on each open pipe.
        for i in 0..2 {
            while let Some(fd) = &open[i] {
                match rustix::io::read(fd, &mut chunk[..]) {
                    Ok(0) => open[i] = None,
                    Ok(n) => {
                        let buf = out[i].get_or_insert_with(Vec::new);
                        buf.extend_from_slice(&chunk[..n]);
                        if max.is_some_and(|m| buf.len() > m) {
                            over();
                            return out;
                        }
                    }
                    Err(rustix::io::Errno::INTR) => {}
                    Err(_) => break,
                }
            }
        }
        if exited || open.iter().all(Option::is_none) {
            return out;
        }
        let mut fds: Vec<PollFd<'_>> = open
            .iter()
            .flatten()
            .map(|fd| PollFd::new(fd, PollFlags::IN))
            .collect();
        fds.push(PollFd::new(&wake, PollFlags::IN));
        match poll(&mut fds, None) {
            Ok(_) => {
                if !fds[fds.len() - 1].revents().is_empty() {
                    exited = true;
                }
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return out,
        }
    }
}

/// Signals the child only while it has not exited (its pid is still its own).
#[derive(Default)]
struct Guard {
    exited: Mutex<bool>,
    changed: Condvar,
}

impl Guard {
    fn kill(&self, pid: u32, signal: Signal) {
        let exited = self.exited.lock().unwrap_or_else(PoisonError::into_inner);
        if !*exited {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), signal.nix());
        }
    }

    fn mark_exited(&self) {
        *self.exited.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }

    /// Whether the child exited within `t`.
    fn wait_exit(&self, t: Duration) -> bool {
        let exited = self.exited.lock().unwrap_or_else(PoisonError::into_inner);
        let (exited, _) = self
            .changed
            .wait_timeout_while(exited, t, |e| !*e)
            .unwrap_or_else(PoisonError::into_inner);
        *exited
    }
}

/// The error of [`exec_sync`] / [`exec_file_sync`] (Node throws it): the
/// message (`Command failed: <cmd>` and the child's stderr, or the spawn
/// error's), and everything [`spawn_sync`] returned.
#[derive(Debug, Clone)]
pub struct ExecSyncError {
    /// Node's `err.message`.
    pub message: String,
    /// The run: `status`, `signal`, `pid`, `stdout`, `stderr`, and the
    /// underlying `error` (its code, errno, syscall, path, spawnargs).
    pub result: Box<SpawnSyncResult>,
}

impl ExecSyncError {
    /// Node's `err.code`: the underlying error's (`ENOENT`, `ETIMEDOUT`), if any.
    pub fn code(&self) -> Option<Code> {
        self.result.error.as_ref().map(Error::typed_code)
    }
}

impl std::fmt::Display for ExecSyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecSyncError {}

/// Runs `command` through `/bin/sh -c` to its end and returns its stdout
/// (Node: `child_process.execSync`). As in Node, the child's stderr goes
/// to this process's stderr unless `stdio` says otherwise, output is a
/// Buffer unless an encoding is given, and a failure is an error.
#[doc(alias = "child_process.execSync")]
#[doc(alias = "execSync")]
pub fn exec_sync(command: &str, options: SpawnSyncOptions) -> Result<Output, ExecSyncError> {
    let mut options = options;
    if options.shell == Shell::None {
        options.shell = Shell::Default;
    }
    run_sync(command, Vec::new(), options, command.to_string())
}

/// Runs `file` with `args` to its end and returns its stdout (Node:
/// `child_process.execFileSync`).
#[doc(alias = "child_process.execFileSync")]
#[doc(alias = "execFileSync")]
pub fn exec_file_sync<I, S>(file: &str, args: I, options: SpawnSyncOptions) -> Result<Output, ExecSyncError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    let mut cmd = file.to_string();
    for a in &args {
        cmd.push(' ');
        cmd.push_str(a);
    }
    run_sync(file, args, options, cmd)
}

fn run_sync(
    file: &str,
    args: Vec<String>,
    options: SpawnSyncOptions,
    cmd: String,
) -> Result<Output, ExecSyncError> {
    let thrown = |e: Error| ExecSyncError {
        message: e.message().to_string(),
        result: Box::new(SpawnSyncResult {
            pid: 0,
            stdout: None,
            stderr: None,
            status: None,
            signal: None,
            error: Some(e),
        }),
    };
    let r = spawn_sync(file, args, options).map_err(thrown)?;
    // Node: the child's stderr is shown on ours (execSync's inheritStderr).
    if let Some(err) = &r.stderr {
        let _ = std::io::stderr().write_all(err.to_text().as_bytes());
    }
    if let Some(e) = &r.error {
        return Err(ExecSyncError {
            message: e.message().to_string(),
            result: Box::new(r),
        });
    }
    if r.status != Some(0) {
        let mut message = format!("Command failed: {cmd}");
        if let Some(s) = r.stderr.as_ref().filter(|s| !s.is_empty()) {
            message.push('\n');
            message.push_str(&s.to_text());
        }
        return Err(ExecSyncError {
            message,
            result: Box::new(r),
        });
    }
    Ok(r.stdout.unwrap_or_else(|| Output::Buffer(Default::default())))
}

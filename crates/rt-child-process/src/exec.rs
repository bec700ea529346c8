//! `exec` and `execFile`: run a command to completion and collect its
//! output, with Node's timeout, killSignal and maxBuffer rules and Node's
//! error fields. The result comes on `'close'`, not on `'exit'`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rt_buffer::{Buffer, Encoding};
use rt_stream::{Code, Error};

use crate::child::ChildProcess;
use crate::options::{Shell, SpawnOptions};
use crate::signals::Signal;

/// Node's default `maxBuffer`: 1 MiB.
pub const MAX_BUFFER: usize = 1024 * 1024;

/// Options of [`exec`] and [`exec_file`] (Node's names in snake case).
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// How output is decoded (Node: `encoding`, default `'utf8'`); `None`
    /// returns Buffers (Node: `'buffer'`).
    pub encoding: Option<Encoding>,
    /// Kill the child after this long (Node: `timeout`; `None` or zero: never).
    pub timeout: Option<Duration>,
    /// Most bytes kept of stdout and of stderr each (Node: `maxBuffer`,
    /// 1 MiB); past it the child is killed and the output cut to exactly
    /// this many bytes; `None`: no limit (Node: `Infinity`).
    pub max_buffer: Option<usize>,
    /// The signal for timeout and maxBuffer (Node: `killSignal`, `SIGTERM`).
    pub kill_signal: Signal,
    /// Working directory (Node: `cwd`).
    pub cwd: Option<PathBuf>,
    /// The child's whole environment (Node: `env`).
    pub env: Option<Vec<(String, String)>>,
    /// A shell to run the command with (Node: `shell`; `exec` uses
    /// `/bin/sh` unless this names another).
    pub shell: Shell,
    /// User id (Node: `uid`).
    pub uid: Option<u32>,
    /// Group id (Node: `gid`).
    pub gid: Option<u32>,
}

impl Default for ExecOptions {
    fn default() -> ExecOptions {
        ExecOptions {
            encoding: Some(Encoding::Utf8),
            timeout: None,
            max_buffer: Some(MAX_BUFFER),
            kill_signal: Signal::SIGTERM,
            cwd: None,
            env: None,
            shell: Shell::None,
            uid: None,
            gid: None,
        }
    }
}

impl ExecOptions {
    /// Node's defaults.
    pub fn new() -> ExecOptions {
        ExecOptions::default()
    }

    /// Sets `timeout`.
    pub fn timeout(mut self, t: Duration) -> ExecOptions {
        self.timeout = Some(t);
        self
    }

    /// Sets `maxBuffer` in bytes.
    pub fn max_buffer(mut self, n: usize) -> ExecOptions {
        self.max_buffer = Some(n);
        self
    }

    /// Sets `encoding`; `None` is Node's `'buffer'`.
    pub fn encoding(mut self, e: Option<Encoding>) -> ExecOptions {
        self.encoding = e;
        self
    }

    /// Sets `killSignal`.
    pub fn kill_signal(mut self, s: Signal) -> ExecOptions {
        self.kill_signal = s;
        self
    }

    /// Sets `cwd`.
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> ExecOptions {
        self.cwd = Some(cwd.into());
        self
    }
}

/// Collected output: a string when an encoding was given, else a Buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Decoded with the options' encoding.
    Text(String),
    /// Raw bytes (Node: `encoding: 'buffer'`).
    Buffer(Buffer),
}

impl Output {
    pub(crate) fn of(bytes: Vec<u8>, encoding: Option<Encoding>) -> Output {
        let b = Buffer::from(bytes);
        match encoding {
            Some(e) => Output::Text(b.to_string(e)),
            None => Output::Buffer(b),
        }
    }

    /// The text (lossily decoded as UTF-8 for a Buffer).
    pub fn to_text(&self) -> String {
        match self {
            Output::Text(s) => s.clone(),
            Output::Buffer(b) => String::from_utf8_lossy(b).into_owned(),
        }
    }

    /// The length: bytes of a Buffer, UTF-8 bytes of a text.
    pub fn len(&self) -> usize {
        match self {
            Output::Text(s) => s.len(),
            Output::Buffer(b) => b.len(),
        }
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// What a successful `exec` / `execFile` gives (Node: the callback's
/// `stdout` and `stderr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The child's standard output.
    pub stdout: Output,
    /// The child's standard error.
    pub stderr: Output,
}

/// Node's `err.code` on an exec error: the exit code, a code name, or null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecCode {
    /// The child exited with this non-zero code.
    Exit(i32),
    /// A named code: `ENOENT`, `ERR_CHILD_PROCESS_STDIO_MAXBUFFER`...
    Named(Code),
    /// No code (a signal ended the child: Node's `null`).
    Null,
}

/// The error of `exec` / `execFile` (Node: the callback's `err`), with
/// Node's fields and message (`Command failed: <cmd>\n<stderr>`).
#[derive(Debug, Clone)]
pub struct ExecError {
    /// Node's `err.message`.
    pub message: String,
    /// Node's `err.code`.
    pub code: ExecCode,
    /// Node's `err.signal` (set on `Command failed` errors).
    pub signal: Option<&'static str>,
    /// Node's `err.killed` (`None` where Node leaves it undefined).
    pub killed: Option<bool>,
    /// Node's `err.cmd`: the command line.
    pub cmd: String,
    /// What the child wrote to stdout (cut at `maxBuffer`).
    pub stdout: Output,
    /// What the child wrote to stderr (cut at `maxBuffer`).
    pub stderr: Output,
    /// The underlying error, when there is one (a spawn failure with errno,
    /// syscall, path and spawnargs; `ERR_CHILD_PROCESS_STDIO_MAXBUFFER`).
    pub error: Option<Error>,
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl ExecError {
    fn thrown(e: Error, cmd: String, encoding: Option<Encoding>) -> ExecError {
        ExecError {
            message: e.message().to_string(),
            code: ExecCode::Named(e.typed_code()),
            signal: None,
            killed: None,
            cmd,
            stdout: Output::of(Vec::new(), encoding),
            stderr: Output::of(Vec::new(), encoding),
            error: Some(e),
        }
    }
}

/// Runs `command` through `/bin/sh -c` and collects its output (Node:
/// `child_process.exec(command[, options], callback)`; here the callback's
/// arguments are the result).
///
/// ```
/// use rt_child_process::{exec, ExecOptions};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let out = exec("echo hi", ExecOptions::new()).await?;
/// assert_eq!(out.stdout.to_text(), "hi\n");
/// let err = exec("echo oops >&2; exit 2", ExecOptions::new()).await.unwrap_err();
/// assert_eq!(err.message, "Command failed: echo oops >&2; exit 2\noops\n");
/// assert_eq!(err.code, rt_child_process::ExecCode::Exit(2));
/// # Ok::<(), rt_child_process::ExecError>(())
/// # }).unwrap();
/// ```
#[doc(alias = "child_process.exec")]
pub async fn exec(command: &str, options: ExecOptions) -> Result<ExecOutput, ExecError> {
    let mut options = options;
    if options.shell == Shell::None {
        options.shell = Shell::Default;
    }
    exec_file(command, Vec::<String>::new(), options).await
}

/// Runs `file` with `args` directly (no shell unless `options.shell` says
/// so) and collects its output (Node: `child_process.execFile`).
#[doc(alias = "child_process.execFile")]
#[doc(alias = "execFile")]
pub async fn exec_file<I, S>(file: &str, args: I, options: ExecOptions) -> Result<ExecOutput, ExecError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    let encoding = options.encoding;
    let mut cmd = file.to_string();
    if !args.is_empty() {
        cmd.push(' ');
        cmd.push_str(&args.join(" "));
    }
    let spawn_options = SpawnOptions {
        cwd: options.cwd.clone(),
        env: options.env.clone(),
        shell: options.shell.clone(),
        uid: options.uid,
        gid: options.gid,
        ..SpawnOptions::default()
    };
    // The output readers take the streams in the setup: before the child's
    // task runs, so the pipes are never read ahead into a side buffer.
    let acc = Arc::new(Mutex::new(Collected::default()));
    let (max, signal) = (options.max_buffer, options.kill_signal);
    let mut readers = Vec::new();
    let child = crate::spawn_with(file, args, spawn_options, |c| {
        readers.extend(listen(c, &acc, 1, max, signal));
        readers.extend(listen(c, &acc, 2, max, signal));
    })
    .map_err(|e| ExecError::thrown(e, cmd.clone(), encoding))?;
    collect(child, acc, readers, cmd, options).await
}

#[derive(Default)]
struct Collected {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// The first error (maxBuffer), as Node's `ex`.
    ex: Option<Error>,
    killed: bool,
}

/// Node's `kill()` inside execFile: destroy both output streams, then signal.
fn kill(child: &ChildProcess, acc: &Mutex<Collected>, signal: Signal) {
    if let Some(s) = child.stdout() {
        s.destroy(None);
    }
    if let Some(s) = child.stderr() {
        s.destroy(None);
    }
    acc.lock().unwrap_or_else(|p| p.into_inner()).killed = true;
    child.kill(signal);
}

/// Reads one output stream to its end (pulling: Node's `'data'` listener),
/// keeping at most `max` bytes; past it, Node's `kill()`.
fn listen(
    child: &ChildProcess,
    acc: &Arc<Mutex<Collected>>,
    fd: usize,
    max: Option<usize>,
    signal: Signal,
) -> Option<tokio::task::JoinHandle<()>> {
    let stream = child.stdio().get(fd).and_then(Option::as_ref)?.clone();
    let (acc, c) = (acc.clone(), child.clone());
    Some(tokio::spawn(async move {
        while let Some(Ok(chunk)) = stream.read().await {
            let over = {
                let mut a = acc.lock().unwrap_or_else(|p| p.into_inner());
                let a = &mut *a;
                let out = if fd == 1 { &mut a.stdout } else { &mut a.stderr };
                match max {
                    Some(max) if out.len() + chunk.len() > max => {
                        let keep = max.saturating_sub(out.len());
                        out.extend_from_slice(&chunk[..keep]);
                        let which = if fd == 1 { "stdout" } else { "stderr" };
                        a.ex.get_or_insert_with(|| {
                            Error::new(
                                Code::ERR_CHILD_PROCESS_STDIO_MAXBUFFER,
                                format!("{which} maxBuffer length exceeded"),
                            )
                        });
                        true
                    }
                    _ => {
                        out.extend_from_slice(&chunk);
                        false
                    }
                }
            };
            if over {
                kill(&c, &acc, signal);
                break;
            }
        }
    }))
}

async fn collect(
    child: ChildProcess,
    acc: Arc<Mutex<Collected>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
    cmd: String,
    options: ExecOptions,
) -> Result<ExecOutput, ExecError> {
    let status = match options.timeout.filter(|t| !t.is_zero()) {
        None => child.closed().await,
        Some(t) => {
            tokio::select! {
                s = child.closed() => s,
                _ = tokio::time::sleep(t) => {
                    kill(&child, &acc, options.kill_signal);
                    child.closed().await
                }
            }
        }
    };
    // 'close' means both streams ended or were destroyed: the readers are done.
    for r in readers {
        let _ = r.await;
    }
    let mut a = acc.lock().unwrap_or_else(|p| p.into_inner());
    let a = &mut *a;
    let enc = options.encoding;
    let stdout = Output::of(std::mem::take(&mut a.stdout), enc);
    let stderr = Output::of(std::mem::take(&mut a.stderr), enc);
    let (code, signal) = match &status {
        Ok(info) => (info.code, info.signal),
        Err(_) => (None, None),
    };
    if let Err(spawn_error) = status {
        // Node's errorhandler: the spawn error itself, with cmd.
        return Err(ExecError {
            message: spawn_error.message().to_string(),
            code: ExecCode::Named(spawn_error.typed_code()),
            signal: None,
            killed: None,
            cmd,
            stdout,
            stderr,
            error: Some(spawn_error),
        });
    }
    if let Some(ex) = a.ex.take() {
        return Err(ExecError {
            message: ex.message().to_string(),
            code: ExecCode::Named(ex.typed_code()),
            signal: None,
            killed: None,
            cmd,
            stdout,
            stderr,
            error: Some(ex),
        });
    }
    if code == Some(0) && signal.is_none() {
        return Ok(ExecOutput { stdout, stderr });
    }
    Err(ExecError {
        message: format!("Command failed: {cmd}\n{}", stderr.to_text()),
        code: match code {
            Some(c) => ExecCode::Exit(c),
            None => ExecCode::Null,
        },
        signal,
        killed: Some(child.killed() || a.killed),
        cmd,
        stdout,
        stderr,
        error: None,
    })
}

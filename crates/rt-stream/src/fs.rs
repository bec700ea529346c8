//! File streams: Node's `fs.createReadStream` and `fs.createWriteStream`.
//!
//! Each file stream has one I/O thread (from tokio's blocking pool) that
//! works ahead of the stream: a read stream's thread reads up to a few chunks
//! in advance, so `_read` usually pushes a chunk that is already there; a
//! write stream's thread writes behind, so `_write` usually completes at once
//! and the stream's caller is only held back (`write()` -> `false`, then
//! `'drain'`) when the thread falls more than [`WRITE_BEHIND`] bytes behind.
//! A failed write surfaces on the next `write` or at `end` (before
//! `'finish'`), like a buffered writer's.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{IoSlice, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use rt_buffer::Buffer;

use crate::core::lock;
use crate::error::Error;
use crate::readable::ReadableOptions;
use crate::sink::{Completion, Sink, WriteOutcome};
use crate::source::{Pusher, Source};
use crate::writable::WritableOptions;
use crate::{Readable, Writable};

/// Default chunk size of file read streams: 64 KiB (Node's fs streams).
pub const FILE_HIGH_WATER_MARK: usize = 64 * 1024;
/// Bytes a read stream's thread reads ahead of the stream.
pub const READ_AHEAD: usize = 2 * 1024 * 1024;
/// Bytes a read stream's thread reads per system call; the block is cut into
/// `high_water_mark`-sized chunks without copying.
pub const READ_BLOCK: usize = 1024 * 1024;
/// Bytes a write stream's thread may lag behind before writes wait.
pub const WRITE_BEHIND: usize = 1024 * 1024;

/// Options of [`create_read_stream`] (Node's `fs.createReadStream(path, options)`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ReadStreamOptions {
    /// First byte to read. Node: `start`.
    pub start: Option<u64>,
    /// Last byte to read, inclusive, as Node. Node: `end`.
    pub end: Option<u64>,
    /// Chunk size and buffer mark (default 64 KiB). Node: `highWaterMark`.
    pub high_water_mark: Option<usize>,
    /// Decode to text with this encoding. Node: `encoding`.
    pub encoding: Option<String>,
}

option_setters!(ReadStreamOptions {
    /// Sets `start` (Node: `start`).
    start: Some (u64),
    /// Sets `end` (Node: `end`).
    end: Some (u64),
    /// Sets `high_water_mark` (Node: `highWaterMark`).
    #[doc(alias = "highWaterMark")]
    high_water_mark: Some (usize),
    /// Sets `encoding` (Node: `encoding`).
    encoding: Some into (String),
});

/// Options of [`create_write_stream`] (Node's `fs.createWriteStream(path, options)`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WriteStreamOptions {
    /// `"w"` (truncate, default), `"a"` (append), `"wx"` (fail if it exists),
    /// `"r+"` (write in place). Node: `flags`.
    pub flags: String,
    /// Byte position to write at. Node: `start`.
    pub start: Option<u64>,
    /// Buffer mark (default 16 KiB, as Node). Node: `highWaterMark`.
    pub high_water_mark: Option<usize>,
}

option_setters!(WriteStreamOptions {
    /// Sets `flags` (Node: `flags`).
    flags: into(String),
    /// Sets `start` (Node: `start`).
    start: Some(u64),
    /// Sets `high_water_mark` (Node: `highWaterMark`).
    #[doc(alias = "highWaterMark")]
    high_water_mark: Some(usize),
});

impl Default for WriteStreamOptions {
    fn default() -> Self {
        WriteStreamOptions {
            flags: "w".to_string(),
            start: None,
            high_water_mark: None,
        }
    }
}

struct ReadShared {
    queue: VecDeque<Buffer>,
    queued: usize,
    eof: bool,
    error: Option<Error>,
    closed: bool,
    waiting: Option<Pusher<Buffer>>,
}

struct ReadState {
    m: Mutex<ReadShared>,
    cv: Condvar,
}

struct FileSource {
    st: Arc<ReadState>,
}

impl Source<Buffer> for FileSource {
    fn read(&mut self, _size: usize, push: &Pusher<Buffer>) {
        let mut g = lock(&self.st.m);
        if let Some(c) = g.queue.pop_front() {
            let was_full = g.queued >= READ_AHEAD;
            g.queued -= c.len();
            drop(g);
            if was_full {
                self.st.cv.notify_one();
            }
            push.push(c);
        } else if let Some(e) = g.error.clone() {
            drop(g);
            push.destroy(Some(e));
        } else if g.eof {
            drop(g);
            push.push_end();
        } else {
            g.waiting = Some(push.clone());
        }
    }

    fn destroy(&mut self, err: Option<Error>) -> Option<Error> {
        let mut g = lock(&self.st.m);
        g.closed = true;
        g.waiting = None;
        g.queue.clear();
        drop(g);
        self.st.cv.notify_all();
        err
    }
}

impl Drop for FileSource {
    fn drop(&mut self) {
        lock(&self.st.m).closed = true;
        self.st.cv.notify_all();
    }
}

fn reader_thread(mut file: File, mut remaining: Option<u64>, chunk: usize, st: Arc<ReadState>) {
    let block = (READ_BLOCK / chunk).max(1) * chunk;
    loop {
        {
            let mut g = lock(&st.m);
            while g.queued >= READ_AHEAD && !g.closed {
                g = st.cv.wait(g).unwrap_or_else(|e| e.into_inner());
            }
            if g.closed {
                return;
            }
        }
        let want = match remaining {
            Some(r) => (r.min(block as u64)) as usize,
            None => block,
        };
        let mut buf = Vec::with_capacity(want);
        let res = if want == 0 {
            Ok(0)
        } else {
            (&mut file).take(want as u64).read_to_end(&mut buf)
        };
        let mut g = lock(&st.m);
        let last = match res {
            Ok(0) => {
                g.eof = true;
                true
            }
            Ok(n) => {
                if let Some(r) = remaining.as_mut() {
                    *r -= n as u64;
                }
                // Cut the block into chunks of the stream's size (shared memory).
                let all = Buffer::from(buf);
                let mut at = 0;
                while at < n {
                    let end = (at + chunk).min(n);
                    g.queue.push_back(all.subarray(at as i64, end as i64));
                    at = end;
                }
                g.queued += n;
                // A short read is the end of the file (or of the range).
                if n < want || remaining == Some(0) {
                    g.eof = true;
                    true
                } else {
                    false
                }
            }
            Err(e) => {
                g.error = Some(Error::from_io(&e, "read", None));
                true
            }
        };
        if let Some(p) = g.waiting.take() {
            if let Some(c) = g.queue.pop_front() {
                g.queued -= c.len();
                drop(g);
                p.push(c);
            } else if let Some(e) = g.error.clone() {
                drop(g);
                p.destroy(Some(e));
            } else if g.eof {
                drop(g);
                p.push_end();
            }
        }
        if last {
            return;
        }
    }
}

fn spawn_io(f: impl FnOnce() + Send + 'static) {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            h.spawn_blocking(f);
        }
        Err(_) => {
            std::thread::spawn(f);
        }
    }
}

/// Opens `path` and streams its bytes (from `start` to `end` inclusive), in
/// chunks of `high_water_mark` (64 KiB). Node: `fs.createReadStream(path, options)`.
///
/// The file is opened before this returns: a missing file is an `Err` with
/// Node's `ENOENT` (code, errno, syscall `open`, path) rather than a later
/// `'error'` event.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use rt_stream::fs::{create_read_stream, ReadStreamOptions};
/// let dir = std::env::temp_dir().join(format!("rt-fs-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("hello.txt");
/// std::fs::write(&path, "hello world").unwrap();
/// // fs.createReadStream(path, { start: 6, end: 10 })
/// let r = create_read_stream(&path, ReadStreamOptions::default().start(6).end(10))?;
/// let chunks = r.read_all().await?;
/// assert_eq!(chunks.concat(), b"world");
/// let err = create_read_stream(dir.join("missing"), Default::default()).unwrap_err();
/// assert_eq!(err.code(), "ENOENT");
/// # Ok::<(), rt_stream::Error>(())
/// # }).unwrap();
/// ```
#[doc(alias = "createReadStream")]
pub fn create_read_stream(
    path: impl AsRef<Path>,
    opts: ReadStreamOptions,
) -> Result<Readable<Buffer>, Error> {
    let path = path.as_ref();
    let shown = path.to_string_lossy().into_owned();
    let hwm = opts.high_water_mark.unwrap_or(FILE_HIGH_WATER_MARK);
    if hwm == 0 {
        return Err(Error::invalid_arg_value("options.highWaterMark", "0"));
    }
    if let (Some(s), Some(e)) = (opts.start, opts.end) {
        if s > e {
            return Err(Error::out_of_range(
                "start",
                &format!("<= \"end\" (here: {e})"),
                &s.to_string(),
            ));
        }
    }
    let mut file = File::open(path).map_err(|e| Error::from_io(&e, "open", Some(&shown)))?;
    let start = opts.start.unwrap_or(0);
    if start > 0 {
        file.seek(SeekFrom::Start(start))
            .map_err(|e| Error::from_io(&e, "read", Some(&shown)))?;
    }
    let remaining = opts.end.map(|e| e + 1 - start);
    let st = Arc::new(ReadState {
        m: Mutex::new(ReadShared {
            queue: VecDeque::new(),
            queued: 0,
            eof: false,
            error: None,
            closed: false,
            waiting: None,
        }),
        cv: Condvar::new(),
    });
    let st2 = st.clone();
    spawn_io(move || reader_thread(file, remaining, hwm, st2));
    Ok(Readable::from_source(
        FileSource { st },
        ReadableOptions {
            high_water_mark: Some(hwm),
            encoding: opts.encoding,
            ..Default::default()
        },
    ))
}

struct WriteShared {
    queue: VecDeque<Buffer>,
    queued: usize,
    waiting: Option<Completion>,
    closing: Option<Completion>,
    error: Option<Error>,
    aborted: bool,
    detached: bool,
}

struct WriteState {
    m: Mutex<WriteShared>,
    cv: Condvar,
}

struct FileSink {
    st: Arc<WriteState>,
}

impl Sink<Buffer> for FileSink {
    fn write(&mut self, chunk: Buffer) -> WriteOutcome {
        let mut g = lock(&self.st.m);
        if let Some(e) = g.error.clone() {
            return WriteOutcome::Done(Err(e));
        }
        g.queued += chunk.len();
        g.queue.push_back(chunk);
        let out = if g.queued <= WRITE_BEHIND {
            WriteOutcome::ok()
        } else {
            let (c, o) = WriteOutcome::deferred();
            g.waiting = Some(c);
            o
        };
        drop(g);
        self.st.cv.notify_one();
        out
    }

    fn finish(&mut self) -> Option<WriteOutcome> {
        let mut g = lock(&self.st.m);
        if let Some(e) = g.error.clone() {
            return Some(WriteOutcome::Done(Err(e)));
        }
        let (c, o) = WriteOutcome::deferred();
        g.closing = Some(c);
        drop(g);
        self.st.cv.notify_one();
        Some(o)
    }

    fn destroy(&mut self, err: Option<Error>) -> Option<Error> {
        let mut g = lock(&self.st.m);
        g.aborted = true;
        drop(g);
        self.st.cv.notify_one();
        err
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        // The stream is gone: the thread writes what it holds, then closes.
        lock(&self.st.m).detached = true;
        self.st.cv.notify_one();
    }
}

fn write_all_vectored(file: &mut File, chunks: &[Buffer]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
    let mut bufs = &mut slices[..];
    while !bufs.is_empty() {
        match file.write_vectored(bufs) {
            Ok(0) => return Err(std::io::Error::from(std::io::ErrorKind::WriteZero)),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn writer_thread(mut file: File, path: String, st: Arc<WriteState>) {
    let mut batch: Vec<Buffer> = Vec::new();
    loop {
        let closing = {
            let mut g = lock(&st.m);
            loop {
                if g.aborted {
                    return;
                }
                if !g.queue.is_empty() {
                    // Take what is queued (up to 64 chunks): one writev.
                    let n = g.queue.len().min(64);
                    batch.extend(g.queue.drain(..n));
                    break false;
                }
                if g.closing.is_some() || g.detached {
                    break true;
                }
                g = st.cv.wait(g).unwrap_or_else(|e| e.into_inner());
            }
        };
        if !closing {
            let res = write_all_vectored(&mut file, &batch);
            let bytes: usize = batch.iter().map(|c| c.len()).sum();
            batch.clear();
            // Completions run stream code (the next write lands in this
            // state): never complete with the lock held.
            let (done, close) = {
                let mut g = lock(&st.m);
                g.queued -= bytes;
                match res {
                    Ok(()) => {
                        let w = if g.queued <= WRITE_BEHIND {
                            g.waiting.take().map(|w| (w, Ok(())))
                        } else {
                            None
                        };
                        (w, None)
                    }
                    Err(e) => {
                        let err = Error::from_io(&e, "write", Some(&path));
                        g.error = Some(err.clone());
                        g.queue.clear();
                        g.queued = 0;
                        let w = g.waiting.take().map(|w| (w, Err(err.clone())));
                        let c = g.closing.take().map(|c| (c, Err(err)));
                        (w, c)
                    }
                }
            };
            if let Some((c, r)) = close {
                c.complete(r);
            }
            if let Some((w, r)) = done {
                w.complete(r);
            }
        } else {
            let res = file.flush().map_err(|e| Error::from_io(&e, "close", Some(&path)));
            let c = lock(&st.m).closing.take();
            drop(file);
            if let Some(c) = c {
                c.complete(res);
            }
            return;
        }
    }
}

/// Opens (creates) `path` for writing and returns a byte writable into it.
/// Node: `fs.createWriteStream(path, options)` with `flags` `'w'`, `'a'`,
/// `'wx'` or `'r+'` and `start`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use rt_stream::fs::{create_write_stream, WriteStreamOptions};
/// let dir = std::env::temp_dir().join(format!("rt-fs-wdoc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("out.txt");
/// let w = create_write_stream(&path, WriteStreamOptions::default())?;
/// w.write("hello ")?;
/// w.end_with("world")?;
/// rt_stream::finished(&w).await?;
/// assert_eq!(std::fs::read(&path).unwrap(), b"hello world");
/// let e = create_write_stream(&path, WriteStreamOptions::default().flags("wx")).unwrap_err();
/// assert_eq!(e.code(), "EEXIST");
/// # Ok::<(), rt_stream::Error>(())
/// # }).unwrap();
/// ```
#[doc(alias = "createWriteStream")]
pub fn create_write_stream(
    path: impl AsRef<Path>,
    opts: WriteStreamOptions,
) -> Result<Writable<Buffer>, Error> {
    let path = path.as_ref();
    let shown = path.to_string_lossy().into_owned();
    let mut oo = OpenOptions::new();
    match opts.flags.as_str() {
        "w" => oo.write(true).create(true).truncate(true),
        "wx" | "xw" => oo.write(true).create_new(true),
        "a" => oo.append(true).create(true),
        "ax" | "xa" => oo.append(true).create_new(true),
        "r+" => oo.read(true).write(true),
        "w+" => oo.read(true).write(true).create(true).truncate(true),
        other => {
            return Err(Error::invalid_arg_value("flags", &format!("'{other}'")));
        }
    };
    let mut file = oo
        .open(path)
        .map_err(|e| Error::from_io(&e, "open", Some(&shown)))?;
    if let Some(s) = opts.start {
        file.seek(SeekFrom::Start(s))
            .map_err(|e| Error::from_io(&e, "write", Some(&shown)))?;
    }
    let st = Arc::new(WriteState {
        m: Mutex::new(WriteShared {
            queue: VecDeque::new(),
            queued: 0,
            waiting: None,
            closing: None,
            error: None,
            aborted: false,
            detached: false,
        }),
        cv: Condvar::new(),
    });
    let st2 = st.clone();
    spawn_io(move || writer_thread(file, shown, st2));
    Ok(Writable::new(
        FileSink { st },
        WritableOptions {
            high_water_mark: opts.high_water_mark,
            ..Default::default()
        },
    ))
}

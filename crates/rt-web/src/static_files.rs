//! Static files: express's `serve-static` / the `send` npm package on
//! rt-http, with their rules for `Content-Type`, `ETag`, `Last-Modified`,
//! conditional requests (304, 412), ranges (206, 416), HEAD, directories
//! (index file, redirect to the slash) and dotfiles, and a path resolver
//! that refuses every traversal ([`crate::static_path`]).
//!
//! Bodies are streamed from rt-stream's file read streams
//! (`fs::create_read_stream` with `start` / `end`), written to the response
//! one chunk at a time and waiting for the response to drain whenever it is
//! full: a slow client holds the file reading back, never memory.
//!
//! Differences from `send` (documented, on purpose): an encoded `/` or `\`
//! in a segment (`%2F`, `%5C`) or a raw `\` is refused with 403 (send
//! decodes them first and would serve `a%2Fb` as `a/b`); error answers are
//! short plain-text bodies rather than express's HTML pages.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rt_http::{IncomingMessage, ServerResponse};
use rt_stream::fs::{ReadStreamOptions, create_read_stream};

use crate::mime_types::content_type_for;
use crate::range::{RangeResult, parse_range};
use crate::static_path::{PathRefusal, join_under, segments};

/// Options of [`ServeStatic`]. Node: `serveStatic(root, options)`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StaticOptions {
    /// File served for a directory URL ending in `/` (default `index.html`). Node: `index`.
    pub index: Option<String>,
    /// `Cache-Control: public, max-age=N` in seconds (default 0). Node: `maxAge`.
    pub max_age: u64,
    /// Send `ETag` (default true). Node: `etag`.
    pub etag: bool,
    /// Send `Last-Modified` (default true). Node: `lastModified`.
    pub last_modified: bool,
    /// Redirect a directory URL without its trailing `/` (default true). Node: `redirect`.
    pub redirect: bool,
    /// On a missing file or a method other than GET / HEAD, answer nothing
    /// and return [`Served::Next`] (default true); otherwise answer 404 / 405.
    /// Node: `fallthrough`.
    pub fallthrough: bool,
}

impl Default for StaticOptions {
    fn default() -> Self {
        StaticOptions {
            index: Some("index.html".to_string()),
            max_age: 0,
            etag: true,
            last_modified: true,
            redirect: true,
            fallthrough: true,
        }
    }
}

impl StaticOptions {
    /// Sets `max_age` in seconds. Node: `maxAge`.
    #[doc(alias = "maxAge")]
    pub fn max_age(mut self, secs: u64) -> Self {
        self.max_age = secs;
        self
    }

    /// Sets `fallthrough`. Node: `fallthrough`.
    pub fn fallthrough(mut self, on: bool) -> Self {
        self.fallthrough = on;
        self
    }

    /// Sets the index file (`None`: no index). Node: `index`.
    pub fn index(mut self, name: Option<&str>) -> Self {
        self.index = name.map(str::to_string);
        self
    }
}

/// What [`ServeStatic::serve`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// It answered with this status (200, 206, 301, 304, 400, 403, 404, 405, 412, 416, 500).
    Answered(u16),
    /// Nothing here for this request (fallthrough): the response is untouched. Node: `next()`.
    Next,
}

/// A directory served over HTTP. Node: `express.static(root)` / `serveStatic(root)`.
///
/// ```no_run
/// # async fn run() -> Result<(), rt_stream::Error> {
/// use std::sync::Arc;
/// use rt_web::static_files::{ServeStatic, Served};
/// let files = Arc::new(ServeStatic::new("public"));
/// let server = rt_http::create_server(move |req: rt_http::IncomingMessage, res: rt_http::ServerResponse| {
///     let files = files.clone();
///     async move {
///         if files.serve(&req, &res).await == Served::Next {
///             res.set_status_code(404);
///             let _ = res.end_with("not here");
///         }
///     }
/// });
/// server.listen(("127.0.0.1", 8080)).await?;
/// # Ok(()) }
/// ```
#[doc(alias = "serveStatic")]
#[doc(alias = "express.static")]
#[derive(Debug, Clone)]
pub struct ServeStatic {
    root: PathBuf,
    opts: StaticOptions,
}

struct FileFacts {
    size: u64,
    mtime: SystemTime,
    is_dir: bool,
}

impl ServeStatic {
    /// Serves the files under `root` with the default options.
    pub fn new(root: impl Into<PathBuf>) -> ServeStatic {
        ServeStatic::with_options(root, StaticOptions::default())
    }

    /// Serves the files under `root`. Node: `serveStatic(root, options)`.
    pub fn with_options(root: impl Into<PathBuf>, opts: StaticOptions) -> ServeStatic {
        ServeStatic {
            root: root.into(),
            opts,
        }
    }

    /// The served folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Answers `req` from the folder, or returns [`Served::Next`] (missing
    /// file or other method, with `fallthrough`) leaving `res` untouched.
    pub async fn serve(&self, req: &IncomingMessage, res: &ServerResponse) -> Served {
        let method = req.method();
        if method != "GET" && method != "HEAD" {
            if self.opts.fallthrough {
                return Served::Next;
            }
            let _ = res.set_header("Allow", "GET, HEAD");
            let _ = res.set_header("Content-Length", "0");
            return answer(res, 405, "");
        }
        let segs = match segments(req.url()) {
            Ok(s) => s,
            Err(PathRefusal::BadRequest) => return answer(res, 400, "Bad Request"),
            Err(PathRefusal::Forbidden) => return answer(res, 403, "Forbidden"),
        };
        // send's dotfiles 'ignore': a segment starting with '.' is not there.
        if segs.iter().any(|s| s.starts_with('.')) {
            return self.not_found(res);
        }
        let mut path = match join_under(&self.root, &segs) {
            Ok(p) => p,
            Err(_) => return answer(res, 403, "Forbidden"),
        };
        let Some(mut facts) = stat(&path).await else {
            return self.not_found(res);
        };
        if facts.is_dir {
            let url_path = req.url().split(['?', '#']).next().unwrap_or("/");
            if !url_path.ends_with('/') {
                if !self.opts.redirect {
                    return self.not_found(res);
                }
                let loc = format!("{url_path}/");
                let _ = res.set_header("Location", loc.as_str());
                let _ = res.set_header("Content-Type", "text/html; charset=UTF-8");
                let _ = res.set_header("Content-Security-Policy", "default-src 'none'");
                let _ = res.set_header("X-Content-Type-Options", "nosniff");
                return answer_raw(
                    res,
                    301,
                    &format!("Redirecting to {loc}\n"),
                    req.method() == "HEAD",
                );
            }
            let Some(index) = &self.opts.index else {
                return self.not_found(res);
            };
            path.push(index);
            match stat(&path).await {
                Some(f) if !f.is_dir => facts = f,
                _ => return self.not_found(res),
            }
        }
        self.send_file(req, res, &path, &facts).await
    }

    fn not_found(&self, res: &ServerResponse) -> Served {
        if self.opts.fallthrough {
            Served::Next
        } else {
            answer(res, 404, "Not Found")
        }
    }

    async fn send_file(
        &self,
        req: &IncomingMessage,
        res: &ServerResponse,
        path: &Path,
        f: &FileFacts,
    ) -> Served {
        let etag = etag(f);
        let last_modified = httpdate::fmt_http_date(f.mtime);
        let _ = res.set_header("Accept-Ranges", "bytes");
        let _ = res.set_header("Cache-Control", format!("public, max-age={}", self.opts.max_age));
        if self.opts.last_modified {
            let _ = res.set_header("Last-Modified", last_modified.as_str());
        }
        if self.opts.etag {
            let _ = res.set_header("ETag", etag.as_str());
        }
        let etag_sent = self.opts.etag.then_some(etag.as_str());
        let lm_sent = self.opts.last_modified.then_some(f.mtime);
        // send: conditional GET -> 412 on a failed precondition, 304 when fresh.
        if precondition_failed(req, etag_sent, lm_sent) {
            return answer(res, 412, "Precondition Failed");
        }
        if fresh(req, etag_sent, lm_sent) {
            for h in [
                "Content-Type",
                "Content-Length",
                "Content-Range",
                "Content-Encoding",
                "Content-Language",
            ] {
                let _ = res.remove_header(h);
            }
            res.set_status_code(304);
            let _ = res.end();
            return Served::Answered(304);
        }
        let mut status = 200;
        let (mut start, mut len) = (0u64, f.size);
        if let Some(range) = req.header("range")
            && range.trim_start().starts_with("bytes=")
        {
            let mut parsed = parse_range(f.size, range.trim_start());
            if !range_fresh(req, &etag, f.mtime) {
                parsed = RangeResult::Malformed;
            }
            match parsed {
                RangeResult::Unsatisfiable => {
                    let _ = res.set_header("Content-Range", format!("bytes */{}", f.size));
                    return answer(res, 416, "Range Not Satisfiable");
                }
                RangeResult::Ranges(r) if r.len() == 1 => {
                    status = 206;
                    start = r[0].start;
                    len = r[0].end - r[0].start + 1;
                    let _ = res.set_header(
                        "Content-Range",
                        format!("bytes {}-{}/{}", r[0].start, r[0].end, f.size),
                    );
                }
                _ => {}
            }
        }
        if !res.has_header("Content-Type") {
            let _ = res.set_header("Content-Type", content_type_for(path));
        }
        let _ = res.set_header("Content-Length", len.to_string());
        res.set_status_code(status);
        if req.method() == "HEAD" || len == 0 {
            let _ = res.end();
            return Served::Answered(status);
        }
        let opts = ReadStreamOptions::default().start(start).end(start + len - 1);
        let rs = match create_read_stream(path, opts) {
            Ok(rs) => rs,
            Err(_) => {
                for h in ["Content-Length", "Content-Range", "Content-Type"] {
                    let _ = res.remove_header(h);
                }
                return answer(res, 500, "Internal Server Error");
            }
        };
        loop {
            match rs.read().await {
                None => break,
                Some(Ok(chunk)) => match res.write(&chunk) {
                    Ok(true) => {}
                    Ok(false) => res.drained().await,
                    Err(_) => {
                        rs.destroy(None);
                        return Served::Answered(status);
                    }
                },
                Some(Err(_)) => {
                    // The head is out: all that is left is to cut the
                    // connection short of Content-Length (send: res.destroy).
                    let _ = res.set_header("Connection", "close");
                    rs.destroy(None);
                    return Served::Answered(status);
                }
            }
        }
        let _ = res.end();
        Served::Answered(status)
    }
}

fn answer(res: &ServerResponse, status: u16, body: &str) -> Served {
    if !body.is_empty() {
        let _ = res.set_header("Content-Type", "text/plain; charset=utf-8");
        let _ = res.set_header("X-Content-Type-Options", "nosniff");
    }
    answer_raw(res, status, body, false)
}

fn answer_raw(res: &ServerResponse, status: u16, body: &str, head: bool) -> Served {
    res.set_status_code(status);
    let _ = res.set_header("Content-Length", body.len().to_string());
    let _ = if head { res.end() } else { res.end_with(body) };
    Served::Answered(status)
}

async fn stat(path: &Path) -> Option<FileFacts> {
    let p = path.to_path_buf();
    let m = tokio::task::spawn_blocking(move || std::fs::metadata(p))
        .await
        .ok()?
        .ok()?;
    Some(FileFacts {
        size: m.len(),
        mtime: m.modified().unwrap_or(UNIX_EPOCH),
        is_dir: m.is_dir(),
    })
}

/// The `etag` npm package's weak tag for a file: `W/"<size hex>-<mtime ms hex>"`.
fn etag(f: &FileFacts) -> String {
    let ms = f
        .mtime
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("W/\"{:x}-{:x}\"", f.size, ms)
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn http_date(v: &str) -> Option<u64> {
    httpdate::parse_http_date(v.trim()).ok().map(secs)
}

fn tokens(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|t| !t.is_empty())
}

fn etag_matches(token: &str, etag: &str) -> bool {
    token == etag || format!("W/{token}") == etag || token == format!("W/{etag}")
}

/// The `fresh` npm package: 304 when every validator the client sent matches.
fn fresh(req: &IncomingMessage, etag: Option<&str>, last_modified: Option<SystemTime>) -> bool {
    let ims = req.header("if-modified-since");
    let inm = req.header("if-none-match");
    if ims.is_none() && inm.is_none() {
        return false;
    }
    if req
        .header("cache-control")
        .is_some_and(|c| c.to_ascii_lowercase().contains("no-cache"))
    {
        return false;
    }
    if let Some(inm) = &inm
        && inm.trim() != "*"
    {
        let Some(etag) = etag else { return false };
        if !tokens(inm).any(|t| etag_matches(t, etag)) {
            return false;
        }
    }
    if let Some(ims) = &ims {
        let fresh = match (last_modified, http_date(ims)) {
            (Some(lm), Some(since)) => secs(lm) <= since,
            _ => false,
        };
        if !fresh {
            return false;
        }
    }
    true
}

/// send's `isPreconditionFailure`: `If-Match` / `If-Unmodified-Since`.
fn precondition_failed(req: &IncomingMessage, etag: Option<&str>, last_modified: Option<SystemTime>) -> bool {
    if let Some(m) = req.header("if-match") {
        if m.trim() != "*" {
            return match etag {
                Some(etag) => !tokens(&m).any(|t| etag_matches(t, etag)),
                None => true,
            };
        }
        return false;
    }
    if let (Some(ius), Some(lm)) = (
        req.header("if-unmodified-since").and_then(|v| http_date(&v)),
        last_modified,
    ) {
        return secs(lm) > ius;
    }
    false
}

/// send's `isRangeFresh`: an `If-Range` that no longer matches drops the range.
fn range_fresh(req: &IncomingMessage, etag: &str, mtime: SystemTime) -> bool {
    let Some(ir) = req.header("if-range") else {
        return true;
    };
    if ir.contains('"') {
        return ir.contains(etag);
    }
    http_date(&ir).is_some_and(|d| secs(mtime) <= d)
}

//! `multipart/form-data` bodies with files streamed to disk: the npm
//! `multer` middleware's disk storage on an rt-http request.
//!
//! Parsing is the `multer` crate's (rwf2/multer, the streaming parser under
//! axum and Rocket): it never holds a whole part, yields each part's bytes as
//! they arrive, and enforces the whole-body and per-field limits itself.
//! Files go to disk through [`UploadFile`] (blocks written by tokio's
//! blocking pool; the request is read no faster than the disk takes it). Every file of a request that fails -- a limit, a
//! malformed body, a client that disconnects mid-upload, a handler future
//! dropped -- is removed; files of a request that succeeds are the caller's.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rt_http::IncomingMessage;

use crate::body_error::BodyError;
use crate::content_type;
use crate::raw_body::{check_identity_encoding, declared_length};
use crate::upload_file::UploadFile;

/// Limits and destination of [`read_multipart`]. Node: `multer({ dest, limits })`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MultipartOptions {
    /// Folder the files are written to (it must exist). Node: `dest`.
    pub dest: PathBuf,
    /// Largest file in bytes (default 10 MiB). Node: `limits.fileSize`.
    pub file_size: u64,
    /// Largest whole body in bytes (default 100 MiB).
    pub total: u64,
    /// Largest text field value in bytes (default 1 MiB, as multer). Node: `limits.fieldSize`.
    pub field_size: u64,
    /// Most text fields (default 1000). Node: `limits.fields`.
    pub fields: usize,
    /// Most files (default 100). Node: `limits.files`.
    pub files: usize,
}

impl MultipartOptions {
    /// Options writing files into `dest`, with the default limits.
    pub fn new(dest: impl Into<PathBuf>) -> MultipartOptions {
        MultipartOptions {
            dest: dest.into(),
            file_size: 10 * 1024 * 1024,
            total: 100 * 1024 * 1024,
            field_size: 1024 * 1024,
            fields: 1000,
            files: 100,
        }
    }

    /// Sets the per-file limit. Node: `limits.fileSize`.
    #[doc(alias = "fileSize")]
    pub fn file_size(mut self, n: u64) -> Self {
        self.file_size = n;
        self
    }

    /// Sets the whole-body limit.
    pub fn total(mut self, n: u64) -> Self {
        self.total = n;
        self
    }

    /// Sets the text field value limit. Node: `limits.fieldSize`.
    #[doc(alias = "fieldSize")]
    pub fn field_size(mut self, n: u64) -> Self {
        self.field_size = n;
        self
    }

    /// Sets the most text fields. Node: `limits.fields`.
    pub fn fields(mut self, n: usize) -> Self {
        self.fields = n;
        self
    }

    /// Sets the most files. Node: `limits.files`.
    pub fn files(mut self, n: usize) -> Self {
        self.files = n;
        self
    }
}

/// A file written to disk. Node: multer's `req.file` / `req.files[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The form field's name. Node: `fieldname`.
    #[doc(alias = "fieldname")]
    pub field_name: String,
    /// The client's file name, if it sent one. Node: `originalname`.
    #[doc(alias = "originalname")]
    pub original_name: Option<String>,
    /// The part's `Content-Type`, if any. Node: `mimetype`.
    #[doc(alias = "mimetype")]
    pub content_type: Option<String>,
    /// Where the file is on disk (a fresh name inside `dest`). Node: `path`.
    pub path: PathBuf,
    /// Bytes written. Node: `size`.
    pub size: u64,
}

/// A read form: text fields in order and the files on disk. Node: multer's
/// `req.body` and `req.files`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multipart {
    /// Text fields `(name, value)` in the order they came. Node: `req.body`.
    pub fields: Vec<(String, String)>,
    /// Files in the order they came. Node: `req.files`.
    pub files: Vec<UploadedFile>,
}

impl Multipart {
    /// The first text field named `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first file sent as field `name`. Node: `req.file` with `upload.single(name)`.
    pub fn file(&self, name: &str) -> Option<&UploadedFile> {
        self.files.iter().find(|f| f.field_name == name)
    }
}

/// Removes the files it holds when dropped unless disarmed: the cleanup of
/// a failed, aborted or dropped upload.
struct PartialFiles {
    paths: Vec<PathBuf>,
}

impl Drop for PartialFiles {
    fn drop(&mut self) {
        for p in self.paths.drain(..) {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// Reads a `multipart/form-data` body, streaming each file part to a new
/// file in `opts.dest`. `Ok(None)` when the request is not
/// `multipart/form-data` (multer calls `next()`). Limits answer 413, a
/// malformed body (no boundary, a truncated part, a part with no name) 400,
/// and every file written for a failing request is removed before the error
/// returns (also when the future is dropped mid-way).
///
/// ```
/// # async fn handler(req: rt_http::IncomingMessage, res: rt_http::ServerResponse) {
/// use rt_web::multipart::{MultipartOptions, read_multipart};
/// let opts = MultipartOptions::new(std::env::temp_dir()).file_size(1 << 20);
/// match read_multipart(&req, &opts).await {
///     Ok(Some(form)) => { let _ = res.end_with(format!("{} files", form.files.len())); }
///     Ok(None) => { res.set_status_code(415); let _ = res.end(); }
///     Err(e) => e.send(&res),
/// }
/// # }
/// ```
#[doc(alias = "multer")]
#[doc(alias = "upload.any")]
pub async fn read_multipart(
    req: &IncomingMessage,
    opts: &MultipartOptions,
) -> Result<Option<Multipart>, BodyError> {
    let Some(ct) = content_type::of(req).filter(|ct| ct.is("multipart/form-data")) else {
        return Ok(None);
    };
    let Some(boundary) = ct.param("boundary").filter(|b| !b.is_empty()).map(str::to_string) else {
        return Err(BodyError::parse("multipart: missing boundary in Content-Type"));
    };
    check_identity_encoding(req)?;
    if declared_length(req).is_some_and(|n| n > opts.total) {
        return Err(BodyError::too_large("a multipart body", opts.total));
    }
    let mut partial = PartialFiles { paths: Vec::new() };
    let result = read_parts(req, opts, boundary, &mut partial).await;
    match result {
        Ok(form) => {
            partial.paths.clear();
            Ok(Some(form))
        }
        Err(e) => {
            req.pause();
            drop(partial);
            Err(e)
        }
    }
}

async fn read_parts(
    req: &IncomingMessage,
    opts: &MultipartOptions,
    boundary: String,
    partial: &mut PartialFiles,
) -> Result<Multipart, BodyError> {
    let body = futures_util::stream::unfold(req.clone(), |req| async move {
        let next = req.read().await;
        let next = next?;
        Some((next.map(|b| b.to_bytes()), req))
    });
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(opts.total));
    let mut mp = multer::Multipart::with_constraints(body, boundary, constraints);
    let mut form = Multipart::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(form),
            Err(e) => return Err(map_err(e, opts)),
        };
        let Some(name) = field.name().map(str::to_string) else {
            return Err(BodyError::parse(
                "multipart: a part has no name (Content-Disposition: form-data; name=\"...\")",
            ));
        };
        if let Some(file_name) = field.file_name().map(str::to_string) {
            if form.files.len() >= opts.files {
                return Err(BodyError::too_large_count("files", opts.files));
            }
            let content_type = field.content_type().map(|m| m.to_string());
            let path = fresh_path(&opts.dest);
            let file = UploadFile::create(&path)
                .map_err(|e| BodyError::internal(format!("multipart: cannot create the upload file: {e}")))?;
            partial.paths.push(path.clone());
            let size = write_field(field, file, opts.file_size)
                .await
                .map_err(|e| e.unwrap_or_else(|e| map_err(e, opts)))?;
            form.files.push(UploadedFile {
                field_name: name,
                original_name: Some(file_name),
                content_type,
                path,
                size,
            });
        } else {
            if form.fields.len() >= opts.fields {
                return Err(BodyError::too_large_count("fields", opts.fields));
            }
            let mut field = field;
            let mut value = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(c)) => {
                        if (value.len() + c.len()) as u64 > opts.field_size {
                            return Err(BodyError::too_large(
                                &format!("field \"{name}\""),
                                opts.field_size,
                            ));
                        }
                        value.extend_from_slice(&c);
                    }
                    Ok(None) => break,
                    Err(e) => return Err(map_err(e, opts)),
                }
            }
            let value = String::from_utf8(value)
                .map_err(|_| BodyError::parse(format!("multipart: field \"{name}\" is not valid UTF-8")))?;
            form.fields.push((name, value));
        }
    }
}

/// Streams one file part into `ws`; `Err(Ok(e))` for our own errors,
/// `Err(Err(e))` for the parser's.
async fn write_field(
    mut field: multer::Field<'_>,
    mut file: UploadFile,
    limit: u64,
) -> Result<u64, Result<BodyError, multer::Error>> {
    let mut size = 0u64;
    loop {
        match field.chunk().await {
            Ok(Some(c)) if c.is_empty() => {}
            Ok(Some(c)) => {
                size += c.len() as u64;
                if size > limit {
                    return Err(Ok(BodyError::too_large("a file", limit)));
                }
                file.write(&c).await.map_err(|e| {
                    Ok(BodyError::internal(format!(
                        "multipart: writing the upload failed: {e}"
                    )))
                })?;
            }
            Ok(None) => break,
            Err(e) => return Err(Err(e)),
        }
    }
    file.finish().await.map_err(|e| {
        Ok(BodyError::internal(format!(
            "multipart: writing the upload failed: {e}"
        )))
    })?;
    Ok(size)
}

fn map_err(e: multer::Error, opts: &MultipartOptions) -> BodyError {
    match e {
        multer::Error::StreamSizeExceeded { .. } => BodyError::too_large("a multipart body", opts.total),
        multer::Error::FieldSizeExceeded { .. } => BodyError::too_large("a field", opts.field_size),
        multer::Error::StreamReadFailed(_) => BodyError::aborted(),
        other => BodyError::parse(format!("multipart: {other}")),
    }
}

/// A name no other upload of this process has: `rt-upload-<pid>-<n>-<nanos>`
/// (created with `wx`, so a clash fails instead of overwriting).
fn fresh_path(dest: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    dest.join(format!("rt-upload-{}-{n}-{nanos:08x}", std::process::id()))
}

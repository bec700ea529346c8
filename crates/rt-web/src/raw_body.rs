//! Reading a whole request body into memory under a byte limit (the
//! `raw-body` npm package that body-parser uses): a declared
//! `Content-Length` past the limit is refused before any byte is read, and
//! reading stops at the first chunk that crosses it.

use rt_http::IncomingMessage;

use crate::body_error::BodyError;
use crate::inflate::{Coding, Inflater};

/// body-parser's default limit for JSON and urlencoded bodies: `'100kb'`.
pub const DEFAULT_LIMIT: u64 = 100 * 1024;

/// The request's declared `Content-Length`, if it has a valid one.
pub fn declared_length(req: &IncomingMessage) -> Option<u64> {
    req.header("content-length").and_then(|v| v.trim().parse().ok())
}

/// Refuses a `Content-Encoding` other than `identity` (what raw-body and multer
/// take): 415.
pub fn check_identity_encoding(req: &IncomingMessage) -> Result<(), BodyError> {
    match req.header("content-encoding") {
        Some(e) if !e.trim().eq_ignore_ascii_case("identity") => {
            Err(BodyError::encoding(&e.trim().to_ascii_lowercase()))
        }
        _ => Ok(()),
    }
}

/// Reads the whole body as body-parser's `read` does: inflated by its
/// `Content-Encoding` (`coding`, from [`Coding::from_header`]), at most `limit`
/// inflated bytes (413 at the first byte past it; a declared `Content-Length`
/// past it is refused before reading when the body is not coded). A coded body
/// that does not inflate is a 400.
pub async fn read_coded(
    req: &IncomingMessage,
    coding: Coding,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, BodyError> {
    let declared = declared_length(req);
    if coding == Coding::Identity && declared.is_some_and(|n| n > limit) {
        return Err(BodyError::too_large(what, limit));
    }
    let capacity = declared.unwrap_or(0).min(limit) as usize;
    let mut inflater = Inflater::new(coding, limit, what, capacity);
    loop {
        match req.read().await {
            None => return inflater.finish(),
            Some(Err(_)) => return Err(BodyError::aborted()),
            Some(Ok(chunk)) => {
                if let Err(e) = inflater.push(&chunk) {
                    req.pause();
                    return Err(e);
                }
            }
        }
    }
}

/// Reads the whole body, at most `limit` bytes: a body of exactly `limit`
/// bytes is read, one byte more is a 413 [`BodyError`] and nothing more is
/// read. Node: `getRawBody(req, { limit })`.
#[doc(alias = "getRawBody")]
pub async fn read_limited(req: &IncomingMessage, limit: u64, what: &str) -> Result<Vec<u8>, BodyError> {
    check_identity_encoding(req)?;
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyError::too_large(what, limit));
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit) as usize);
    loop {
        match req.read().await {
            None => return Ok(body),
            Some(Err(_)) => return Err(BodyError::aborted()),
            Some(Ok(chunk)) => {
                if (body.len() + chunk.len()) as u64 > limit {
                    req.pause();
                    return Err(BodyError::too_large(what, limit));
                }
                body.extend_from_slice(&chunk);
            }
        }
    }
}

//! The JSON body reader: body-parser's `json()` (limit, strict mode, type
//! check, UTF-8 only) on an rt-http request.

use rt_http::IncomingMessage;
use serde_json::Value;

use crate::body_error::BodyError;
use crate::content_type;
use crate::raw_body::{DEFAULT_LIMIT, read_limited};

/// Options of [`read_json`]. Node: `bodyParser.json({ limit, strict, type })`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JsonOptions {
    /// Largest body in bytes (default 100 KiB, body-parser's `'100kb'`). Node: `limit`.
    pub limit: u64,
    /// Accept only an object or an array at the top (default `true`). Node: `strict`.
    pub strict: bool,
    /// The media type the reader handles (default `application/json`;
    /// `application/*+json` style patterns work). Node: `type`.
    pub media_type: String,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            limit: DEFAULT_LIMIT,
            strict: true,
            media_type: "application/json".to_string(),
        }
    }
}

impl JsonOptions {
    /// Sets `limit` in bytes. Node: `limit`.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// Sets `strict`. Node: `strict`.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Sets the handled media type. Node: `type`.
    #[doc(alias = "type")]
    pub fn media_type(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = media_type.into();
        self
    }
}

/// Reads a JSON body. `Ok(None)` when the request's `Content-Type` is not
/// the handled type (body-parser leaves `req.body` alone and calls `next()`);
/// an empty body is `{}` as in body-parser. Past the limit: 413; not JSON,
/// or (strict) not an object or array: 400 with the parser's message; a
/// charset other than UTF-8: 415.
///
/// ```
/// # async fn handler(req: rt_http::IncomingMessage, res: rt_http::ServerResponse) {
/// use rt_web::json::{JsonOptions, read_json};
/// match read_json(&req, &JsonOptions::default().limit(1024)).await {
///     Ok(Some(body)) => { let _ = res.end_with(body.to_string()); }
///     Ok(None) => { res.set_status_code(415); let _ = res.end(); }
///     Err(e) => e.send(&res),
/// }
/// # }
/// ```
#[doc(alias = "bodyParser.json")]
#[doc(alias = "express.json")]
pub async fn read_json(req: &IncomingMessage, opts: &JsonOptions) -> Result<Option<Value>, BodyError> {
    let Some(ct) = content_type::of(req).filter(|ct| ct.is(&opts.media_type)) else {
        return Ok(None);
    };
    if let Some(cs) = ct.param("charset") {
        // body-parser decodes any `utf-*` through iconv; rt reads UTF-8 only.
        if !cs.eq_ignore_ascii_case("utf-8") {
            return Err(BodyError::charset(cs));
        }
    }
    let body = read_limited(req, opts.limit, "a JSON body").await?;
    parse_json(&body, opts.strict).map(Some)
}

/// Parses a JSON body as body-parser does: empty is `{}`; in strict mode the
/// first non-blank character must open an object or an array.
pub fn parse_json(body: &[u8], strict: bool) -> Result<Value, BodyError> {
    if body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    if strict {
        let first = body.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        if let Some(&c) = first
            && c != b'{'
            && c != b'['
        {
            return Err(BodyError::parse(format!(
                "invalid JSON: strict mode accepts only an object or an array, found {:?} first",
                c as char
            )));
        }
    }
    serde_json::from_slice(body).map_err(|e| BodyError::parse(format!("invalid JSON: {e}")))
}

//! The JSON body reader: body-parser's `json()` (limit, strict mode, type
//! check, `utf-*` charsets, gzip / deflate bodies) on an rt-http request.

use rt_http::IncomingMessage;
use serde_json::Value;

use crate::body_error::BodyError;
use crate::charset::{self, Charset};
use crate::content_type;
use crate::inflate::Coding;
use crate::raw_body::{DEFAULT_LIMIT, read_coded};

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
    /// Inflate `gzip` / `deflate` bodies (default `true`); off, a coded body is a 415.
    /// Node: `inflate`.
    pub inflate: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            limit: DEFAULT_LIMIT,
            strict: true,
            media_type: "application/json".to_string(),
            inflate: true,
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

    /// Sets `inflate`. Node: `inflate`.
    pub fn inflate(mut self, inflate: bool) -> Self {
        self.inflate = inflate;
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
/// an empty body is `{}` as in body-parser. Past the limit (counted after
/// inflating): 413; not JSON, or (strict) not an object or array: 400 with
/// the parser's message; a body that does not inflate: 400.
///
/// Charsets as body-parser: the `charset` parameter must start with `utf-`
/// (RFC 7159), else 415; UTF-8 (the default), UTF-16LE, UTF-16BE and UTF-16
/// (byte order from the BOM or guessed, as iconv-lite) are decoded, a leading
/// BOM dropped, malformed bytes read as U+FFFD; UTF-32 and UTF-7 are a 415 in
/// rt ([`crate::charset`]). `Content-Encoding`: `gzip` and `deflate` are
/// inflated (unless `inflate` is off: 415), anything else is a 415, as
/// express 4's body-parser ([`crate::inflate`]).
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
    let label = ct.param("charset").unwrap_or("utf-8").to_ascii_lowercase();
    // RFC 7159 sec 8.1, as body-parser: only `utf-*` before anything is read.
    if !label.starts_with("utf-") {
        return Err(BodyError::charset(&label));
    }
    let coding = Coding::from_header(req.header("content-encoding").as_deref(), opts.inflate)?;
    let Some(charset) = Charset::from_label(&label) else {
        return Err(BodyError::charset(&label));
    };
    let body = read_coded(req, coding, opts.limit, "a JSON body").await?;
    parse_json_text(&charset::decode(&body, charset), opts.strict).map(Some)
}

/// Parses a UTF-8 JSON body as body-parser does: a leading BOM dropped and
/// malformed bytes read as U+FFFD (iconv-lite's decoding), then
/// [`parse_json_text`].
pub fn parse_json(body: &[u8], strict: bool) -> Result<Value, BodyError> {
    parse_json_text(&charset::decode(body, Charset::Utf8), strict)
}

/// Parses decoded JSON text as body-parser does: empty is `{}`; in strict mode
/// the first non-blank character must open an object or an array.
pub fn parse_json_text(body: &str, strict: bool) -> Result<Value, BodyError> {
    if body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    if strict {
        let first = body.chars().find(|b| !matches!(b, ' ' | '\t' | '\n' | '\r'));
        if let Some(c) = first
            && c != '{'
            && c != '['
        {
            return Err(BodyError::parse(format!(
                "invalid JSON: strict mode accepts only an object or an array, found {:?} first",
                c
            )));
        }
    }
    serde_json::from_str(body).map_err(|e| BodyError::parse(format!("invalid JSON: {e}")))
}

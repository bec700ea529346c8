//! The `application/x-www-form-urlencoded` body reader: body-parser's
//! `urlencoded({ extended: false })`, parsing with Node's `querystring`
//! ([`crate::querystring`]).

use rt_http::IncomingMessage;

use crate::body_error::BodyError;
use crate::charset::{self, Charset};
use crate::content_type;
use crate::inflate::Coding;
use crate::querystring::{ParseOptions, ParsedQuery, parse_with};
use crate::raw_body::{DEFAULT_LIMIT, read_coded};

/// Options of [`read_urlencoded`]. Node: `bodyParser.urlencoded({ limit, parameterLimit })`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UrlencodedOptions {
    /// Largest body in bytes (default 100 KiB, body-parser's `'100kb'`). Node: `limit`.
    pub limit: u64,
    /// Most parameters (default 1000); more is a 413. Node: `parameterLimit`.
    pub parameter_limit: usize,
    /// Inflate `gzip` / `deflate` bodies (default `true`); off, a coded body is a 415.
    /// Node: `inflate`.
    pub inflate: bool,
}

impl Default for UrlencodedOptions {
    fn default() -> Self {
        UrlencodedOptions {
            limit: DEFAULT_LIMIT,
            parameter_limit: 1000,
            inflate: true,
        }
    }
}

impl UrlencodedOptions {
    /// Sets `limit` in bytes. Node: `limit`.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// Sets `inflate`. Node: `inflate`.
    pub fn inflate(mut self, inflate: bool) -> Self {
        self.inflate = inflate;
        self
    }

    /// Sets `parameter_limit`. Node: `parameterLimit`.
    #[doc(alias = "parameterLimit")]
    pub fn parameter_limit(mut self, n: usize) -> Self {
        self.parameter_limit = n;
        self
    }
}

/// Reads a form body. `Ok(None)` when the request is not
/// `application/x-www-form-urlencoded` (body-parser calls `next()`); an
/// empty body is an empty form. Past `limit` bytes or `parameter_limit`
/// parameters (counted after inflating a `gzip` / `deflate` body): 413; a
/// charset other than UTF-8, or another `Content-Encoding`: 415. Bytes that
/// are not UTF-8 become U+FFFD and a leading BOM is dropped, as body-parser's
/// decoding (iconv-lite) does.
///
/// ```
/// # async fn handler(req: rt_http::IncomingMessage, res: rt_http::ServerResponse) {
/// use rt_web::urlencoded::{UrlencodedOptions, read_urlencoded};
/// match read_urlencoded(&req, &UrlencodedOptions::default()).await {
///     Ok(Some(form)) => { let _ = res.end_with(form.get("name").unwrap_or("?").to_string()); }
///     Ok(None) => { res.set_status_code(415); let _ = res.end(); }
///     Err(e) => e.send(&res),
/// }
/// # }
/// ```
#[doc(alias = "bodyParser.urlencoded")]
#[doc(alias = "express.urlencoded")]
pub async fn read_urlencoded(
    req: &IncomingMessage,
    opts: &UrlencodedOptions,
) -> Result<Option<ParsedQuery>, BodyError> {
    let Some(ct) = content_type::of(req).filter(|ct| ct.is("application/x-www-form-urlencoded")) else {
        return Ok(None);
    };
    if let Some(cs) = ct.param("charset")
        && !cs.eq_ignore_ascii_case("utf-8")
    {
        return Err(BodyError::charset(cs));
    }
    let coding = Coding::from_header(req.header("content-encoding").as_deref(), opts.inflate)?;
    let body = read_coded(req, coding, opts.limit, "a urlencoded body").await?;
    parse_form(&body, opts.parameter_limit).map(Some)
}

/// Parses a form body as body-parser does: more than `parameter_limit`
/// `&`-separated parameters is a 413 (`parameters.too.many`).
pub fn parse_form(body: &[u8], parameter_limit: usize) -> Result<ParsedQuery, BodyError> {
    let text = charset::decode(body, Charset::Utf8);
    if text.is_empty() {
        return Ok(ParsedQuery::new());
    }
    let count = text.bytes().filter(|&b| b == b'&').count() + 1;
    if count > parameter_limit {
        return Err(BodyError {
            status: 413,
            kind: "parameters.too.many",
            message: format!("too many parameters: at most {parameter_limit}"),
        });
    }
    let opts = ParseOptions {
        max_keys: parameter_limit,
        ..ParseOptions::default()
    };
    Ok(parse_with(&text, None, None, &opts))
}

//! The one error type of the body readers: an HTTP status (400, 413, 415),
//! body-parser's error `type` string and a clear message, sendable as the
//! answer with [`BodyError::send`].

use rt_http::ServerResponse;

/// Why a body could not be read. Node: the `http-errors` object that
/// body-parser passes to `next(err)` (`err.status`, `err.type`, `err.message`).
///
/// Statuses follow body-parser, not the notes: a body past its limit is
/// **413** (`entity.too.large`; the notes answer 400), a malformed body is
/// 400, an unsupported charset or content encoding is 415.
#[doc(alias = "HttpError")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    /// The HTTP status to answer with. Node: `err.status`.
    pub status: u16,
    /// body-parser's error type, e.g. `"entity.too.large"`. Node: `err.type`.
    pub kind: &'static str,
    /// A message a client can act on. Node: `err.message`.
    pub message: String,
}

impl BodyError {
    /// A body past its limit: 413 `entity.too.large`. Node: raw-body's `request entity too large`.
    pub fn too_large(what: &str, limit: u64) -> BodyError {
        BodyError {
            status: 413,
            kind: "entity.too.large",
            message: format!("request entity too large: {what} is limited to {limit} bytes"),
        }
    }

    /// A malformed body: 400 `entity.parse.failed`.
    pub fn parse(message: impl Into<String>) -> BodyError {
        BodyError {
            status: 400,
            kind: "entity.parse.failed",
            message: message.into(),
        }
    }

    /// The client went away before the body was whole: 400 `request.aborted`.
    pub fn aborted() -> BodyError {
        BodyError {
            status: 400,
            kind: "request.aborted",
            message: "request aborted".to_string(),
        }
    }

    /// A charset the reader cannot decode: 415 `charset.unsupported`.
    pub fn charset(charset: &str) -> BodyError {
        BodyError {
            status: 415,
            kind: "charset.unsupported",
            message: format!("unsupported charset \"{}\"", charset.to_ascii_uppercase()),
        }
    }

    /// A `Content-Encoding` the reader does not inflate: 415 `encoding.unsupported`.
    pub fn encoding(encoding: &str) -> BodyError {
        BodyError {
            status: 415,
            kind: "encoding.unsupported",
            message: format!("unsupported content encoding \"{encoding}\""),
        }
    }

    /// A server-side failure while storing the body (disk full...): 500.
    pub fn internal(message: impl Into<String>) -> BodyError {
        BodyError {
            status: 500,
            kind: "internal",
            message: message.into(),
        }
    }

    /// Answers with this error: its status, `Content-Type: text/plain`, the
    /// message as the body. A 413 also closes the connection, so that the
    /// rest of an oversized body is never read (Node's `Connection: close`
    /// ends the socket without reading on).
    #[doc(alias = "next(err)")]
    pub fn send(&self, res: &ServerResponse) {
        if res.headers_sent() {
            return;
        }
        res.set_status_code(self.status);
        let _ = res.set_header("Content-Type", "text/plain; charset=utf-8");
        // The rest of the body is unread after these: close rather than read it.
        if self.status == 413 || self.kind == "request.aborted" || self.kind == "encoding.failed" {
            let _ = res.set_header("Connection", "close");
        }
        let _ = res.end_with(format!("{}\n", self.message));
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.kind, self.message)
    }
}

impl std::error::Error for BodyError {}

impl BodyError {
    /// Too many parts of one kind: 413. Node: multer's `LIMIT_FILE_COUNT` / `LIMIT_FIELD_COUNT`.
    pub fn too_large_count(what: &str, limit: usize) -> BodyError {
        BodyError {
            status: 413,
            kind: "entity.too.large",
            message: format!("request entity too large: at most {limit} {what}"),
        }
    }
}

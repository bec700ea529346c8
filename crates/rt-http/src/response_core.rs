//! `ServerResponse`'s rules without I/O: how the request shapes the response
//! (HEAD, HTTP/1.0, keep-alive, `Expect: 100-continue`), `writeHead`, the
//! implicit head, `write` and `end`, producing the exact bytes Node's
//! `ServerResponse` puts on the wire (collected by
//! [`Outgoing::take_output`](crate::Outgoing::take_output)).

use std::borrow::Cow;

use rt_stream::Error;

use crate::outgoing::{Message, OutValue, Outgoing, has_invalid_char, has_token, plain, push_u64};
use crate::status::status_text;

/// What a response needs to know about its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFacts<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The request's version.
    pub version: (u8, u8),
    /// The request's `TE` header, if any (HTTP/1.0 clients may ask for chunked).
    pub te: Option<&'a str>,
    /// Whether the parser says the connection may persist.
    pub keep_alive: bool,
    /// Whether the request said `Expect: 100-continue`.
    pub expect_continue: bool,
}

/// A response being written: status, headers and framing state.
#[doc(alias = "ServerResponse")]
#[derive(Debug, Clone)]
pub struct ResponseCore {
    /// The outgoing message's headers and framing.
    pub out: Outgoing,
    status_message: Option<Cow<'static, str>>,
    expect_continue: bool,
    sent_100: bool,
}

impl ResponseCore {
    /// A response to `req`, as Node's server sets one up (`keepAliveTimeout`
    /// in milliseconds; `maxRequestsPerSocket`, 0 for no limit).
    pub fn new(
        req: RequestFacts<'_>,
        keep_alive_timeout_ms: u64,
        max_requests_per_socket: u64,
    ) -> ResponseCore {
        let mut out = Outgoing::default();
        out.send_date = true;
        out.keep_alive_timeout_ms = keep_alive_timeout_ms;
        out.max_requests_per_socket = max_requests_per_socket;
        if req.method == "HEAD" {
            out.has_body = false;
        }
        if req.version.0 < 1 || req.version.1 < 1 {
            out.use_chunked_by_default = req.te.is_some_and(|te| has_token(te, "chunked"));
        }
        // Node's server sets this after the constructor, so an HTTP/1.0
        // request with `Connection: keep-alive` does keep the connection.
        out.should_keep_alive = req.keep_alive;
        ResponseCore {
            out,
            status_message: None,
            expect_continue: req.expect_continue,
            sent_100: false,
        }
    }

    /// `statusCode`.
    #[doc(alias = "statusCode")]
    pub fn status_code(&self) -> u16 {
        self.out.status_code
    }

    /// Sets `statusCode` (used by the implicit head).
    #[doc(alias = "statusCode")]
    pub fn set_status_code(&mut self, code: u16) {
        self.out.status_code = code;
    }

    /// `statusMessage`.
    #[doc(alias = "statusMessage")]
    pub fn status_message(&self) -> Option<&str> {
        self.status_message.as_deref()
    }

    /// Sets `statusMessage`.
    #[doc(alias = "statusMessage")]
    pub fn set_status_message(&mut self, msg: impl Into<String>) {
        self.status_message = Some(Cow::Owned(msg.into()));
    }

    /// `writeHead(statusCode[, statusMessage][, headers])`.
    #[doc(alias = "writeHead")]
    pub fn write_head(
        &mut self,
        status: u32,
        reason: Option<&str>,
        headers: Option<Vec<(String, OutValue)>>,
    ) -> Result<(), Error> {
        if self.out.headers_sent() {
            return Err(Error::new(
                "ERR_HTTP_HEADERS_SENT",
                "Cannot write headers after they are sent to the client",
            ));
        }
        if !(100..=999).contains(&status) {
            return Err(Error::new(
                "ERR_HTTP_INVALID_STATUS_CODE",
                format!("Invalid status code: {status}"),
            ));
        }
        let status = status as u16;
        match reason {
            Some(r) => self.status_message = Some(Cow::Owned(r.to_string())),
            None => {
                if self.status_message.as_deref().unwrap_or("").is_empty() {
                    self.status_message = Some(Cow::Borrowed(status_text(status).unwrap_or("unknown")));
                }
            }
        }
        self.out.status_code = status;
        let explicit = if self.out.touched() {
            for (name, value) in headers.into_iter().flatten() {
                if !name.is_empty() {
                    self.out.set_header(&name, value)?;
                }
            }
            None
        } else {
            Some(headers.unwrap_or_default())
        };
        let message = self.status_message.as_deref().unwrap_or_default();
        let first_ascii = plain(message);
        if !first_ascii && has_invalid_char(message) {
            return Err(Error::new(
                "ERR_INVALID_CHAR",
                "Invalid character in statusMessage",
            ));
        }
        if status == 204 || status == 304 || (100..=199).contains(&status) {
            self.out.has_body = false;
        }
        if self.expect_continue && !self.sent_100 {
            self.out.should_keep_alive = false;
        }
        // The status line straight into the head (no String of its own).
        let mut head = crate::outgoing::take_head_buffer();
        head.push_str("HTTP/1.1 ");
        push_u64(&mut head, u64::from(status));
        head.push(' ');
        head.push_str(message);
        head.push_str("\r\n");
        self.out.store_header_into(head, first_ascii, explicit.as_deref())
    }

    /// `writeContinue()`: an interim `100 Continue`.
    #[doc(alias = "writeContinue")]
    pub fn write_continue(&mut self) {
        self.out.write_raw(b"HTTP/1.1 100 Continue\r\n\r\n");
        self.sent_100 = true;
    }
}

impl Message for ResponseCore {
    fn outgoing(&mut self) -> &mut Outgoing {
        &mut self.out
    }

    fn implicit_head(&mut self) -> Result<(), Error> {
        let status = u32::from(self.out.status_code);
        self.write_head(status, None, None)
    }
}

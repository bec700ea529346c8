//! [`HttpError`]: what a route handler or middleware returns instead of answering, turned
//! into a response by the [`Router`](crate::router::Router) (express's `next(err)` and its
//! final handler, the `http-errors` shape: a status and a message).

use std::fmt;

use crate::body_error::BodyError;

/// An error that becomes a response: `status` (400..=599) and a `message`.
///
/// Any `std::error::Error` converts into one (`?` works in handlers) as a 500, except a body
/// reader's [`BodyError`], which keeps its status and message. As in
/// `http-errors`, a 4xx message is shown to the client (`expose`) while a 5xx answer says only
/// the status text ("Internal Server Error") and the message goes to stderr, as express's
/// final handler logs `err.stack`.
#[doc(alias = "http-errors")]
#[doc(alias = "createError")]
pub struct HttpError {
    /// The answer's status code. Node: `err.status`.
    pub status: u16,
    /// What happened. Node: `err.message`.
    pub message: String,
    /// Whether the message is sent to the client (true below 500). Node: `err.expose`.
    pub expose: bool,
    /// Headers to send with the answer (e.g. `Allow`, `WWW-Authenticate`). Node: `err.headers`.
    pub headers: Vec<(String, String)>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HttpError {
    /// `createError(status, message)`. A status outside 400..=599 becomes 500, as in
    /// `http-errors`.
    #[doc(alias = "createError")]
    pub fn new(status: u16, message: impl Into<String>) -> HttpError {
        let status = if (400..=599).contains(&status) {
            status
        } else {
            500
        };
        HttpError {
            status,
            message: message.into(),
            expose: status < 500,
            headers: Vec::new(),
            source: None,
        }
    }

    /// A 500 with `message` (not shown to the client).
    #[doc(alias = "createError(500)")]
    pub fn internal(message: impl Into<String>) -> HttpError {
        HttpError::new(500, message)
    }

    /// Adds a header to the answer.
    #[doc(alias = "err.headers")]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> HttpError {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The error this one was made from, if any.
    #[doc(alias = "err.cause")]
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// What the client is told: the message when `expose`, else the status text.
    #[doc(alias = "err.expose")]
    pub fn public_message(&self) -> String {
        if self.expose {
            self.message.clone()
        } else {
            rt_http::status_text(self.status)
                .unwrap_or("Internal Server Error")
                .to_string()
        }
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HttpError {
    fn from(e: E) -> HttpError {
        // A body reader's error keeps its status (400 / 413 / 415) and message.
        let any: &dyn std::any::Any = &e;
        let mut err = match any.downcast_ref::<BodyError>() {
            Some(b) if b.status == 413 => {
                HttpError::new(b.status, b.message.clone()).with_header("Connection", "close")
            }
            Some(b) => HttpError::new(b.status, b.message.clone()),
            None => HttpError::internal(e.to_string()),
        };
        err.source = Some(Box::new(e));
        err
    }
}

impl fmt::Debug for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpError")
            .field("status", &self.status)
            .field("message", &self.message)
            .field("expose", &self.expose)
            .field("headers", &self.headers)
            .finish()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

/// What a handler may return: `()` or `Result<(), E>` with `E: Into<HttpError>`.
#[doc(alias = "next(err)")]
pub trait IntoOutcome {
    /// The handler's outcome.
    fn into_outcome(self) -> Result<(), HttpError>;
}

impl IntoOutcome for () {
    fn into_outcome(self) -> Result<(), HttpError> {
        Ok(())
    }
}

impl<E: Into<HttpError>> IntoOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), HttpError> {
        self.map_err(Into::into)
    }
}

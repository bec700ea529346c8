//! HTTP Basic authentication (RFC 7617): [`parse`] an `Authorization: Basic ...` header as
//! the `basic-auth` npm package does (scheme case-insensitive, base64 of `user:pass` in UTF-8,
//! the user ends at the first `:`), a credentials check in constant time ([`Credentials::is`]:
//! SHA-256 of both sides compared with the `subtle` crate, so neither content nor length
//! leaks through timing), and a middleware answering 401 with
//! `WWW-Authenticate: Basic realm="...", charset="UTF-8"`.
//!
//! ```no_run
//! use rt_web::basic_auth::{BasicAuth, User};
//! use rt_web::{HttpError, Request, Router};
//! use rt_http::ServerResponse;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // The notes: if (!user || user.name !== 'admin' || user.pass !== 'secret') { 401 }
//! let mut app = Router::new();
//! app.use_at("/admin", BasicAuth::user("admin", "secret").realm("admin area").middleware());
//! app.get("/admin", |req: Request, res: ServerResponse| async move {
//!     let user: User = req.get().expect("authenticated");
//!     res.end_with(format!("hello {}", user.0))?;
//!     Ok::<(), HttpError>(())
//! });
//! app.listen(3000).await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use rt_http::ServerResponse;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::HttpError;
use crate::request::Request;
use crate::router::{BoxFuture, Next};

/// A user name and password from an `Authorization: Basic` header. basic-auth: the
/// `{ name, pass }` object.
#[doc(alias = "basic-auth")]
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name (everything before the first `:`). Node: `name`.
    pub name: String,
    /// The password (everything after it). Node: `pass`.
    pub pass: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("name", &self.name)
            .field("pass", &"<hidden>")
            .finish()
    }
}

fn ct_eq(a: &str, b: &str) -> bool {
    let (ha, hb) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    bool::from(ha.as_slice().ct_eq(hb.as_slice()))
}

impl Credentials {
    /// Whether these are `name` / `pass`, compared in constant time (both always compared).
    /// Node: `tsscmp(user.name, name) & tsscmp(user.pass, pass)`.
    #[doc(alias = "tsscmp")]
    pub fn is(&self, name: &str, pass: &str) -> bool {
        let n = ct_eq(&self.name, name);
        let p = ct_eq(&self.pass, pass);
        n & p
    }
}

/// Node's `Buffer.from(s, 'base64')`: both alphabets, characters outside them skipped,
/// decoding stops at the first `=`, a last group of 2 or 3 characters gives 1 or 2 bytes.
fn node_base64(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let (mut acc, mut n) = (0u32, 0u8);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            (acc, n) = (0, 0);
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

/// Parses an `Authorization` header value: `Basic <token68>` (any case, spaces around), the
/// token base64 of `user:pass` decoded as UTF-8 (invalid bytes become U+FFFD, as Node's
/// `toString()`). `None` for another scheme, bad base64, or no `:`. basic-auth:
/// `auth.parse(string)`.
#[doc(alias = "auth.parse")]
pub fn parse(header: &str) -> Option<Credentials> {
    let s = header.trim_start_matches(' ');
    let scheme = s.get(..5)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let rest = &s[5..];
    let token = rest.trim_start_matches(' ');
    if token.len() == rest.len() {
        return None; // no space after the scheme
    }
    let token = token.trim_end_matches(' ');
    let body = token.trim_end_matches('=');
    if body.is_empty()
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~+/-".contains(&b))
    {
        return None;
    }
    let bytes = node_base64(body);
    let text = String::from_utf8_lossy(&bytes);
    let (name, pass) = text.split_once(':')?;
    // basic-auth's `/^([^:]*):(.*)$/`: `.` stops at line breaks (`[^:]` does not).
    if pass.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return None;
    }
    Some(Credentials {
        name: name.to_owned(),
        pass: pass.to_owned(),
    })
}

/// The request's Basic credentials, if any. basic-auth: `auth(req)`.
#[doc(alias = "auth")]
pub fn credentials(req: &rt_http::IncomingMessage) -> Option<Credentials> {
    parse(&req.header("authorization")?)
}

/// The authenticated user's name, attached to the request by [`BasicAuth::middleware`]
/// (`req.get::<User>()`). express: `req.user`.
#[doc(alias = "req.user")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User(pub String);

type Verify = Arc<dyn Fn(&Credentials) -> bool + Send + Sync>;

/// The Basic authentication middleware's configuration: a realm and a check.
/// express-basic-auth: `basicAuth({ users, challenge: true, realm })`.
#[doc(alias = "express-basic-auth")]
#[derive(Clone)]
pub struct BasicAuth {
    realm: String,
    verify: Verify,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth").field("realm", &self.realm).finish()
    }
}

impl BasicAuth {
    /// Accepts the credentials `verify` approves (it should compare with
    /// [`Credentials::is`]).
    #[doc(alias = "basicAuth({ authorizer })")]
    pub fn new(verify: impl Fn(&Credentials) -> bool + Send + Sync + 'static) -> BasicAuth {
        BasicAuth {
            realm: "Secure Area".into(),
            verify: Arc::new(verify),
        }
    }

    /// Accepts one user.
    #[doc(alias = "basicAuth({ users })")]
    pub fn user(name: impl Into<String>, pass: impl Into<String>) -> BasicAuth {
        let (name, pass) = (name.into(), pass.into());
        BasicAuth::new(move |c| c.is(&name, &pass))
    }

    /// Accepts any of `users` (`(name, pass)`); every entry is compared, in constant time.
    #[doc(alias = "basicAuth({ users })")]
    pub fn users(users: Vec<(String, String)>) -> BasicAuth {
        BasicAuth::new(move |c| users.iter().fold(false, |ok, (n, p)| ok | c.is(n, p)))
    }

    /// The realm named in the challenge (default `Secure Area`).
    #[doc(alias = "options.realm")]
    pub fn realm(mut self, realm: impl Into<String>) -> BasicAuth {
        self.realm = realm.into();
        self
    }

    /// The 401 answer: `WWW-Authenticate: Basic realm="...", charset="UTF-8"` (RFC 7617's
    /// `charset` parameter; `"` and `\` in the realm escaped).
    #[doc(alias = "WWW-Authenticate")]
    pub fn challenge(&self) -> HttpError {
        let realm = self.realm.replace('\\', "\\\\").replace('"', "\\\"");
        HttpError::new(401, "Unauthorized").with_header(
            "WWW-Authenticate",
            format!("Basic realm=\"{realm}\", charset=\"UTF-8\""),
        )
    }

    /// Checks a request: its user on success, the 401 challenge otherwise.
    #[doc(alias = "auth(req)")]
    pub fn check(&self, req: &rt_http::IncomingMessage) -> Result<User, HttpError> {
        match credentials(req) {
            Some(c) if (self.verify)(&c) => Ok(User(c.name)),
            _ => Err(self.challenge()),
        }
    }

    /// The middleware: 401 unless the request carries accepted credentials; on success the
    /// [`User`] is attached to the request.
    #[doc(alias = "app.use(basicAuth())")]
    pub fn middleware(&self) -> impl Fn(Request, ServerResponse, Next) -> BoxFuture + Send + Sync + 'static {
        let auth = self.clone();
        move |req: Request, res: ServerResponse, next: Next| {
            let checked = auth.check(req.message());
            Box::pin(async move {
                req.insert(checked?);
                next.run(req, res).await
            })
        }
    }
}

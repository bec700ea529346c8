//! Sessions (express-session's model): a session id in a signed cookie
//! (`s:<id>.<HMAC-SHA256>`, the `cookie-signature` format, so express-session apps and rt can
//! read each other's cookies given the same secret), the data kept server-side as JSON in a
//! [`SessionStore`]: [`MemoryStore`] by default, [`RedisStore`](crate::session_redis::RedisStore)
//! to share sessions between processes. Expiry is the store's time to live, restarted on each
//! request that carries the session (express-session's `touch`).
//!
//! Writes go to the store when made ([`Session::set`], [`Session::save`]): a handler's answer
//! never races its own session write. The cookie is set the first time a new session is saved
//! (express-session's `saveUninitialized: false`), so it must be saved before the response's
//! head is sent.
//!
//! ```no_run
//! use rt_web::session::{Session, Sessions};
//! use rt_web::{HttpError, Request, Router};
//! use rt_http::{OutValue, ServerResponse};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // The notes: app.use(session({ secret: 'keyboard cat' })); req.session.views++
//! let mut app = Router::new();
//! app.use_fn(Sessions::memory(b"keyboard cat".to_vec()).middleware());
//! app.get("/", |req: Request, res: ServerResponse| async move {
//!     let session: Session = req.get().expect("the session middleware ran");
//!     let views = session.get::<u64>("views").unwrap_or(0) + 1;
//!     session.set("views", views).await?;
//!     res.end_with(format!("views: {views}"))?;
//!     Ok::<(), HttpError>(())
//! });
//! app.listen(3000).await?;
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rt_http::{OutValue, ServerResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::cookie::{self, CookieOptions};
use crate::error::HttpError;
use crate::request::Request;
use crate::router::{BoxFuture, Next};
use crate::session_store::{MemoryStore, SessionStore};
use crate::signature;

/// The options of the session middleware. express-session: `session(options)`.
#[doc(alias = "session options")]
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The cookie's name (default `connect.sid`, express-session's). Node: `name`.
    pub name: String,
    /// The signing secrets: the first signs, any of them verifies (rotation). Node: `secret`.
    pub secrets: Vec<Vec<u8>>,
    /// How long an untouched session lives in the store (default 1 day). Node: the store's
    /// `ttl`.
    pub ttl: Duration,
    /// The cookie's attributes (default `Path=/; HttpOnly`, no `Max-Age`: a browser-session
    /// cookie, as express-session). Node: `cookie`.
    pub cookie: CookieOptions,
}

impl SessionOptions {
    /// The defaults with `secret`.
    #[doc(alias = "session({ secret })")]
    pub fn new(secret: impl Into<Vec<u8>>) -> SessionOptions {
        SessionOptions {
            name: "connect.sid".into(),
            secrets: vec![secret.into()],
            ttl: Duration::from_secs(86_400),
            cookie: CookieOptions {
                path: Some("/".into()),
                http_only: true,
                ..CookieOptions::default()
            },
        }
    }
}

/// The session middleware's configuration and store. express-session: `session(options)`.
#[doc(alias = "express-session")]
#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn SessionStore>,
    options: Arc<SessionOptions>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("name", &self.options.name)
            .finish()
    }
}

impl Sessions {
    /// Sessions in `store` with `options`.
    #[doc(alias = "session({ store })")]
    pub fn new(store: impl SessionStore, options: SessionOptions) -> Sessions {
        Sessions {
            store: Arc::new(store),
            options: Arc::new(options),
        }
    }

    /// Sessions in a fresh [`MemoryStore`] with the default options and `secret`.
    #[doc(alias = "MemoryStore")]
    pub fn memory(secret: impl Into<Vec<u8>>) -> Sessions {
        Sessions::new(MemoryStore::new(), SessionOptions::new(secret))
    }

    /// The session of a request's `Cookie` header: its id when the cookie is signed by one of
    /// the secrets and the store still holds it.
    #[doc(alias = "store.get")]
    pub async fn load(&self, req: &Request, res: &ServerResponse) -> Result<Session, HttpError> {
        let cookies = cookie::cookies(req.message());
        let sid = cookies
            .get(&self.options.name)
            .and_then(|v| v.strip_prefix("s:"))
            .and_then(|signed| {
                self.options
                    .secrets
                    .iter()
                    .find_map(|secret| signature::unsign(signed, secret))
            })
            .map(str::to_owned);
        if let Some(sid) = sid {
            if let Some(json) = self.store.get(&sid).await? {
                // Data that is not a JSON object (another writer) starts empty.
                let data = match serde_json::from_str::<Value>(&json) {
                    Ok(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                self.store.touch(&sid, self.options.ttl).await?;
                return Ok(self.session(sid, data, false, res));
            }
        }
        Ok(self.session(new_id()?, Map::new(), true, res))
    }

    fn session(&self, id: String, data: Map<String, Value>, is_new: bool, res: &ServerResponse) -> Session {
        Session {
            inner: Arc::new(SessionInner {
                state: Mutex::new(State {
                    id,
                    data,
                    is_new,
                    destroyed: false,
                }),
                sessions: self.clone(),
                res: res.clone(),
            }),
        }
    }

    /// The middleware: loads the session and attaches it to the request (`req.get::<Session>()`).
    /// express-session: `app.use(session(options))`.
    #[doc(alias = "app.use(session())")]
    pub fn middleware(&self) -> impl Fn(Request, ServerResponse, Next) -> BoxFuture + Send + Sync + 'static {
        let sessions = self.clone();
        move |req: Request, res: ServerResponse, next: Next| {
            let sessions = sessions.clone();
            Box::pin(async move {
                let session = sessions.load(&req, &res).await?;
                req.insert(session);
                next.run(req, res).await
            })
        }
    }
}

/// A fresh session id: 24 random bytes (express-session's uid-safe size), base64url.
fn new_id() -> Result<String, HttpError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| HttpError::internal(format!("no randomness for a session id: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// One request's session: data by key (JSON values), saved to the store. Cheap to clone:
/// clones are the same session. express-session: `req.session`.
#[doc(alias = "req.session")]
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    state: Mutex<State>,
    sessions: Sessions,
    res: ServerResponse,
}

struct State {
    id: String,
    data: Map<String, Value>,
    is_new: bool,
    destroyed: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("Session")
            .field("is_new", &s.is_new)
            .field("keys", &s.data.len())
            .finish()
    }
}

impl Session {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session id. express-session: `req.sessionID`.
    #[doc(alias = "req.sessionID")]
    pub fn id(&self) -> String {
        self.lock().id.clone()
    }

    /// Whether the request carried no (valid, stored) session. Node: `!req.session` restored.
    #[doc(alias = "req.session.isNew")]
    pub fn is_new(&self) -> bool {
        self.lock().is_new
    }

    /// The value under `key`, deserialized (`None` when absent or of another shape).
    #[doc(alias = "req.session[key]")]
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let v = self.lock().data.get(key)?.clone();
        serde_json::from_value(v).ok()
    }

    /// Every key and value.
    #[doc(alias = "req.session")]
    pub fn data(&self) -> Map<String, Value> {
        self.lock().data.clone()
    }

    /// Sets `key` in memory only; [`Session::save`] writes it. Node: `req.session.key = v`.
    #[doc(alias = "req.session[key] = value")]
    pub fn insert(&self, key: &str, value: impl Serialize) -> Result<(), HttpError> {
        let v = serde_json::to_value(value)?;
        self.lock().data.insert(key.to_owned(), v);
        Ok(())
    }

    /// Removes `key` in memory only; [`Session::save`] writes it. Node: `delete req.session.key`.
    #[doc(alias = "delete req.session[key]")]
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.lock().data.remove(key)
    }

    /// Sets `key` and saves the session.
    #[doc(alias = "req.session.save")]
    pub async fn set(&self, key: &str, value: impl Serialize) -> Result<(), HttpError> {
        self.insert(key, value)?;
        self.save().await
    }

    /// Writes the data to the store (with the store's time to live) and, for a new session,
    /// sets the signed cookie, which needs the response head unsent (else an error: the data
    /// is stored but the client cannot learn the id). express-session: `req.session.save()`.
    #[doc(alias = "req.session.save")]
    pub async fn save(&self) -> Result<(), HttpError> {
        let (id, json, is_new) = {
            let s = self.lock();
            if s.destroyed {
                return Err(HttpError::internal("the session was destroyed"));
            }
            (s.id.clone(), serde_json::to_string(&s.data)?, s.is_new)
        };
        let opts = &self.inner.sessions.options;
        self.inner.sessions.store.set(&id, json, opts.ttl).await?;
        if is_new {
            self.set_cookie(&id)?;
            self.lock().is_new = false;
        }
        Ok(())
    }

    fn set_cookie(&self, id: &str) -> Result<(), HttpError> {
        let opts = &self.inner.sessions.options;
        let res = &self.inner.res;
        if res.headers_sent() {
            return Err(HttpError::internal(
                "session saved after the response head was sent: no cookie could carry its id",
            ));
        }
        let secret = opts
            .secrets
            .first()
            .ok_or_else(|| HttpError::internal("sessions need a secret"))?;
        let value = format!("s:{}", signature::sign(id, secret));
        let line = cookie::serialize(&opts.name, &value, &opts.cookie)?;
        // One Set-Cookie for this session's cookie name: replace an earlier one.
        let prefix = format!("{}=", opts.name);
        let mut others: Vec<String> = match res.get_header("set-cookie") {
            Some(OutValue::One(v)) => vec![v],
            Some(OutValue::Many(v)) => v,
            None => Vec::new(),
        };
        others.retain(|l| !l.starts_with(&prefix));
        others.push(line);
        res.set_header("Set-Cookie", others)?;
        Ok(())
    }

    /// A new id for the same request, empty data, the old id removed from the store (do it at
    /// login against session fixation). express-session: `req.session.regenerate()`.
    #[doc(alias = "req.session.regenerate")]
    pub async fn regenerate(&self) -> Result<(), HttpError> {
        let old = self.id();
        self.inner.sessions.store.destroy(&old).await?;
        let mut s = self.lock();
        s.id = new_id()?;
        s.data.clear();
        s.is_new = true;
        s.destroyed = false;
        Ok(())
    }

    /// Removes the session from the store and tells the client to drop its cookie (an
    /// expired `Set-Cookie`). express-session: `req.session.destroy()`.
    #[doc(alias = "req.session.destroy")]
    pub async fn destroy(&self) -> Result<(), HttpError> {
        let id = self.id();
        self.inner.sessions.store.destroy(&id).await?;
        {
            let mut s = self.lock();
            s.destroyed = true;
            s.data.clear();
        }
        let opts = &self.inner.sessions.options;
        if !self.inner.res.headers_sent() {
            let gone = CookieOptions {
                expires: Some(UNIX_EPOCH),
                max_age: None,
                ..opts.cookie.clone()
            };
            let line = cookie::serialize(&opts.name, "", &gone)?;
            self.inner.res.append_header("Set-Cookie", line)?;
        }
        Ok(())
    }
}

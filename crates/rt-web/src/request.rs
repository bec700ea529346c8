//! [`Request`]: express's `req` — rt-http's [`IncomingMessage`] plus what routing adds:
//! the path, the query, the route's parameters, the mount point (`req.baseUrl`) and
//! values that middleware attach (a session, the authenticated user).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rt_http::IncomingMessage;

use crate::querystring::{self, ParsedQuery};

/// express's `req`: the [`IncomingMessage`] (reachable through `Deref`: `req.method()`,
/// `req.headers()`, reading the body) with `req.path`, `req.query`, `req.params`,
/// `req.baseUrl` / `req.originalUrl` and typed values middleware attach
/// ([`Request::insert`], [`Request::get`]).
///
/// Inside a router or middleware mounted at a path (`app.use('/api', router)`), as in
/// express 4: [`Request::url`] and [`Request::path`] are relative to the mount point
/// (`/users` for `/api/users`), [`Request::base_url`] is the mount point as the request
/// wrote it (`/api`, or `/API` for `/API/users`), [`Request::original_url`] is the URL as
/// received; leaving the mounted router (its `next`) restores them.
///
/// Cheap to clone: clones are the same request.
#[doc(alias = "req")]
#[derive(Clone)]
pub struct Request {
    message: IncomingMessage,
    inner: Arc<Inner>,
}

struct Inner {
    /// The whole path as received (percent-encoded, without the query).
    path: String,
    query: String,
    /// How many bytes of `path` the mount points have taken (`req.baseUrl`'s length).
    mount: AtomicUsize,
    params: Mutex<Vec<(String, String)>>,
    values: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl Request {
    /// Wraps a received request; `url` is split at its first `?` into path and query.
    #[doc(alias = "req")]
    pub fn new(message: IncomingMessage) -> Request {
        let url = message.url();
        let (path, query) = match url.split_once('?') {
            Some((p, q)) => (p.to_owned(), q.to_owned()),
            None => (url.to_owned(), String::new()),
        };
        Request {
            message,
            inner: Arc::new(Inner {
                path,
                query,
                mount: AtomicUsize::new(0),
                params: Mutex::new(Vec::new()),
                values: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The rt-http request underneath.
    #[doc(alias = "req")]
    pub fn message(&self) -> &IncomingMessage {
        &self.message
    }

    /// The URL's path, without the query (still percent-encoded), relative to the mount
    /// point: `/users` for `/api/users` in a router mounted at `/api`, `/` for `/api`
    /// itself. express: `req.path`.
    #[doc(alias = "req.path")]
    pub fn path(&self) -> &str {
        let rest = &self.inner.path[self.mount().min(self.inner.path.len())..];
        if rest.is_empty() { "/" } else { rest }
    }

    /// The URL relative to the mount point, with its query: `/users?x=1` for
    /// `/api/users?x=1` in a router mounted at `/api`. express: `req.url` (which express
    /// rewrites while a mounted router runs). The URL as received is
    /// [`Request::original_url`].
    #[doc(alias = "req.url")]
    pub fn url(&self) -> String {
        if self.message.url().contains('?') {
            format!("{}?{}", self.path(), self.inner.query)
        } else {
            self.path().to_owned()
        }
    }

    /// The path of the mount point(s) the request is under, as the request wrote it, without
    /// a trailing slash: `/api` in a router mounted at `/api`, `/api/v1` one level further,
    /// empty at the top. express: `req.baseUrl`.
    #[doc(alias = "req.baseUrl")]
    pub fn base_url(&self) -> &str {
        let base = &self.inner.path[..self.mount().min(self.inner.path.len())];
        base.strip_suffix('/').unwrap_or(base)
    }

    /// The request's URL as received, whatever the mount point. express: `req.originalUrl`.
    #[doc(alias = "req.originalUrl")]
    pub fn original_url(&self) -> &str {
        self.message.url()
    }

    /// The whole path as received (without the query), whatever the mount point.
    pub fn original_path(&self) -> &str {
        &self.inner.path
    }

    pub(crate) fn mount(&self) -> usize {
        self.inner.mount.load(Ordering::Relaxed)
    }

    pub(crate) fn set_mount(&self, bytes: usize) {
        self.inner.mount.store(bytes, Ordering::Relaxed);
    }

    /// The raw query string after `?` (empty without one). Node: `url.parse(req.url).query`.
    #[doc(alias = "url.parse(req.url).query")]
    pub fn query_string(&self) -> &str {
        &self.inner.query
    }

    /// The query parsed with [`querystring::parse`]. express: `req.query`.
    #[doc(alias = "req.query")]
    pub fn query(&self) -> ParsedQuery {
        querystring::parse(&self.inner.query)
    }

    /// A route parameter (`:id` in `/api/users/:id`), percent-decoded. express:
    /// `req.params.id`.
    #[doc(alias = "req.params")]
    pub fn param(&self, name: &str) -> Option<String> {
        lock(&self.inner.params)
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Every route parameter of the matched route, in pattern order.
    #[doc(alias = "req.params")]
    pub fn params(&self) -> Vec<(String, String)> {
        lock(&self.inner.params).clone()
    }

    pub(crate) fn set_params(&self, params: Vec<(String, String)>) {
        *lock(&self.inner.params) = params;
    }

    /// Attaches a value of type `T` for later middleware and handlers (one per type; a
    /// second insert replaces it). express: `req.session = ...`, `req.user = ...`.
    #[doc(alias = "res.locals")]
    pub fn insert<T: Clone + Send + Sync + 'static>(&self, value: T) {
        lock(&self.inner.values).insert(TypeId::of::<T>(), Box::new(value));
    }

    /// The value of type `T` attached with [`Request::insert`], cloned.
    #[doc(alias = "res.locals")]
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        lock(&self.inner.values)
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
            .cloned()
    }
}

impl std::ops::Deref for Request {
    type Target = IncomingMessage;
    fn deref(&self) -> &IncomingMessage {
        &self.message
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.message.method())
            .field("path", &self.inner.path)
            .field("base_url", &self.base_url())
            .field("query", &self.inner.query)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

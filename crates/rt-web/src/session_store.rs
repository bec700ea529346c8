//! [`SessionStore`]: where session data lives, server-side (express-session's `Store`), and
//! [`MemoryStore`], the default: a map in this process with per-entry expiry.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::HttpError;

/// A store operation's future.
#[doc(alias = "callback")]
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, HttpError>> + Send + 'a>>;

/// Where sessions are kept: data (a JSON text) by session id, each with a time to live.
/// express-session: a `Store` with `get`, `set`, `destroy`, `touch`. Several processes (rt-cluster
/// workers) share sessions through a shared store ([`RedisStore`](crate::session_redis::RedisStore)).
#[doc(alias = "session.Store")]
pub trait SessionStore: Send + Sync + 'static {
    /// The data of session `sid`, `None` when absent or expired. Node: `store.get(sid, cb)`.
    fn get<'a>(&'a self, sid: &'a str) -> StoreFuture<'a, Option<String>>;
    /// Stores `data` for `sid`, expiring after `ttl`. Node: `store.set(sid, session, cb)`.
    fn set<'a>(&'a self, sid: &'a str, data: String, ttl: Duration) -> StoreFuture<'a, ()>;
    /// Removes `sid`. Node: `store.destroy(sid, cb)`.
    fn destroy<'a>(&'a self, sid: &'a str) -> StoreFuture<'a, ()>;
    /// Restarts `sid`'s time to live. Node: `store.touch(sid, session, cb)`.
    fn touch<'a>(&'a self, sid: &'a str, ttl: Duration) -> StoreFuture<'a, ()>;
}

/// Sessions in this process's memory (express-session's `MemoryStore`, the default): each
/// entry expires after its time to live; expired entries are dropped when read and swept
/// every 256 writes. Not shared between processes. Cheap to clone: clones share the map.
#[doc(alias = "session.MemoryStore")]
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, (String, Instant)>,
    writes: u32,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("len", &self.len()).finish()
    }
}

impl MemoryStore {
    /// An empty store.
    #[doc(alias = "new MemoryStore()")]
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// How many live (unexpired) sessions. Node: `store.length(cb)`.
    #[doc(alias = "store.length")]
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.lock().map.values().filter(|(_, at)| *at > now).count()
    }

    /// Whether no live session is held.
    #[doc(alias = "store.length")]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn deadline(ttl: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(ttl)
        .unwrap_or(now + Duration::from_secs(100 * 365 * 86_400))
}

impl SessionStore for MemoryStore {
    fn get<'a>(&'a self, sid: &'a str) -> StoreFuture<'a, Option<String>> {
        let mut inner = self.lock();
        let out = match inner.map.get(sid) {
            Some((data, at)) if *at > Instant::now() => Some(data.clone()),
            Some(_) => {
                inner.map.remove(sid);
                None
            }
            None => None,
        };
        Box::pin(async move { Ok(out) })
    }

    fn set<'a>(&'a self, sid: &'a str, data: String, ttl: Duration) -> StoreFuture<'a, ()> {
        let mut inner = self.lock();
        inner.map.insert(sid.to_owned(), (data, deadline(ttl)));
        inner.writes = inner.writes.wrapping_add(1);
        if inner.writes % 256 == 0 {
            let now = Instant::now();
            inner.map.retain(|_, (_, at)| *at > now);
        }
        Box::pin(async { Ok(()) })
    }

    fn destroy<'a>(&'a self, sid: &'a str) -> StoreFuture<'a, ()> {
        self.lock().map.remove(sid);
        Box::pin(async { Ok(()) })
    }

    fn touch<'a>(&'a self, sid: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        if let Some((_, at)) = self.lock().map.get_mut(sid) {
            *at = deadline(ttl);
        }
        Box::pin(async { Ok(()) })
    }
}

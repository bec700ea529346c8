//! [`RedisStore`]: sessions in Redis (connect-redis's layout: `sess:<id>` holding the JSON
//! data, expiring through Redis's own TTL), so that every process of an app — rt-cluster
//! workers, several machines — sees the same sessions, as the notes advise.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;

use crate::error::HttpError;
use crate::session_store::{SessionStore, StoreFuture};

/// A [`SessionStore`] in Redis over one multiplexed connection (cheap to clone; clones share
/// it). connect-redis: `new RedisStore({ client, prefix: 'sess:' })`.
#[doc(alias = "connect-redis")]
#[derive(Clone)]
pub struct RedisStore {
    conn: MultiplexedConnection,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish()
    }
}

fn store_error(e: redis::RedisError) -> HttpError {
    HttpError::internal(format!("session store (redis): {e}"))
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`) with the `sess:` key prefix.
    #[doc(alias = "redis.createClient")]
    pub async fn connect(url: &str) -> Result<RedisStore, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let conn = client.get_multiplexed_async_connection().await?;
        Ok(RedisStore::from_connection(conn))
    }

    /// A store over an existing connection, with the `sess:` key prefix.
    #[doc(alias = "new RedisStore({ client })")]
    pub fn from_connection(conn: MultiplexedConnection) -> RedisStore {
        RedisStore {
            conn,
            prefix: "sess:".into(),
        }
    }

    /// Uses `prefix` before every session id (connect-redis's `prefix`).
    #[doc(alias = "prefix")]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> RedisStore {
        self.prefix = prefix.into();
        self
    }

    fn key(&self, sid: &str) -> String {
        format!("{}{sid}", self.prefix)
    }
}

impl SessionStore for RedisStore {
    fn get<'a>(&'a self, sid: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            conn.get(self.key(sid)).await.map_err(store_error)
        })
    }

    fn set<'a>(&'a self, sid: &'a str, data: String, ttl: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("SET")
                .arg(self.key(sid))
                .arg(data)
                .arg("PX")
                .arg(ttl_ms(ttl))
                .query_async::<()>(&mut conn)
                .await
                .map_err(store_error)
        })
    }

    fn destroy<'a>(&'a self, sid: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            conn.del::<_, ()>(self.key(sid)).await.map_err(store_error)
        })
    }

    fn touch<'a>(&'a self, sid: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("PEXPIRE")
                .arg(self.key(sid))
                .arg(ttl_ms(ttl))
                .query_async::<()>(&mut conn)
                .await
                .map_err(store_error)
        })
    }
}

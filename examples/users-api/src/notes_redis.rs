//! The notes' Redis calls behind a route: `set` / `get` of a string and
//! `hset` / `hkeys` / `hgetall` of a hash, each key with a TTL (`EXPIRE`).

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use serde_json::{Value, json};

/// The notes' string key.
pub const BOOK_KEY: &str = "书名";
/// The notes' hash key.
pub const SERIES_KEY: &str = "柳伟卫的Spring三剑客";

/// Runs the notes' calls with keys living `ttl_secs` seconds and answers
/// what they read back. Node: `client.set(..)`, `client.hset(..)` x3,
/// `client.hkeys(..)`, `client.get(..)`, `client.hgetall(..)`.
pub async fn notes_calls(conn: &mut MultiplexedConnection, ttl_secs: u64) -> redis::RedisResult<Value> {
    let _: () = conn
        .set_ex(BOOK_KEY, "《Node.js企业级应用开发实战》", ttl_secs)
        .await?;
    let _: () = conn
        .hset(SERIES_KEY, "第一剑", "《Spring Boot 企业级应用开发实战》")
        .await?;
    let _: () = conn
        .hset(SERIES_KEY, "第二剑", "《Spring Cloud 微服务架构开发实战》")
        .await?;
    let _: () = conn.hset(SERIES_KEY, "第三剑", "《Spring 5 开发大全》").await?;
    let _: () = conn.expire(SERIES_KEY, ttl_secs as i64).await?;
    let keys: Vec<String> = conn.hkeys(SERIES_KEY).await?;
    let book: Option<String> = conn.get(BOOK_KEY).await?;
    let all: Vec<(String, String)> = conn.hgetall(SERIES_KEY).await?;
    let ttl: i64 = conn.ttl(SERIES_KEY).await?;
    let map: serde_json::Map<String, Value> = all.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    Ok(json!({ "get": book, "hkeys": keys, "hgetall": map, "ttl": ttl }))
}

//! Sessions over loopback against a real server: the signed cookie, data kept in the store,
//! tampering, regenerate, destroy, expiry through the store's TTL; with the memory store and
//! with a real redis-server (started by the test; skipped with a notice when missing, a
//! failure under RT_REQUIRE_SERVICES=1), including two servers sharing sessions through Redis.
//! The cookie signature is compared with Node's crypto (cookie-signature's formula).

mod common;

use std::time::Duration;

use common::{Reply, exchange, serve};
use rt_http::ServerResponse;
use rt_tests::rng::Rng;
use rt_tests::wait::{wait_until_async, within};
use rt_web::session::{Session, SessionOptions, Sessions};
use rt_web::session_redis::RedisStore;
use rt_web::session_store::{MemoryStore, SessionStore};
use rt_web::{HttpError, Request, Router, signature};

fn app(sessions: &Sessions) -> Router {
    let mut app = Router::new();
    app.use_fn(sessions.middleware());
    app.get("/count", |req: Request, res: ServerResponse| async move {
        let session: Session = req.get().expect("session attached");
        let views = session.get::<u64>("views").unwrap_or(0) + 1;
        session.set("views", views).await?;
        res.end_with(format!("{views}"))?;
        Ok::<(), HttpError>(())
    });
    app.get("/peek", |req: Request, res: ServerResponse| async move {
        let session: Session = req.get().expect("session attached");
        res.end_with(format!(
            "{:?} new={}",
            session.get::<u64>("views"),
            session.is_new()
        ))?;
        Ok::<(), HttpError>(())
    });
    app.post("/login", |req: Request, res: ServerResponse| async move {
        let session: Session = req.get().expect("session attached");
        session.regenerate().await?;
        session.set("user", "ann").await?;
        res.end_with("ok")?;
        Ok::<(), HttpError>(())
    });
    app.post("/logout", |req: Request, res: ServerResponse| async move {
        let session: Session = req.get().expect("session attached");
        session.destroy().await?;
        res.end_with("bye")?;
        Ok::<(), HttpError>(())
    });
    app
}

/// The `connect.sid=...` pair of the reply's Set-Cookie, for the next request's Cookie.
fn sid_cookie(r: &Reply) -> String {
    let line = r
        .all("set-cookie")
        .into_iter()
        .find(|l| l.starts_with("connect.sid="))
        .expect("a session cookie");
    line.split(';').next().unwrap().to_owned()
}

async fn get_with(port: u16, path: &str, cookie: &str) -> Reply {
    exchange(port, "GET", path, &[("Cookie", cookie)], "").await
}

/// The whole flow against one store.
async fn flow(
    store: impl SessionStore + Clone,
    check_store: impl Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<String>> + Send>>,
) {
    let mut opts = SessionOptions::new("keyboard cat");
    opts.ttl = Duration::from_secs(60);
    let sessions = Sessions::new(store.clone(), opts);
    let (server, port) = serve(app(&sessions)).await;

    // No cookie: a new session, nothing set until saved.
    let r = exchange(port, "GET", "/peek", &[], "").await;
    assert_eq!(r.body, "None new=true");
    assert!(r.all("set-cookie").is_empty(), "no cookie for an unsaved session");

    let r = exchange(port, "GET", "/count", &[], "").await;
    assert_eq!(r.body, "1");
    let set = r.header("set-cookie").unwrap().to_owned();
    assert!(set.starts_with("connect.sid=s%3A"), "{set}");
    assert!(set.ends_with("; Path=/; HttpOnly"), "{set}");
    let cookie = sid_cookie(&r);
    let r = get_with(port, "/count", &cookie).await;
    assert_eq!(r.body, "2");
    assert!(
        r.all("set-cookie").is_empty(),
        "a known session's cookie is not re-sent"
    );
    let r = get_with(port, "/count", &cookie).await;
    assert_eq!(r.body, "3");

    // The id and the data are in the store.
    let signed = rt_web::querystring::unescape(
        cookie
            .strip_prefix("connect.sid=s:")
            .or(cookie.strip_prefix("connect.sid=s%3A"))
            .unwrap(),
    );
    let sid = signature::unsign(&signed, b"keyboard cat")
        .expect("signed with the secret")
        .to_owned();
    assert_eq!(check_store(sid.clone()).await.as_deref(), Some(r#"{"views":3}"#));

    // A tampered signature or another secret: not this session.
    let mut bad = cookie.clone();
    let last = bad.pop();
    // Another character than the one replaced (an 'A' replaced by 'A' was the same cookie).
    bad.push(if last == Some('A') { 'B' } else { 'A' });
    let r = get_with(port, "/peek", &bad).await;
    assert_eq!(r.body, "None new=true");
    let forged = format!(
        "connect.sid={}",
        rt_web::querystring::escape(&format!("s:{}", signature::sign(&sid, b"other")))
    );
    let r = get_with(port, "/peek", &forged).await;
    assert_eq!(r.body, "None new=true");
    let unsigned = format!("connect.sid={sid}");
    let r = get_with(port, "/peek", &unsigned).await;
    assert_eq!(r.body, "None new=true");

    // Login regenerates: a new id, the old one gone from the store.
    let r = exchange(port, "POST", "/login", &[("Cookie", &cookie)], "").await;
    assert_eq!(r.body, "ok");
    let cookie2 = sid_cookie(&r);
    assert_ne!(cookie2, cookie);
    assert_eq!(check_store(sid.clone()).await, None, "the old id is gone");
    let r = get_with(port, "/peek", &cookie).await;
    assert_eq!(r.body, "None new=true");

    // Logout destroys: the cookie is expired and the data gone.
    let r = exchange(port, "POST", "/logout", &[("Cookie", &cookie2)], "").await;
    assert_eq!(r.body, "bye");
    let expired = r.header("set-cookie").unwrap();
    assert!(
        expired.starts_with("connect.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        "{expired}"
    );
    let r = get_with(port, "/peek", &cookie2).await;
    assert_eq!(r.body, "None new=true");
    server.close().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_sessions() {
    let store = MemoryStore::new();
    let s2 = store.clone();
    flow(store, move |sid| {
        let s2 = s2.clone();
        Box::pin(async move { s2.get(&sid).await.unwrap() })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_expiry() {
    let store = MemoryStore::new();
    let mut opts = SessionOptions::new("s");
    opts.ttl = Duration::from_millis(300);
    let sessions = Sessions::new(store.clone(), opts);
    let (server, port) = serve(app(&sessions)).await;
    let r = exchange(port, "GET", "/count", &[], "").await;
    let cookie = sid_cookie(&r);
    assert_eq!(store.len(), 1);
    let st = store.clone();
    wait_until_async(10, "the memory store to expire the session", move || {
        st.is_empty()
    })
    .await;
    let r = get_with(port, "/peek", &cookie).await;
    assert_eq!(r.body, "None new=true");
    server.close().ok();
}

async fn raw_redis(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).unwrap();
    within(10, "connect to redis", client.get_multiplexed_async_connection())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_sessions() {
    let Some(redis_server) = rt_tests::redis::redis_or_skip("redis_store_sessions") else {
        return;
    };
    let url = redis_server.url();
    let store = within(10, "RedisStore::connect", RedisStore::connect(&url))
        .await
        .expect("connect");
    let conn = raw_redis(&url).await;
    flow(store, move |sid| {
        let mut conn = conn.clone();
        Box::pin(async move {
            redis::cmd("GET")
                .arg(format!("sess:{sid}"))
                .query_async::<Option<String>>(&mut conn)
                .await
                .unwrap()
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_ttl_and_two_servers_share_sessions() {
    let Some(redis_server) = rt_tests::redis::redis_or_skip("redis_store_ttl_and_two_servers_share_sessions")
    else {
        return;
    };
    let url = redis_server.url();
    let mut conn = raw_redis(&url).await;
    // Two servers, each with its own connection: as two rt-cluster workers would be.
    let mut opts = SessionOptions::new("shared secret");
    opts.ttl = Duration::from_secs(30);
    let a = Sessions::new(RedisStore::connect(&url).await.unwrap(), opts.clone());
    let b = Sessions::new(RedisStore::connect(&url).await.unwrap(), opts.clone());
    let (server_a, port_a) = serve(app(&a)).await;
    let (server_b, port_b) = serve(app(&b)).await;
    let r = exchange(port_a, "GET", "/count", &[], "").await;
    let cookie = sid_cookie(&r);
    assert_eq!(get_with(port_b, "/count", &cookie).await.body, "2");
    assert_eq!(get_with(port_a, "/count", &cookie).await.body, "3");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("sess:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        pttl > 0 && pttl <= 30_000,
        "the key expires through Redis's TTL: {pttl}"
    );
    server_a.close().ok();
    server_b.close().ok();

    // A short TTL: Redis itself drops the session.
    let mut short = opts.clone();
    short.ttl = Duration::from_millis(300);
    let c = Sessions::new(
        RedisStore::connect(&url).await.unwrap().with_prefix("short:"),
        short,
    );
    let (server_c, port_c) = serve(app(&c)).await;
    let r = exchange(port_c, "GET", "/count", &[], "").await;
    let cookie = sid_cookie(&r);
    within(10, "redis to expire the short session", async {
        loop {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg("short:*")
                .query_async(&mut conn)
                .await
                .unwrap();
            if keys.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    assert_eq!(get_with(port_c, "/peek", &cookie).await.body, "None new=true");
    server_c.close().ok();
}

#[test]
fn signature_matches_node_crypto() {
    let Some(node) = rt_tests::node::node_or_skip("signature_matches_node_crypto") else {
        return;
    };
    let mut rng = Rng::new(0x5167);
    let alphabet: Vec<char> = "abcXYZ019-_.:é中😀 ".chars().collect();
    let mut cases = Vec::new();
    for _ in 0..500 {
        let v: String = (0..rng.below(30)).map(|_| *rng.pick(&alphabet)).collect();
        let s: String = (0..1 + rng.below(70)).map(|_| *rng.pick(&alphabet)).collect();
        cases.push((v, s));
    }
    let script = r#"
const crypto = require('crypto');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
// cookie-signature's sign():
const sign = (val, secret) => val + '.' + crypto.createHmac('sha256', secret).update(val).digest('base64').replace(/\=+$/, '');
process.stdout.write(JSON.stringify(cases.map(([v, s]) => sign(v, s))));
"#;
    let out = node.run_script(script, serde_json::to_string(&cases).unwrap().as_bytes());
    let theirs: Vec<String> = serde_json::from_slice(&out).unwrap();
    assert_eq!(theirs.len(), cases.len());
    let mut compared = 0;
    for ((v, s), t) in cases.iter().zip(&theirs) {
        assert_eq!(&signature::sign(v, s.as_bytes()), t, "sign({v:?}, {s:?})");
        assert_eq!(signature::unsign(t, s.as_bytes()), Some(v.as_str()));
        compared += 1;
    }
    println!("signature: {compared} signatures equal with node's crypto");
    assert_eq!(compared, 500);
}

//! The notes' application against a real MariaDB and a real redis-server,
//! each started by the test on a loopback port with its own data folder:
//! every route with its status codes, then a load run of 10,000 requests
//! over 32 keep-alive connections with mixed routes (every response
//! checked), no pool exhaustion (the database never sees more than 4 + 1
//! connections) and no leaked connection (the server counts 0 after).
//!
//! Skips with a notice when mariadbd / redis-server are missing; fails
//! instead under `RT_REQUIRE_SERVICES=1`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use mysql_async::prelude::Queryable;
use rt_tests::mariadb::MariaDb;
use rt_tests::wait::{wait_until_async, within};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use users_api::db::{Db, POOL_SIZE};
use users_api::{AppState, app};

/// One keep-alive connection speaking HTTP/1.1.
struct Client {
    rd: BufReader<tokio::net::tcp::OwnedReadHalf>,
    wr: tokio::net::tcp::OwnedWriteHalf,
}

struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

impl Client {
    async fn connect(port: u16) -> Client {
        let s = within(10, "connect", TcpStream::connect(("127.0.0.1", port)))
            .await
            .expect("connect");
        let (rd, wr) = s.into_split();
        Client {
            rd: BufReader::new(rd),
            wr,
        }
    }

    async fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> Reply {
        self.send_with(method, path, &[], body).await
    }

    async fn send_with(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: t\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        req.push_str("\r\n");
        if let Some(b) = body {
            req.push_str(b);
        }
        within(30, "write a request", self.wr.write_all(req.as_bytes()))
            .await
            .expect("write");
        within(30, &format!("the answer to {method} {path}"), self.read_reply()).await
    }

    async fn read_reply(&mut self) -> Reply {
        let mut line = String::new();
        self.rd.read_line(&mut line).await.expect("status line");
        let status: u16 = line
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            self.rd.read_line(&mut h).await.expect("header");
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').expect("a header");
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
        let mut body = Vec::new();
        if let Some(n) = headers.get("content-length") {
            body.resize(n.parse().expect("length"), 0);
            self.rd.read_exact(&mut body).await.expect("body");
        } else if headers
            .get("transfer-encoding")
            .is_some_and(|v| v.contains("chunked"))
        {
            loop {
                let mut size = String::new();
                self.rd.read_line(&mut size).await.expect("chunk size");
                let n = usize::from_str_radix(size.trim(), 16).expect("hex size");
                let mut chunk = vec![0; n + 2];
                self.rd.read_exact(&mut chunk).await.expect("chunk");
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// The ids of the client connections the database has, this one not
/// counted (background threads are not clients).
async fn db_connection_ids(c: &mut mysql_async::Conn) -> Vec<u64> {
    c.query(
        "SELECT ID FROM information_schema.PROCESSLIST \
         WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Daemon' AND USER <> 'system user'",
    )
    .await
    .expect("processlist")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_then_10k_requests_over_32_connections() {
    let test = "users_api::every_route_then_10k_requests_over_32_connections";
    let Some(redis_server) = rt_tests::redis::redis_or_skip(test) else {
        return;
    };
    let Some(maria) = tokio::task::spawn_blocking(move || MariaDb::start_or_skip(test))
        .await
        .expect("join")
    else {
        return;
    };
    // The schema, made by the test.
    let root_url = maria.url("");
    let mut admin = within(
        30,
        "an admin connection",
        mysql_async::Conn::from_url(root_url.as_str()),
    )
    .await
    .expect("connect to mariadb");
    admin
        .query_drop("CREATE DATABASE nodejs_book")
        .await
        .expect("create database");
    admin.disconnect().await.expect("disconnect");
    let url = maria.url("nodejs_book");
    let db = Db::new(&url).expect("pool");
    db.create_schema().await.expect("schema");
    let redis = redis::Client::open(redis_server.url())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let state = AppState {
        db: db.clone(),
        redis: redis.clone(),
        admin: ("admin".into(), "s3cret".into()),
        secret: b"keyboard cat".to_vec(),
        session_ttl: std::time::Duration::from_secs(600),
    };
    let server = app(state).listen(("127.0.0.1", 0)).await.expect("listen");
    let port = server.address().and_then(|a| a.port()).expect("port");

    // ---- every route ----
    let mut c = Client::connect(port).await;
    let r = c.send("GET", "/api/users", None).await;
    assert_eq!((r.status, r.json()), (200, json!([])));
    let r = c
        .send(
            "POST",
            "/api/users",
            Some(r#"{"username":"waylau","email":"w@x.io"}"#),
        )
        .await;
    assert_eq!(r.status, 201);
    let alice = r.json();
    let id = alice["user_id"].as_u64().expect("an id");
    assert_eq!(alice["username"], "waylau");
    assert_eq!(
        r.headers.get("location").map(String::as_str),
        Some(format!("/api/users/{id}").as_str())
    );
    let r = c
        .send("POST", "/api/users", Some(r#"{"username":"waylau"}"#))
        .await;
    assert_eq!(r.status, 409, "duplicate");
    let r = c.send("POST", "/api/users", Some(r#"{"username":"#)).await;
    assert_eq!(r.status, 400, "bad JSON");
    assert!(String::from_utf8_lossy(&r.body).contains("invalid JSON"));
    let r = c.send("POST", "/api/users", Some(r#"{"name":"x"}"#)).await;
    assert_eq!(r.status, 400, "no username");
    let big = format!(r#"{{"username":"{}"}}"#, "x".repeat(20_000));
    let r = c.send("POST", "/api/users", Some(&big)).await;
    assert_eq!(r.status, 413, "past the JSON limit");
    // The 413 closed that connection: a new one.
    let mut c = Client::connect(port).await;
    let r = c.send("GET", &format!("/api/users/{id}"), None).await;
    assert_eq!((r.status, r.json()), (200, alice.clone()));
    let r = c.send("GET", "/api/users/999999", None).await;
    assert_eq!(r.status, 404);
    let r = c.send("GET", "/api/users/abc", None).await;
    assert_eq!(r.status, 400);
    let r = c.send("GET", "/api/users?name=waylau", None).await;
    assert_eq!((r.status, r.json()), (200, json!([alice])));
    let r = c
        .send(
            "PUT",
            &format!("/api/users/{id}"),
            Some(r#"{"username":"way","email":null}"#),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"user_id": id, "username": "way", "email": null}));
    let r = c
        .send("PUT", "/api/users/999999", Some(r#"{"username":"nobody"}"#))
        .await;
    assert_eq!(r.status, 404);
    let r = c.send("POST", "/api/users", Some(r#"{"username":"bob"}"#)).await;
    assert_eq!(r.status, 201);
    let bob = r.json()["user_id"].as_u64().expect("id");
    let r = c
        .send("PUT", &format!("/api/users/{bob}"), Some(r#"{"username":"way"}"#))
        .await;
    assert_eq!(r.status, 409, "rename onto a taken name");
    let r = c.send("DELETE", &format!("/api/users/{bob}"), None).await;
    assert_eq!((r.status, r.body.len()), (204, 0));
    let r = c.send("DELETE", &format!("/api/users/{bob}"), None).await;
    assert_eq!(r.status, 404);
    let r = c.send("PATCH", "/api/users/1", None).await;
    assert_eq!(r.status, 405);
    let r = c.send("GET", "/api/books", None).await;
    assert_eq!(r.status, 200);
    let books = r.json();
    assert_eq!(books["get"], "《Node.js企业级应用开发实战》");
    assert_eq!(books["hkeys"], json!(["第一剑", "第二剑", "第三剑"]));
    assert_eq!(books["hgetall"]["第三剑"], "《Spring 5 开发大全》");
    let ttl = books["ttl"].as_i64().expect("ttl");
    assert!((1..=60).contains(&ttl), "the hash has its TTL: {ttl}");

    // Login: Basic auth, a session kept in Redis with its TTL.
    let r = c.send("POST", "/api/login", None).await;
    assert_eq!(r.status, 401);
    assert!(
        r.headers
            .get("www-authenticate")
            .is_some_and(|v| v.starts_with("Basic realm=\"users-api\"")),
        "{:?}",
        r.headers
    );
    // base64("admin:wrong") and base64("admin:s3cret")
    let r = c
        .send_with(
            "POST",
            "/api/login",
            &[("Authorization", "Basic YWRtaW46d3Jvbmc=")],
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    let r = c
        .send_with(
            "POST",
            "/api/login",
            &[("Authorization", "Basic YWRtaW46czNjcmV0")],
            None,
        )
        .await;
    assert_eq!((r.status, r.json()), (200, json!({"user": "admin"})));
    let set_cookie = r.headers.get("set-cookie").expect("a session cookie").clone();
    let cookie = set_cookie.split(';').next().expect("name=value").to_string();
    assert!(cookie.starts_with("connect.sid=s%3A"), "{cookie}");
    let r = c.send("GET", "/api/me", None).await;
    assert_eq!(r.status, 401, "no cookie, no session");
    let r = c.send_with("GET", "/api/me", &[("Cookie", &cookie)], None).await;
    assert_eq!((r.status, r.json()), (200, json!({"user": "admin"})));
    // The session is in Redis, with the TTL.
    let mut rc = redis.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("sess:*")
        .query_async(&mut rc)
        .await
        .expect("KEYS");
    assert_eq!(keys.len(), 1, "one session in Redis: {keys:?}");
    let ttl: i64 = redis::cmd("TTL")
        .arg(&keys[0])
        .query_async(&mut rc)
        .await
        .expect("TTL");
    assert!((1..=600).contains(&ttl), "the session has its TTL: {ttl}");
    let r = c
        .send_with("POST", "/api/logout", &[("Cookie", &cookie)], None)
        .await;
    assert_eq!(r.status, 204);
    let r = c.send_with("GET", "/api/me", &[("Cookie", &cookie)], None).await;
    assert_eq!(r.status, 401, "logged out");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("sess:*")
        .query_async(&mut rc)
        .await
        .expect("KEYS");
    assert!(keys.is_empty(), "the session left Redis: {keys:?}");
    drop(c);

    // ---- load: 10,000 requests over 32 keep-alive connections ----
    const CONNS: usize = 32;
    const TOTAL: usize = 10_000;
    let seq = Arc::new(AtomicU32::new(0));
    let mut tasks = Vec::new();
    for conn in 0..CONNS {
        let seq = seq.clone();
        let share = TOTAL / CONNS + usize::from(conn < TOTAL % CONNS);
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(port).await;
            let mut checked = 0usize;
            let mut mine: Vec<u64> = Vec::new();
            for i in 0..share {
                match i % 6 {
                    0 => {
                        let n = seq.fetch_add(1, Ordering::Relaxed);
                        let r = c
                            .send(
                                "POST",
                                "/api/users",
                                Some(&format!(r#"{{"username":"u{conn}-{n}"}}"#)),
                            )
                            .await;
                        assert_eq!(r.status, 201, "create on connection {conn}");
                        let u = r.json();
                        assert_eq!(u["username"], format!("u{conn}-{n}"));
                        mine.push(u["user_id"].as_u64().expect("id"));
                    }
                    1 => {
                        let id = *mine.last().expect("created before");
                        let r = c.send("GET", &format!("/api/users/{id}"), None).await;
                        assert_eq!(r.status, 200);
                        assert_eq!(r.json()["user_id"], id);
                    }
                    2 => {
                        let id = *mine.last().expect("created before");
                        let r = c
                            .send(
                                "PUT",
                                &format!("/api/users/{id}"),
                                Some(&format!(r#"{{"username":"v{id}","email":"e{id}"}}"#)),
                            )
                            .await;
                        assert_eq!(r.status, 200);
                        assert_eq!(r.json()["email"], format!("e{id}"));
                    }
                    3 => {
                        let id = *mine.last().expect("created before");
                        let r = c.send("GET", &format!("/api/users?name=v{id}"), None).await;
                        assert_eq!(r.status, 200);
                        assert_eq!(r.json().as_array().map(Vec::len), Some(1));
                    }
                    4 => {
                        let r = c.send("GET", "/api/books", None).await;
                        assert_eq!(r.status, 200);
                        assert_eq!(r.json()["hkeys"].as_array().map(Vec::len), Some(3));
                    }
                    _ => {
                        let id = mine.pop().expect("created before");
                        let r = c.send("DELETE", &format!("/api/users/{id}"), None).await;
                        assert_eq!(r.status, 204);
                        let r = c.send("GET", &format!("/api/users/{id}"), None).await;
                        assert_eq!(r.status, 404);
                        checked += 1;
                    }
                }
                checked += 1;
            }
            checked
        }));
    }
    // Sample the database's connection count all through the load.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        let mut admin = mysql_async::Conn::from_url(url.as_str())
            .await
            .expect("admin connection");
        tokio::spawn(async move {
            let mut peak = 0;
            let mut samples = 0;
            let mut seen = std::collections::BTreeSet::new();
            while !stop.load(Ordering::Relaxed) {
                let ids = db_connection_ids(&mut admin).await;
                peak = peak.max(ids.len());
                seen.extend(ids);
                samples += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            let _ = admin.disconnect().await;
            (peak, samples, seen)
        })
    };
    let mut checked = 0;
    for t in tasks {
        checked += within(300, "a load connection to finish", t)
            .await
            .expect("load task");
    }
    stop.store(true, Ordering::Relaxed);
    let (db_peak, samples, seen) = within(30, "the sampler", sampler).await.expect("sampler");
    println!("database connections: peak {db_peak} over {samples} samples, ids seen {seen:?}");
    assert!(samples > 0);
    assert!(checked >= TOTAL, "{checked} responses checked");
    println!("load: {checked} responses checked over {CONNS} keep-alive connections");
    // The pool never went past 4.
    // No pool exhaustion: every request above got a connection and was
    // answered; never more than 4 were out at once.
    let in_use = db.peak_in_use();
    println!("pool: at most {in_use} connections checked out at once");
    assert!(
        (1..=POOL_SIZE).contains(&in_use),
        "{in_use} connections out at once"
    );
    // The database side settles at the pool's size or less (a connection
    // the pool replaced can show for a moment while the server closes it).
    let mut admin = mysql_async::Conn::from_url(url.as_str())
        .await
        .expect("admin connection");
    let mut settled = Vec::new();
    for _ in 0..200 {
        settled = db_connection_ids(&mut admin).await;
        if settled.len() <= POOL_SIZE {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        settled.len() <= POOL_SIZE,
        "the database keeps {settled:?} (peak {db_peak})"
    );
    let _ = admin.disconnect().await;
    // No leaked connection: every client is gone, the server counts none.
    wait_until_async(30, "the server's connection count back to 0", || {
        server.connections() == 0
    })
    .await;
    let r = within(30, "a request after the load", async {
        let mut c = Client::connect(port).await;
        c.send("GET", "/api/users?name=waylau", None).await
    })
    .await;
    assert_eq!(r.status, 200, "the pool still answers after the load");
    server.close().expect("close");
    db.close().await.expect("pool close");
    drop(maria);
    drop(redis_server);
}

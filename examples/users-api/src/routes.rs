//! The routes: the notes' handlers, one per REST verb.

use std::sync::Arc;

use rt_http::ServerResponse;
use rt_web::basic_auth::BasicAuth;
use rt_web::json::{JsonOptions, read_json};
use rt_web::router::Router;
use rt_web::session::{Session, SessionOptions, Sessions};
use rt_web::session_redis::RedisStore;
use rt_web::{HttpError, Request};
use serde_json::Value;

use crate::db::{Db, DbError};
use crate::notes_redis::notes_calls;

/// Largest JSON body the API reads.
pub const JSON_LIMIT: u64 = 16 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The MySQL pool (4 connections).
    pub db: Db,
    /// A Redis connection (multiplexed: one socket for every request).
    pub redis: redis::aio::MultiplexedConnection,
    /// The login route's Basic auth account `(user, password)`.
    pub admin: (String, String),
    /// The session cookie's signing secret.
    pub secret: Vec<u8>,
    /// How long a session lives in Redis.
    pub session_ttl: std::time::Duration,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

fn send_json(res: &ServerResponse, status: u16, v: &Value) -> Result<(), HttpError> {
    res.set_status_code(status);
    res.set_header("Content-Type", "application/json; charset=utf-8")?;
    res.end_with(v.to_string())?;
    Ok(())
}

fn db_err(e: DbError) -> HttpError {
    match e {
        DbError::Duplicate => HttpError::new(409, "username already exists"),
        DbError::Other(e) => HttpError::internal(format!("database: {e}")),
    }
}

fn id_of(req: &Request) -> Result<u32, HttpError> {
    req.param("id")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| HttpError::new(400, "the id must be a positive integer"))
}

/// `{"username": "...", "email": "..."?}` from the body.
async fn user_body(req: &Request) -> Result<(String, Option<String>), HttpError> {
    let body = read_json(req.message(), &JsonOptions::default().limit(JSON_LIMIT))
        .await
        .map_err(|e| HttpError::new(e.status, e.message))?
        .ok_or_else(|| HttpError::new(415, "send application/json"))?;
    let username = body
        .get("username")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 64)
        .ok_or_else(|| HttpError::new(400, "\"username\" must be a string of 1 to 64 bytes"))?;
    let email = match body.get("email") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= 128 => Some(s.clone()),
        Some(_) => {
            return Err(HttpError::new(
                400,
                "\"email\" must be a string of at most 128 bytes",
            ));
        }
    };
    Ok((username.to_string(), email))
}

/// The application's router. Node: the notes' `app` with its `app.get(URL + '/', ...)` etc.
pub fn app(state: AppState) -> Router {
    let st = Arc::new(state);
    let mut app = Router::new();
    let s = st.clone();
    app.get("/api/users", move |req: Request, res: ServerResponse| {
        let s = s.clone();
        async move {
            let name = req.query().get("name").map(|v| v.to_string());
            let users = s.db.list(name.as_deref()).await.map_err(db_err)?;
            send_json(
                &res,
                200,
                &Value::Array(users.iter().map(|u| u.to_json()).collect()),
            )
        }
    });
    let s = st.clone();
    app.get("/api/users/:id", move |req: Request, res: ServerResponse| {
        let s = s.clone();
        async move {
            let id = id_of(&req)?;
            match s.db.get(id).await.map_err(db_err)? {
                Some(u) => send_json(&res, 200, &u.to_json()),
                None => Err(HttpError::new(404, format!("no user {id}"))),
            }
        }
    });
    let s = st.clone();
    app.post("/api/users", move |req: Request, res: ServerResponse| {
        let s = s.clone();
        async move {
            let (username, email) = user_body(&req).await?;
            let u = s.db.create(&username, email.as_deref()).await.map_err(db_err)?;
            res.set_header("Location", format!("/api/users/{}", u.id))?;
            send_json(&res, 201, &u.to_json())
        }
    });
    let s = st.clone();
    app.put("/api/users/:id", move |req: Request, res: ServerResponse| {
        let s = s.clone();
        async move {
            let id = id_of(&req)?;
            let (username, email) = user_body(&req).await?;
            match s
                .db
                .update(id, &username, email.as_deref())
                .await
                .map_err(db_err)?
            {
                Some(u) => send_json(&res, 200, &u.to_json()),
                None => Err(HttpError::new(404, format!("no user {id}"))),
            }
        }
    });
    let s = st.clone();
    app.delete("/api/users/:id", move |req: Request, res: ServerResponse| {
        let s = s.clone();
        async move {
            let id = id_of(&req)?;
            if s.db.delete(id).await.map_err(db_err)? {
                res.set_status_code(204);
                res.end()?;
                Ok(())
            } else {
                Err(HttpError::new(404, format!("no user {id}")))
            }
        }
    });
    // Login: Basic auth checked in constant time, then the user is kept
    // in a session whose data lives in Redis (TTL = session_ttl).
    let mut opts = SessionOptions::new(st.secret.clone());
    opts.ttl = st.session_ttl;
    let sessions = Sessions::new(RedisStore::from_connection(st.redis.clone()), opts);
    let auth = Arc::new(BasicAuth::user(st.admin.0.clone(), st.admin.1.clone()).realm("users-api"));
    let sess = sessions.clone();
    app.post("/api/login", move |req: Request, res: ServerResponse| {
        let (auth, sess) = (auth.clone(), sess.clone());
        async move {
            let user = auth.check(req.message())?;
            let session: Session = sess.load(&req, &res).await?;
            session.regenerate().await?;
            session.set("user", &user.0).await?;
            send_json(&res, 200, &serde_json::json!({ "user": user.0 }))
        }
    });
    let sess = sessions.clone();
    app.get("/api/me", move |req: Request, res: ServerResponse| {
        let sess = sess.clone();
        async move {
            let session = sess.load(&req, &res).await?;
            match session.get::<String>("user") {
                Some(user) => send_json(&res, 200, &serde_json::json!({ "user": user })),
                None => Err(HttpError::new(
                    401,
                    "log in first: POST /api/login with Basic auth",
                )),
            }
        }
    });
    let sess = sessions;
    app.post("/api/logout", move |req: Request, res: ServerResponse| {
        let sess = sess.clone();
        async move {
            let session = sess.load(&req, &res).await?;
            session.destroy().await?;
            res.set_status_code(204);
            res.end()?;
            Ok::<(), HttpError>(())
        }
    });
    let s = st.clone();
    app.get("/api/books", move |_req: Request, res: ServerResponse| {
        let s = s.clone();
        async move {
            let mut conn = s.redis.clone();
            let v = notes_calls(&mut conn, 60)
                .await
                .map_err(|e| HttpError::internal(format!("redis: {e}")))?;
            send_json(&res, 200, &v)
        }
    });
    app
}

//! The notes' sessions: the data stays on the server, the client keeps only a signed id; kept
//! in Redis (set `REDIS_URL=redis://127.0.0.1:6379/`) they are shared by every process, as the
//! notes advise; without it, in this process's memory.
//!
//! Run: `cargo run -p rt-web --example session` (or with `REDIS_URL=...`)

#[path = "common/fetch.rs"]
mod fetch;

use rt_http::ServerResponse;
use rt_web::session::{Session, SessionOptions, Sessions};
use rt_web::session_redis::RedisStore;
use rt_web::{HttpError, Request, Router};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sessions = match std::env::var("REDIS_URL") {
        Ok(url) => {
            println!("sessions in Redis at {url}");
            Sessions::new(
                RedisStore::connect(&url).await?,
                SessionOptions::new("keyboard cat"),
            )
        }
        Err(_) => {
            println!("sessions in memory (set REDIS_URL to keep them in Redis)");
            Sessions::memory("keyboard cat")
        }
    };
    let mut app = Router::new();
    app.use_fn(sessions.middleware());
    app.get("/", |req: Request, res: ServerResponse| async move {
        let session: Session = req.get().ok_or_else(|| HttpError::internal("no session"))?;
        let views = session.get::<u64>("views").unwrap_or(0) + 1;
        session.set("views", views).await?;
        res.end_with(format!("views: {views}\n"))?;
        Ok::<(), HttpError>(())
    });
    let server = app.listen(("127.0.0.1", 0)).await?;
    let port = server.address().and_then(|a| a.port()).ok_or("no port")?;
    let url = format!("http://127.0.0.1:{port}/");
    let first = fetch::fetch("GET", &url, &[], "").await?;
    // The browser's part: keep the cookie, send it back.
    let set = match first.headers.get("set-cookie") {
        Some(rt_http::HeaderValue::List(v)) => v[0].clone(),
        Some(rt_http::HeaderValue::One(v)) => v.clone(),
        None => return Err("no session cookie".into()),
    };
    let cookie = set.split(';').next().unwrap_or_default().to_owned();
    print!("{}", first.body);
    for _ in 0..2 {
        print!(
            "{}",
            fetch::fetch("GET", &url, &[("Cookie", &cookie)], "").await?.body
        );
    }
    server.close()?;
    Ok(())
}

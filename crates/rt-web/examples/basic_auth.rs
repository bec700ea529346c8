//! The notes' Basic authentication: the client sends `Authorization: Basic <base64(user:pass)>`;
//! without it (or with wrong credentials) the server answers 401 and `WWW-Authenticate`.
//!
//! Run: `cargo run -p rt-web --example basic_auth`

#[path = "common/fetch.rs"]
mod fetch;

use base64::Engine;
use rt_http::ServerResponse;
use rt_web::basic_auth::{BasicAuth, User};
use rt_web::{HttpError, Request, Router};

/// The notes' `encode`: `new Buffer(username + ':' + password).toString('base64')`.
fn encode(username: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut app = Router::new();
    app.use_fn(BasicAuth::user("user", "pass").realm("rt example").middleware());
    app.get("/", |req: Request, res: ServerResponse| async move {
        let user: User = req.get().ok_or_else(|| HttpError::internal("no user"))?;
        res.end_with(format!("hello {}\n", user.0))?;
        Ok::<(), HttpError>(())
    });
    let server = app.listen(("127.0.0.1", 0)).await?;
    let port = server.address().and_then(|a| a.port()).ok_or("no port")?;
    let url = format!("http://127.0.0.1:{port}/");
    let anon = fetch::fetch("GET", &url, &[], "").await?;
    println!(
        "{} WWW-Authenticate: {:?}",
        anon.status,
        anon.headers.get("www-authenticate")
    );
    let auth = format!("Basic {}", encode("user", "pass"));
    let ok = fetch::fetch("GET", &url, &[("Authorization", &auth)], "").await?;
    print!("{} {}", ok.status, ok.body);
    server.close()?;
    Ok(())
}

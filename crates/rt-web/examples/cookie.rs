//! The notes' cookie round trip: the server sends a cookie (Path, Expires, HttpOnly), the
//! browser keeps it and sends it back on every request.
//!
//! Run: `cargo run -p rt-web --example cookie`

#[path = "common/fetch.rs"]
mod fetch;

use std::time::{Duration, SystemTime};

use rt_http::ServerResponse;
use rt_web::cookie::{self, CookieOptions};
use rt_web::{HttpError, Request, Router};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut app = Router::new();
    app.get("/", |req: Request, res: ServerResponse| async move {
        let cookies = cookie::cookies(req.message());
        if cookies.get("isVisit").is_some() {
            res.end_with("welcome back\n")?;
        } else {
            let opts = CookieOptions {
                path: Some("/".into()),
                expires: Some(SystemTime::now() + Duration::from_secs(3600)),
                http_only: true,
                ..Default::default()
            };
            cookie::set_cookie(&res, "isVisit", "1", &opts)?;
            res.end_with("welcome, first visit\n")?;
        }
        Ok::<(), HttpError>(())
    });
    let server = app.listen(("127.0.0.1", 0)).await?;
    let port = server.address().and_then(|a| a.port()).ok_or("no port")?;
    let url = format!("http://127.0.0.1:{port}/");
    let first = fetch::fetch("GET", &url, &[], "").await?;
    let set = first
        .headers
        .get("set-cookie")
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    print!("{} Set-Cookie: {set}\n{}", first.status, first.body);
    let second = fetch::fetch("GET", &url, &[("Cookie", "isVisit=1")], "").await?;
    print!("{} {}", second.status, second.body);
    server.close()?;
    Ok(())
}

//! The notes' form handler: `if (req.headers['content-type'] === 'application/x-www-form-urlencoded')
//! { req.body = querystring.parse(req.rawBody); }`, on rt.
//!
//! Run: `cargo run -p rt-web --example querystring`

#[path = "common/fetch.rs"]
mod fetch;

use rt_http::ServerResponse;
use rt_web::{HttpError, Request, Router, querystring};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut app = Router::new();
    app.post("/form", |req: Request, res: ServerResponse| async move {
        let raw: Vec<u8> = req.read_all().await?.iter().flat_map(|c| c.to_vec()).collect();
        let raw_body = String::from_utf8_lossy(&raw);
        if req.header("content-type").as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(HttpError::new(415, "expected a form"));
        }
        let body = querystring::parse(&raw_body);
        res.end_with(format!(
            "foo={:?} baz={:?}\n",
            body.get("foo"),
            body.get_all("baz")
        ))?;
        Ok(())
    });
    let server = app.listen(("127.0.0.1", 0)).await?;
    let port = server.address().and_then(|a| a.port()).ok_or("no port")?;
    let url = format!("http://127.0.0.1:{port}/form");
    let form = querystring::stringify([("foo", "bar"), ("baz", "val"), ("baz", "two words")]);
    println!("POST {form}");
    let r = fetch::fetch(
        "POST",
        &url,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    )
    .await?;
    print!("{} {}", r.status, r.body);
    server.close()?;
    Ok(())
}

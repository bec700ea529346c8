//! The notes' routing: a path picks a controller and an action (`/controller/action/a/b/c`
//! in the notes' MVC section), with express's patterns, middleware and errors.
//!
//! Run: `cargo run -p rt-web --example router`

#[path = "common/fetch.rs"]
mod fetch;

use rt_http::ServerResponse;
use rt_web::{HttpError, Next, Request, Router};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut app = Router::new();
    // Middleware, in order: a log line for every request.
    app.use_fn(|req: Request, res: ServerResponse, next: Next| async move {
        println!("  -> {} {}", req.method(), req.url());
        next.run(req, res).await
    });
    app.get(
        "/user/setting/:id",
        |req: Request, res: ServerResponse| async move {
            res.end_with(format!("user setting {}\n", req.param("id").unwrap_or_default()))
        },
    );
    app.get(
        "/profile/:username",
        |req: Request, res: ServerResponse| async move {
            res.end_with(format!(
                "profile of {}\n",
                req.param("username").unwrap_or_default()
            ))
        },
    );
    // The notes' `/controller/action/args...`.
    app.all(
        "/:controller/:action/*args",
        |req: Request, res: ServerResponse| async move {
            let (c, a) = (
                req.param("controller").unwrap_or_default(),
                req.param("action").unwrap_or_default(),
            );
            if c != "blog" {
                return Err(HttpError::new(404, format!("no controller {c}")));
            }
            res.end_with(format!(
                "{c}.{a}({})\n",
                req.param("args").unwrap_or_default().replace('/', ", ")
            ))?;
            Ok(())
        },
    );
    let server = app.listen(("127.0.0.1", 0)).await?;
    let port = server.address().and_then(|a| a.port()).ok_or("no port")?;
    for (method, path) in [
        ("GET", "/user/setting/12"),
        ("GET", "/profile/jackson"),
        ("POST", "/blog/post/2024/hello"),
        ("GET", "/shop/list/x"),
        ("DELETE", "/profile/jackson"),
        ("GET", "/nowhere"),
    ] {
        let r = fetch::fetch(method, &format!("http://127.0.0.1:{port}{path}"), &[], "").await?;
        println!("{method} {path} -> {} {}", r.status, r.body.trim_end());
    }
    server.close()?;
    Ok(())
}

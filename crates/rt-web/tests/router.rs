//! The router against a real rt-http server over loopback, asked with raw HTTP/1.1.

mod common;

use std::sync::{Arc, Mutex};

use common::{exchange, get, serve};
use rt_http::ServerResponse;
use rt_web::router::{Next, Router};
use rt_web::{HttpError, Request};

fn text(res: &ServerResponse, body: String) -> Result<(), HttpError> {
    res.set_header("Content-Type", "text/plain")?;
    res.end_with(body)?;
    Ok(())
}

#[derive(Clone)]
struct Who(String);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_params_wildcards_404_405() {
    let mut app = Router::new();
    app.get("/api/users", |_req: Request, res: ServerResponse| async move {
        text(&res, "list".into())
    });
    app.get("/api/users/:id", |req: Request, res: ServerResponse| async move {
        text(&res, format!("user {}", req.param("id").unwrap()))
    });
    app.put("/api/users/:id", |req: Request, res: ServerResponse| async move {
        text(&res, format!("put {}", req.param("id").unwrap()))
    });
    app.get("/files/*", |req: Request, res: ServerResponse| async move {
        text(&res, format!("file {}", req.param("*").unwrap()))
    });
    app.get("/a/:x/b/:y?", |req: Request, res: ServerResponse| async move {
        text(&res, format!("{:?}", req.params()))
    });
    app.get("/q", |req: Request, res: ServerResponse| async move {
        let q = req.query();
        text(&res, format!("{:?} {:?}", q.get("a"), q.get_all("b")))
    });
    let (server, port) = serve(app).await;

    let r = get(port, "/api/users").await;
    assert_eq!((r.status, r.body.as_str()), (200, "list"));
    let r = get(port, "/api/users/42").await;
    assert_eq!((r.status, r.body.as_str()), (200, "user 42"));
    // Case-insensitive, trailing slash allowed, parameters percent-decoded (express defaults).
    let r = get(port, "/API/Users/%C3%A9t%C3%A9/").await;
    assert_eq!((r.status, r.body.as_str()), (200, "user été"));
    let r = exchange(port, "PUT", "/api/users/7", &[], "").await;
    assert_eq!((r.status, r.body.as_str()), (200, "put 7"));
    let r = get(port, "/files/a/b/c.txt").await;
    assert_eq!((r.status, r.body.as_str()), (200, "file a/b/c.txt"));
    assert_eq!(get(port, "/files").await.status, 404);
    let r = get(port, "/a/1/b").await;
    assert_eq!(r.body, r#"[("x", "1")]"#);
    let r = get(port, "/a/1/b/2").await;
    assert_eq!(r.body, r#"[("x", "1"), ("y", "2")]"#);
    let r = get(port, "/q?a=1&b=x&b=y+z").await;
    assert_eq!(r.body, r#"Some("1") ["x", "y z"]"#);

    // 404: no route for the path.
    let r = get(port, "/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, "Cannot GET /nope");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    let r = get(port, "/api/users/1/2").await;
    assert_eq!(r.status, 404);
    // A parameter that does not decode: 400 as express.
    let r = get(port, "/api/users/%E4%B8").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "Failed to decode param '%E4%B8'")
    );
    // 405 with Allow: the path exists for other methods.
    let r = exchange(port, "DELETE", "/api/users/7", &[], "").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, PUT"));
    let r = exchange(port, "POST", "/api/users", &[], "x=1").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    // OPTIONS answered from the routes; HEAD runs the GET route without a body.
    let r = exchange(port, "OPTIONS", "/api/users/7", &[], "").await;
    assert_eq!((r.status, r.header("allow")), (200, Some("GET, HEAD, PUT")));
    let r = exchange(port, "HEAD", "/api/users/7", &[], "").await;
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    server.close().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middleware_in_order_and_errors_become_responses() {
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut app = Router::new();
    let o = order.clone();
    app.use_fn(move |req: Request, res: ServerResponse, next: Next| {
        let o = o.clone();
        async move {
            o.lock().unwrap().push(format!("first {}", req.path()));
            res.set_header("X-First", "1")?;
            let out = next.run(req, res).await;
            o.lock().unwrap().push("first after".into());
            out
        }
    });
    let o = order.clone();
    app.use_at("/admin", move |req: Request, res: ServerResponse, next: Next| {
        let o = o.clone();
        async move {
            o.lock().unwrap().push("admin gate".into());
            match req.header("x-user") {
                Some(u) => {
                    req.insert(Who(u));
                    next.run(req, res).await
                }
                None => Err(HttpError::new(403, "who are you")),
            }
        }
    });
    app.get("/admin/panel", |req: Request, res: ServerResponse| async move {
        let who: Who = req.get().expect("the gate attached Who");
        text(&res, format!("hello {}", who.0))
    });
    app.get("/plain", |_req: Request, res: ServerResponse| async move {
        text(&res, "plain".into())
    });
    app.get("/fail", |_req: Request, _res: ServerResponse| async move {
        Err::<(), _>(HttpError::new(409, "duplicate").with_header("X-Why", "dup"))
    });
    app.get("/gz", |_req: Request, res: ServerResponse| async move {
        res.set_header("Content-Encoding", "gzip")?;
        res.set_header("X-Kept", "yes")?;
        Err::<(), _>(HttpError::new(400, "bad"))
    });
    app.get("/io", |_req: Request, _res: ServerResponse| async move {
        std::fs::read("/definitely/not/here")?;
        Ok::<(), HttpError>(())
    });
    app.get("/panic", |_req: Request, _res: ServerResponse| async move {
        if true {
            panic!("boom");
        }
    });
    let (server, port) = serve(app).await;

    let r = get(port, "/admin/panel").await;
    assert_eq!((r.status, r.body.as_str()), (403, "who are you"));
    // The error answer keeps headers set before the error but the content ones, as express's
    // finalhandler does.
    assert_eq!(r.header("x-first"), Some("1"));
    let r = exchange(port, "GET", "/admin/panel", &[("X-User", "ann")], "").await;
    assert_eq!((r.status, r.body.as_str()), (200, "hello ann"));
    assert_eq!(r.header("x-first"), Some("1"));
    let r = get(port, "/plain").await;
    assert_eq!((r.status, r.body.as_str()), (200, "plain"));
    assert_eq!(
        *order.lock().unwrap(),
        [
            "first /admin/panel",
            "admin gate",
            "first after",
            "first /admin/panel",
            "admin gate",
            "first after",
            "first /plain",
            "first after"
        ]
    );
    let r = get(port, "/fail").await;
    assert_eq!(
        (r.status, r.body.as_str(), r.header("x-why")),
        (409, "duplicate", Some("dup"))
    );
    let r = get(port, "/gz").await;
    assert_eq!(
        (r.status, r.header("content-encoding"), r.header("x-kept")),
        (400, None, Some("yes"))
    );
    // An io::Error through `?`: 500, the message not shown.
    let r = get(port, "/io").await;
    assert_eq!((r.status, r.body.as_str()), (500, "Internal Server Error"));
    // A panic: still an answer, and the server goes on.
    let r = get(port, "/panic").await;
    assert_eq!((r.status, r.body.as_str()), (500, "Internal Server Error"));
    let r = get(port, "/plain").await;
    assert_eq!(r.status, 200);
    server.close().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_error_handler() {
    let mut app = Router::new();
    app.get("/x", |_req: Request, _res: ServerResponse| async move {
        Err::<(), _>(HttpError::new(418, "teapot"))
    });
    app.on_error(|err, _req, res| {
        res.set_status_code(err.status);
        let _ = res.end_with(format!("{{\"error\":\"{}\"}}", err.message));
    });
    let (server, port) = serve(app).await;
    let r = get(port, "/x").await;
    assert_eq!((r.status, r.body.as_str()), (418, r#"{"error":"teapot"}"#));
    let r = get(port, "/y").await;
    assert_eq!((r.status, r.body.as_str()), (404, r#"{"error":"Cannot GET /y"}"#));
    server.close().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_errors_keep_their_status() {
    let mut app = Router::new();
    app.get("/big", |_req: Request, _res: ServerResponse| async move {
        Err::<(), _>(rt_web::body_error::BodyError::too_large("JSON body", 10))
    });
    app.get("/bad", |_req: Request, _res: ServerResponse| async move {
        Err::<(), _>(rt_web::body_error::BodyError::parse("Unexpected token"))
    });
    let (server, port) = serve(app).await;
    let r = get(port, "/big").await;
    assert_eq!(r.status, 413);
    assert_eq!(
        r.body,
        "request entity too large: JSON body is limited to 10 bytes"
    );
    let r = get(port, "/bad").await;
    assert_eq!((r.status, r.body.as_str()), (400, "Unexpected token"));
    server.close().ok();
}

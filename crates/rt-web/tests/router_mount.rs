//! Routers mounted under a path (express 4's `app.use('/api', router)`) and
//! middleware mounted with `use_at`: `req.url` / `req.path` relative to the
//! mount point, `req.baseUrl`, `req.originalUrl`, and both restored when the
//! mounted router hands the request on (`next`). express is not installed here
//! (npm cannot fetch offline), so the expectations are express 4's documented
//! rules (router/index.js `trim_prefix`: the matched path removed from
//! `req.url`, a leading `/` kept, `req.baseUrl` = parent's + the matched part
//! without its trailing slash, case as the request wrote it).

mod common;

use common::{get, serve};
use rt_http::ServerResponse;
use rt_web::router::{Next, Router};
use rt_web::{HttpError, Request};

fn show(req: &Request, res: &ServerResponse, who: &str) -> Result<(), HttpError> {
    let body = format!(
        "{who} url={} path={} base={} orig={}",
        req.url(),
        req.path(),
        req.base_url(),
        req.original_url()
    );
    res.set_header("Content-Type", "text/plain")?;
    res.end_with(body)?;
    Ok(())
}

fn app() -> Router {
    let mut v1 = Router::new();
    v1.get("/users/:id", |req: Request, res: ServerResponse| async move {
        show(
            &req,
            &res,
            &format!("v1 user {}", req.param("id").unwrap_or_default()),
        )
    });
    let mut api = Router::new();
    api.use_fn(|req: Request, res: ServerResponse, next: Next| async move {
        res.set_header("X-Api-Base", req.base_url())?;
        next.run(req, res).await
    });
    api.get("/", |req: Request, res: ServerResponse| async move {
        show(&req, &res, "api root")
    });
    api.get("/users", |req: Request, res: ServerResponse| async move {
        show(&req, &res, "api users")
    });
    api.post("/only-post", |req: Request, res: ServerResponse| async move {
        show(&req, &res, "post")
    });
    api.use_router("/v1", v1);
    let mut app = Router::new();
    app.use_router("/api", api);
    app.use_at(
        "/static",
        |req: Request, res: ServerResponse, next: Next| async move {
            if req.path() == "/gone" {
                return next.run(req, res).await;
            }
            show(&req, &res, "static mw")
        },
    );
    // Reached after the mounted router and the middleware hand the request on.
    app.all("/api/*", |req: Request, res: ServerResponse| async move {
        show(&req, &res, "app fallback")
    });
    app.get("/static/gone", |req: Request, res: ServerResponse| async move {
        show(&req, &res, "app gone")
    });
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mounted_routers_see_relative_urls_and_base_url() {
    let (server, port) = serve(app()).await;
    let cases: &[(&str, u16, &str)] = &[
        (
            "/api/users",
            200,
            "api users url=/users path=/users base=/api orig=/api/users",
        ),
        (
            "/api/users?x=1&y",
            200,
            "api users url=/users?x=1&y path=/users base=/api orig=/api/users?x=1&y",
        ),
        ("/api", 200, "api root url=/ path=/ base=/api orig=/api"),
        ("/api/", 200, "api root url=/ path=/ base=/api orig=/api/"),
        (
            "/API/Users",
            200,
            "api users url=/Users path=/Users base=/API orig=/API/Users",
        ),
        (
            "/api/v1/users/7",
            200,
            "v1 user 7 url=/users/7 path=/users/7 base=/api/v1 orig=/api/v1/users/7",
        ),
        (
            "/Api/V1/users/%41?q",
            200,
            "v1 user A url=/users/%41?q path=/users/%41 base=/Api/V1 orig=/Api/V1/users/%41?q",
        ),
        // Nothing in the mounted router answers: the app's next layer, URL restored.
        (
            "/api/nothing",
            200,
            "app fallback url=/api/nothing path=/api/nothing base= orig=/api/nothing",
        ),
        (
            "/api/v1/nothing",
            200,
            "app fallback url=/api/v1/nothing path=/api/v1/nothing base= orig=/api/v1/nothing",
        ),
        (
            "/static/css/a.css",
            200,
            "static mw url=/css/a.css path=/css/a.css base=/static orig=/static/css/a.css",
        ),
        ("/static", 200, "static mw url=/ path=/ base=/static orig=/static"),
        (
            "/static/gone",
            200,
            "app gone url=/static/gone path=/static/gone base= orig=/static/gone",
        ),
    ];
    let mut compared = 0;
    for (path, status, body) in cases {
        let r = get(port, path).await;
        assert_eq!((r.status, r.body.as_str()), (*status, *body), "GET {path}");
        compared += 1;
    }
    // The middleware mounted in the api router saw the api mount point.
    assert_eq!(
        get(port, "/api/v1/users/1").await.header("x-api-base"),
        Some("/api")
    );
    // `/apix` is not under `/api`; 404 names the whole path.
    let r = get(port, "/apix/users").await;
    assert_eq!((r.status, r.body.as_str()), (404, "Cannot GET /apix/users"));
    // A route of the mounted router asked with another method falls through to the
    // app's `all` route (as in express, where a method miss is not an answer).
    let r = get(port, "/api/only-post").await;
    assert_eq!(
        r.body,
        "app fallback url=/api/only-post path=/api/only-post base= orig=/api/only-post"
    );
    println!("mounted routers: {compared} URLs checked");
    assert_eq!(compared, cases.len());
    server.close().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_miss_in_a_mounted_router_is_405_with_allow() {
    let mut api = Router::new();
    api.get("/users/:id", |req: Request, res: ServerResponse| async move {
        show(&req, &res, "get")
    });
    api.put("/users/:id", |req: Request, res: ServerResponse| async move {
        show(&req, &res, "put")
    });
    let mut app = Router::new();
    app.use_router("/api", api);
    let (server, port) = serve(app).await;
    let r = common::exchange(port, "DELETE", "/api/users/1", &[], "").await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD, PUT")));
    let r = get(port, "/api/users/1/more").await;
    assert_eq!((r.status, r.body.as_str()), (404, "Cannot GET /api/users/1/more"));
    server.close().ok();
}

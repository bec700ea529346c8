//! [`Router`]: express's `app` — routes by method and path pattern (`/api/users/:id`,
//! wildcards), middleware run in the order added (`app.use` with `next`), async handlers,
//! 404 for an unknown path, 405 with `Allow` for a known path asked with another method
//! (and an automatic `OPTIONS` answer), and every error a handler returns — or a panic —
//! answered as a response ([`HttpError`]) instead of a dropped connection. Routers mount
//! under a path ([`Router::use_router`], express's `app.use('/api', router)`), with
//! `req.baseUrl` / `req.originalUrl` / a relative `req.url` as in express 4.
//!
//! ```no_run
//! use rt_web::router::{Next, Router};
//! use rt_web::{HttpError, Request};
//! use rt_http::ServerResponse;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // The notes: app.use(logger); app.get('/api/users/:id', (req, res) => ...); app.listen(3000)
//! let mut app = Router::new();
//! app.use_fn(|req: Request, res: ServerResponse, next: Next| async move {
//!     res.set_header("X-Powered-By", "rt")?;
//!     next.run(req, res).await
//! });
//! app.get("/api/users/:id", |req: Request, res: ServerResponse| async move {
//!     let id: u32 = req.param("id").unwrap_or_default().parse()
//!         .map_err(|_| HttpError::new(400, "id must be a number"))?;
//!     res.set_header("Content-Type", "application/json")?;
//!     res.end_with(format!("{{\"id\":{id}}}"))?;
//!     Ok::<(), HttpError>(())
//! });
//! let server = app.listen(3000).await?;
//! # drop(server); Ok(()) }
//! ```

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use rt_http::{IncomingMessage, Server, ServerResponse};

use crate::error::{HttpError, IntoOutcome};
use crate::path_pattern::{PathPattern, split_path};
use crate::request::Request;

/// A boxed handler future.
#[doc(alias = "Promise")]
pub type BoxFuture = Pin<Box<dyn Future<Output = Result<(), HttpError>> + Send + 'static>>;

/// A route handler: an async `(req, res)` closure returning `()` or `Result<(), E>`.
/// express: `(req, res) => ...`.
#[doc(alias = "route handler")]
pub trait Handler: Send + Sync + 'static {
    /// Runs the handler.
    fn call(&self, req: Request, res: ServerResponse) -> BoxFuture;
}

impl<F, Fut> Handler for F
where
    F: Fn(Request, ServerResponse) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    fn call(&self, req: Request, res: ServerResponse) -> BoxFuture {
        let fut = self(req, res);
        Box::pin(async move { fut.await.into_outcome() })
    }
}

/// A middleware: an async `(req, res, next)` closure that answers itself or calls
/// [`Next::run`] to go on. express: `(req, res, next) => ...`.
#[doc(alias = "middleware")]
pub trait Middleware: Send + Sync + 'static {
    /// Runs the middleware.
    fn call(&self, req: Request, res: ServerResponse, next: Next) -> BoxFuture;
}

impl<F, Fut> Middleware for F
where
    F: Fn(Request, ServerResponse, Next) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    fn call(&self, req: Request, res: ServerResponse, next: Next) -> BoxFuture {
        let fut = self(req, res, next);
        Box::pin(async move { fut.await.into_outcome() })
    }
}

/// The error answer: express's 4-argument `(err, req, res, next)` middleware.
#[doc(alias = "error-handling middleware")]
pub type ErrorHandler = Arc<dyn Fn(HttpError, Request, ServerResponse) + Send + Sync>;

enum Layer {
    Use {
        prefix: String,
        middleware: Arc<dyn Middleware>,
    },
    Mount {
        prefix: String,
        layers: Arc<[Layer]>,
    },
    Route {
        /// Upper-case method; `None` for `all`.
        method: Option<String>,
        pattern: PathPattern,
        handler: Arc<dyn Handler>,
    },
}

/// express's `app` / `express.Router()`: an ordered list of middleware and routes. Build it,
/// then serve it with [`Router::listen`] or hand [`Router::into_handler`] to
/// `rt_http::create_server`.
#[doc(alias = "express")]
#[doc(alias = "express.Router")]
#[doc(alias = "app")]
#[derive(Default)]
pub struct Router {
    layers: Vec<Layer>,
    error_handler: Option<ErrorHandler>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("layers", &self.layers.len())
            .finish()
    }
}

macro_rules! method_fns {
    ($($fn_name:ident $method:literal $alias:literal),*) => {$(
        #[doc = concat!("Adds a route for `", $method, "` requests to `path`. express: `", $alias, "`.")]
        #[doc(alias = $alias)]
        pub fn $fn_name(&mut self, path: &str, handler: impl Handler) -> &mut Self {
            self.route($method, path, handler)
        }
    )*};
}

impl Router {
    /// An empty router. express: `express()`.
    #[doc(alias = "express()")]
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds a middleware for every path. express: `app.use(fn)`.
    #[doc(alias = "app.use")]
    pub fn use_fn(&mut self, middleware: impl Middleware) -> &mut Self {
        self.use_at("/", middleware)
    }

    /// Adds a middleware for `prefix` and the paths under it (`/api` covers `/api/users`, not
    /// `/apis`; case-insensitive). express: `app.use(path, fn)`: inside it
    /// [`Request::path`] and [`Request::url`] are relative to `prefix` and
    /// [`Request::base_url`] is the prefix, as the request wrote it; its `next` restores them.
    #[doc(alias = "app.use")]
    pub fn use_at(&mut self, prefix: &str, middleware: impl Middleware) -> &mut Self {
        self.layers.push(Layer::Use {
            prefix: prefix.to_owned(),
            middleware: Arc::new(middleware),
        });
        self
    }

    /// Mounts `router` at `prefix`: requests for `prefix` and the paths under it go through
    /// its middleware and routes with [`Request::path`] / [`Request::url`] relative to
    /// `prefix` and [`Request::base_url`] set (nested mounts add up: `/api` + `/v1` is
    /// `/api/v1`); when nothing in it answers, the request goes on to the layers after the
    /// mount here with the URL restored. express 4: `app.use('/api', router)`. Only this
    /// (outer) router's [`Router::on_error`] answers errors; the mounted one's is not used.
    #[doc(alias = "app.use")]
    #[doc(alias = "router.use")]
    pub fn use_router(&mut self, prefix: &str, router: Router) -> &mut Self {
        self.layers.push(Layer::Mount {
            prefix: prefix.to_owned(),
            layers: router.layers.into(),
        });
        self
    }

    /// Adds a route for `method` (any case; `"*"` for every method) and `path`. A `GET`
    /// route also answers `HEAD`, as in express. express: `app[method](path, handler)`.
    #[doc(alias = "app.METHOD")]
    pub fn route(&mut self, method: &str, path: &str, handler: impl Handler) -> &mut Self {
        let method = (method != "*").then(|| method.to_ascii_uppercase());
        self.layers.push(Layer::Route {
            method,
            pattern: PathPattern::new(path),
            handler: Arc::new(handler),
        });
        self
    }

    /// Adds a route for every method. express: `app.all(path, handler)`.
    #[doc(alias = "app.all")]
    pub fn all(&mut self, path: &str, handler: impl Handler) -> &mut Self {
        self.route("*", path, handler)
    }

    method_fns!(
        get "GET" "app.get",
        post "POST" "app.post",
        put "PUT" "app.put",
        delete "DELETE" "app.delete",
        patch "PATCH" "app.patch",
        head "HEAD" "app.head",
        options "OPTIONS" "app.options"
    );

    /// Replaces the default error answer (status, `text/plain` message). express: an error
    /// middleware `app.use((err, req, res, next) => ...)`.
    #[doc(alias = "errorHandler")]
    pub fn on_error(
        &mut self,
        handler: impl Fn(HttpError, Request, ServerResponse) + Send + Sync + 'static,
    ) -> &mut Self {
        self.error_handler = Some(Arc::new(handler));
        self
    }

    /// The router as an rt-http request handler: `rt_http::create_server(app.into_handler())`.
    #[doc(alias = "http.createServer(app)")]
    pub fn into_handler(
        self,
    ) -> impl Fn(IncomingMessage, ServerResponse) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync + 'static
    {
        let shared = Arc::new(Shared {
            layers: self.layers.into(),
            error_handler: self.error_handler,
        });
        move |msg, res| {
            let shared = shared.clone();
            Box::pin(async move { shared.handle(msg, res).await })
        }
    }

    /// Creates an rt-http server for this router and listens (a port, `(host, port)`, or
    /// rt-net's `ListenOptions`); [`Server::address`] says where. express: `app.listen(port)`.
    #[doc(alias = "app.listen")]
    pub async fn listen(self, options: impl Into<rt_net::ListenOptions>) -> Result<Server, rt_stream::Error> {
        let server = rt_http::create_server(self.into_handler());
        server.listen(options).await?;
        Ok(server)
    }
}

struct Shared {
    layers: Arc<[Layer]>,
    error_handler: Option<ErrorHandler>,
}

impl Shared {
    async fn handle(&self, msg: IncomingMessage, res: ServerResponse) {
        let req = Request::new(msg);
        let next = Next {
            layers: self.layers.clone(),
            index: 0,
            mount: 0,
            allowed: Arc::new(Mutex::new(Vec::new())),
            parent: None,
        };
        let outcome = AssertUnwindSafe(next.run(req.clone(), res.clone()))
            .catch_unwind()
            .await;
        let err = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a handler panicked".into());
                HttpError::internal(format!("handler panicked: {what}"))
            }
        };
        match &self.error_handler {
            Some(h) => h(err, req, res),
            None => send_error(&err, &req, &res),
        }
    }
}

/// The default error answer, express's final handler (`finalhandler`): the error's status and
/// headers, the content headers set before removed (`Content-Encoding`, `-Language`, `-Range`;
/// others such as a session's `Set-Cookie` stay), `text/plain` with
/// [`HttpError::public_message`]; a 5xx message is logged to stderr. When the head was already
/// sent, the response is ended as it is.
#[doc(alias = "finalhandler")]
pub fn send_error(err: &HttpError, req: &Request, res: &ServerResponse) {
    if err.status >= 500 {
        eprintln!("rt-web: {} {}: {}", req.method(), req.path(), err.message);
    }
    if res.headers_sent() {
        let _ = res.end();
        return;
    }
    // finalhandler removes the content headers only; the rest (a session's Set-Cookie...) stays.
    for name in ["Content-Encoding", "Content-Language", "Content-Range"] {
        let _ = res.remove_header(name);
    }
    let body = err.public_message();
    res.set_status_code(err.status);
    for (name, value) in &err.headers {
        let _ = res.set_header(name, value.as_str());
    }
    let _ = res.set_header("Content-Type", "text/plain; charset=utf-8");
    let _ = res.set_header("Content-Length", body.len().to_string());
    let _ = res.set_header("X-Content-Type-Options", "nosniff");
    let _ = res.end_with(body);
}

/// The rest of the chain after a middleware. express: the `next` argument.
#[doc(alias = "next")]
pub struct Next {
    /// The router's layers this `next` goes on in.
    layers: Arc<[Layer]>,
    index: usize,
    /// The request's mount length (`req.baseUrl`) at this router's level.
    mount: usize,
    /// Methods of routes whose path matched but whose method did not (for 405 / `Allow`),
    /// shared by every router the request goes through.
    allowed: Arc<Mutex<Vec<String>>>,
    /// Where to go on when this (mounted) router's layers are done.
    parent: Option<Box<Next>>,
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next")
            .field("index", &self.index)
            .field("mount", &self.mount)
            .finish()
    }
}

impl Next {
    /// Runs the following middleware and the matching route, and returns their outcome
    /// (express's `next()`; returning `Err` is `next(err)`). When nothing answers: 405 with
    /// `Allow` if the path has routes for other methods (`OPTIONS` gets 200 and `Allow`),
    /// else 404 `Cannot GET /path`.
    #[doc(alias = "next()")]
    pub fn run(self, req: Request, res: ServerResponse) -> BoxFuture {
        Box::pin(async move {
            let layers = &self.layers;
            // Back at this router's level: express restores req.url / req.baseUrl.
            req.set_mount(self.mount);
            let method = req.method().to_ascii_uppercase();
            let path = req.path().to_owned();
            let parts = split_path(&path);
            for i in self.index..layers.len() {
                match &layers[i] {
                    Layer::Use { prefix, middleware } => {
                        if PathPattern::is_prefix_of(prefix, &path) {
                            let next = self.at(i + 1);
                            req.set_mount(self.mount + mounted_len(prefix, &path));
                            return middleware.call(req, res, next).await;
                        }
                    }
                    Layer::Mount { prefix, layers } => {
                        if PathPattern::is_prefix_of(prefix, &path) {
                            let inner = Next {
                                layers: layers.clone(),
                                index: 0,
                                mount: self.mount + mounted_len(prefix, &path),
                                allowed: self.allowed.clone(),
                                parent: Some(Box::new(self.at(i + 1))),
                            };
                            return inner.run(req, res).await;
                        }
                    }
                    Layer::Route {
                        method: want,
                        pattern,
                        handler,
                    } => {
                        let Some(parts) = parts.as_ref() else {
                            continue;
                        };
                        let Some(params) = pattern.matches_split(parts)? else {
                            continue;
                        };
                        let fits = match want {
                            None => true,
                            Some(m) => *m == method || (m == "GET" && method == "HEAD"),
                        };
                        if fits {
                            req.set_params(params);
                            return handler.call(req, res).await;
                        }
                        if let Some(m) = want {
                            let mut allowed = self.allowed.lock().unwrap_or_else(PoisonError::into_inner);
                            if !allowed.contains(m) {
                                allowed.push(m.clone());
                            }
                            if m == "GET" && !allowed.iter().any(|a| a == "HEAD") {
                                allowed.push("HEAD".into());
                            }
                        }
                    }
                }
            }
            if let Some(parent) = self.parent {
                return parent.run(req, res).await;
            }
            let path = req.original_path().to_owned();
            let allowed = std::mem::take(&mut *self.allowed.lock().unwrap_or_else(PoisonError::into_inner));
            if allowed.is_empty() {
                return Err(HttpError::new(404, format!("Cannot {} {}", req.method(), path)));
            }
            let allow = allowed.join(", ");
            if method == "OPTIONS" {
                res.set_header("Allow", allow.as_str())?;
                res.set_header("Content-Type", "text/plain; charset=utf-8")?;
                res.end_with(allow)?;
                return Ok(());
            }
            Err(
                HttpError::new(405, format!("Method {} not allowed on {}", req.method(), path))
                    .with_header("Allow", allow),
            )
        })
    }
}

impl Next {
    /// This router's chain from layer `index` on.
    fn at(&self, index: usize) -> Next {
        Next {
            layers: self.layers.clone(),
            index,
            mount: self.mount,
            allowed: self.allowed.clone(),
            parent: self.parent.as_ref().map(|p| Box::new(p.at(p.index))),
        }
    }
}

/// How many bytes of `path` (relative to the current mount) a matching `prefix` takes:
/// the prefix without its trailing slash (express keeps the rest's leading `/`).
fn mounted_len(prefix: &str, path: &str) -> usize {
    prefix.trim_end_matches('/').len().min(path.len())
}

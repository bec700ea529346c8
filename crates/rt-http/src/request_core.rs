//! `ClientRequest`'s head rules without I/O: method and path validation, the
//! `Host` and `Authorization` headers Node adds, keep-alive by agent, and the
//! request line, producing the bytes Node's `http.request` sends.

use rt_buffer::{Buffer, Encoding};
use rt_stream::Error;

use crate::outgoing::{Message, OutValue, Outgoing, is_token, plain, push_u64, take_head_buffer};

/// The headers given to `http.request`: an object (Node adds `Host` /
/// `Authorization` when missing) or a raw array (sent exactly as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestHeaders {
    /// `headers: { name: value }`, in order.
    Map(Vec<(String, OutValue)>),
    /// `headers: [[name, value], ...]`: written as they are, nothing added.
    Raw(Vec<(String, OutValue)>),
}

impl Default for RequestHeaders {
    fn default() -> RequestHeaders {
        RequestHeaders::Map(Vec::new())
    }
}

/// The options of `http.request` that shape the request's head.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RequestHeadOptions {
    /// `method` (default `GET`; upper-cased).
    pub method: Option<String>,
    /// `path` (default `/`).
    pub path: Option<String>,
    /// `hostname` (preferred over `host`).
    pub hostname: Option<String>,
    /// `host` (default `localhost`).
    pub host: Option<String>,
    /// `port` (default the agent's default port, 80).
    pub port: Option<u16>,
    /// `defaultPort`.
    pub default_port: Option<u16>,
    /// `setHost` (default true): add a `Host` header when none is set.
    pub set_host: Option<bool>,
    /// `auth`: `user:password` for a Basic `Authorization` header.
    pub auth: Option<String>,
    /// `headers`.
    pub headers: RequestHeaders,
    /// Whether the agent keeps connections alive (Node: `agent.keepAlive`
    /// or a finite `maxSockets`; the global agent does; `agent: false` does
    /// not). `None`: no agent (a `createConnection` of one's own).
    pub agent_keep_alive: Option<bool>,
}

/// A client request being written.
#[doc(alias = "ClientRequest")]
#[derive(Debug, Clone)]
pub struct RequestCore {
    /// The outgoing message's headers and framing.
    pub out: Outgoing,
    method: String,
    path: String,
    host: String,
    port: u16,
}

impl RequestCore {
    /// Builds the request as `new ClientRequest(options)` does, with Node's
    /// errors for a bad method (`ERR_INVALID_HTTP_TOKEN`), a path with
    /// unescaped characters (`ERR_UNESCAPED_CHARACTERS`) and bad headers.
    pub fn new(mut opts: RequestHeadOptions) -> Result<RequestCore, Error> {
        let mut out = Outgoing::default();
        if let Some(path) = &opts.path {
            if path.chars().any(|c| !('\u{21}'..='\u{ff}').contains(&c)) {
                return Err(Error::new(
                    "ERR_UNESCAPED_CHARACTERS",
                    "Request path contains unescaped characters",
                ));
            }
        }
        // Node: `options.port || defaultPort || 80` (a port of 0 is none).
        let nonzero = |p: &Option<u16>| p.filter(|&p| p != 0);
        let default_port = nonzero(&opts.default_port).unwrap_or(80);
        let port = nonzero(&opts.port).unwrap_or(default_port);
        // The options' strings are moved into the request, not copied.
        let host = opts
            .hostname
            .take()
            .filter(|h| !h.is_empty())
            .or_else(|| opts.host.take().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| "localhost".to_string());
        let method = match opts.method.take() {
            Some(mut m) if !m.is_empty() => {
                if !is_token(&m) {
                    return Err(Error::new(
                        "ERR_INVALID_HTTP_TOKEN",
                        format!("Method must be a valid HTTP token [\"{m}\"]"),
                    ));
                }
                m.make_ascii_uppercase();
                m
            }
            _ => "GET".to_string(),
        };
        let path = opts
            .path
            .take()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".to_string());
        out.use_chunked_by_default = !matches!(
            method.as_str(),
            "GET" | "HEAD" | "DELETE" | "OPTIONS" | "TRACE" | "CONNECT"
        );
        match opts.agent_keep_alive {
            Some(keep) => {
                out.has_agent = true;
                out.should_keep_alive = keep;
                out.set_last(!keep);
            }
            None => {
                out.should_keep_alive = false;
                out.set_last(true);
            }
        }
        let mut req = RequestCore {
            out,
            method,
            path,
            host,
            port,
        };
        match opts.headers {
            RequestHeaders::Map(list) => {
                for (name, value) in list {
                    req.out.set_header(&name, value)?;
                }
                if opts.set_host.unwrap_or(true) && !req.out.has_header("host") {
                    let mut host_header = req.host.clone();
                    // A bare IPv6 address gets brackets.
                    if let Some(first) = host_header.find(':') {
                        if host_header[first + 1..].contains(':') && !host_header.starts_with('[') {
                            host_header = format!("[{host_header}]");
                        }
                    }
                    if port != default_port {
                        host_header.push(':');
                        push_u64(&mut host_header, u64::from(port));
                    }
                    req.out.set_header("Host", host_header)?;
                }
                if let Some(auth) = &opts.auth {
                    if !req.out.has_header("authorization") {
                        let b64 = Buffer::from(auth.as_bytes().to_vec()).to_string(Encoding::Base64);
                        req.out.set_header("Authorization", format!("Basic {b64}"))?;
                    }
                }
                if req.out.has_header("expect") {
                    req.store_head(None)?;
                }
            }
            RequestHeaders::Raw(list) => {
                req.store_head(Some(&list))?;
            }
        }
        Ok(req)
    }

    /// Renders the head: the request line (`METHOD path HTTP/1.1`, written
    /// straight into the head's buffer, no formatting machinery: this runs
    /// for every request), then the headers.
    fn store_head(&mut self, explicit: Option<&[(String, OutValue)]>) -> Result<(), Error> {
        let mut head = take_head_buffer();
        head.push_str(&self.method);
        head.push(' ');
        head.push_str(&self.path);
        head.push_str(" HTTP/1.1\r\n");
        // The method is a token: only the path can make the line other than plain.
        let ascii = plain(&self.path);
        self.out.store_header_into(head, ascii, explicit)
    }

    /// The request's method (`req.method`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request's path (`req.path`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The host connected to (`req.host`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port connected to: `port`, else `defaultPort`, else 80 (a port
    /// of 0 counting as none, as Node's `options.port || defaultPort || 80`).
    #[doc(alias = "options.port")]
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Message for RequestCore {
    fn outgoing(&mut self) -> &mut Outgoing {
        &mut self.out
    }

    fn implicit_head(&mut self) -> Result<(), Error> {
        if self.out.headers_sent() {
            return Err(Error::new(
                "ERR_HTTP_HEADERS_SENT",
                "Cannot render headers after they are sent to the client",
            ));
        }
        self.store_head(None)
    }
}

//! `http.request`'s arguments: a URL string (parsed as Node's `new URL`
//! does) or [`RequestOptions`], and Node's errors for what it refuses.

use std::path::PathBuf;
use std::time::Duration;

use rt_net::Family;
use rt_stream::Error;

use super::agent::Agent;
use super::connector::{CreateConnection, Lookup};
use crate::request_core::RequestHeaders;

/// Which agent a request goes through (Node's `options.agent`).
#[derive(Clone, Default)]
pub enum AgentChoice {
    /// `agent: undefined`: the global agent ([`Agent::global`]).
    #[default]
    Global,
    /// `agent: myAgent`.
    Agent(Agent),
    /// `agent: false`: a fresh connection of its own, closed afterwards.
    None,
}

impl std::fmt::Debug for AgentChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AgentChoice::Global => "Global",
            AgentChoice::Agent(_) => "Agent",
            AgentChoice::None => "None",
        })
    }
}

impl From<Agent> for AgentChoice {
    fn from(a: Agent) -> AgentChoice {
        AgentChoice::Agent(a)
    }
}

impl From<&Agent> for AgentChoice {
    fn from(a: &Agent) -> AgentChoice {
        AgentChoice::Agent(a.clone())
    }
}

/// The options of `http.request(options)`.
#[doc(alias = "http.request options")]
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    /// `protocol` (default `"http:"`; anything else is `ERR_INVALID_PROTOCOL`).
    pub protocol: Option<String>,
    /// `host` (default `localhost`).
    pub host: Option<String>,
    /// `hostname` (preferred over `host`).
    pub hostname: Option<String>,
    /// `port` (default 80).
    pub port: Option<u16>,
    /// `defaultPort`.
    pub default_port: Option<u16>,
    /// `path` (default `/`), with the query string.
    pub path: Option<String>,
    /// `method` (default `GET`).
    pub method: Option<String>,
    /// `headers`: an object (Node adds `Host`) or a raw list.
    pub headers: RequestHeaders,
    /// `auth`: `user:password` for Basic authorization.
    pub auth: Option<String>,
    /// `agent`.
    pub agent: AgentChoice,
    /// `timeout`: the socket idle timeout that emits `'timeout'`.
    pub timeout: Option<Duration>,
    /// `setHost` (default true).
    pub set_host: Option<bool>,
    /// `socketPath`: a Unix socket to connect to instead of host and port.
    pub socket_path: Option<PathBuf>,
    /// `localAddress`.
    pub local_address: Option<String>,
    /// `family` (4 or 6).
    pub family: Option<Family>,
    /// `maxHeaderSize` for the response head (default 16 KiB).
    pub max_header_size: Option<usize>,
    /// `lookup`: resolves the host instead of the system resolver.
    pub lookup: Option<Lookup>,
    /// `createConnection`: makes the connection instead of the agent.
    pub create_connection: Option<CreateConnection>,
}

impl RequestOptions {
    /// Options from a URL string, as Node's `urlToHttpOptions(new URL(s))`:
    /// `ERR_INVALID_URL` when it does not parse.
    pub fn from_url(input: &str) -> Result<RequestOptions, Error> {
        let url = url::Url::parse(input)
            .map_err(|_| Error::new("ERR_INVALID_URL", "Invalid URL").with_name("TypeError"))?;
        Ok(RequestOptions::from(&url))
    }

    /// `http.request(url, options)`: the URL's fields, then the options'
    /// own fields over them (`with` is the options object).
    pub fn merge(mut self, with: RequestOptions) -> RequestOptions {
        macro_rules! over {
            ($($f:ident),*) => { $( if with.$f.is_some() { self.$f = with.$f; } )* };
        }
        over!(
            protocol,
            host,
            hostname,
            port,
            default_port,
            path,
            method,
            auth,
            timeout,
            set_host,
            socket_path,
            local_address,
            family,
            max_header_size,
            lookup,
            create_connection
        );
        if with.headers != RequestHeaders::default() {
            self.headers = with.headers;
        }
        if !matches!(with.agent, AgentChoice::Global) {
            self.agent = with.agent;
        }
        self
    }

    /// Sets `method`.
    pub fn method(mut self, method: &str) -> RequestOptions {
        self.method = Some(method.to_string());
        self
    }

    /// Sets `path`.
    pub fn path(mut self, path: &str) -> RequestOptions {
        self.path = Some(path.to_string());
        self
    }

    /// Sets `port`.
    pub fn port(mut self, port: u16) -> RequestOptions {
        self.port = Some(port);
        self
    }

    /// Sets `host`.
    pub fn host(mut self, host: &str) -> RequestOptions {
        self.host = Some(host.to_string());
        self
    }

    /// Sets `agent`.
    pub fn agent(mut self, agent: impl Into<AgentChoice>) -> RequestOptions {
        self.agent = agent.into();
        self
    }

    /// Adds a header to an object-style `headers`.
    pub fn header(mut self, name: &str, value: &str) -> RequestOptions {
        match &mut self.headers {
            RequestHeaders::Map(list) | RequestHeaders::Raw(list) => {
                list.push((name.to_string(), value.into()));
            }
        }
        self
    }

    /// Node's check of `options.protocol` (the only one spoken is `http:`).
    pub(crate) fn check_protocol(&self) -> Result<(), Error> {
        match self.protocol.as_deref() {
            None | Some("http:") => Ok(()),
            Some(p) => Err(Error::new(
                "ERR_INVALID_PROTOCOL",
                format!("Protocol \"{p}\" not supported. Expected \"http:\""),
            )
            .with_name("TypeError")),
        }
    }
}

impl From<&url::Url> for RequestOptions {
    /// Node's `urlToHttpOptions`.
    fn from(url: &url::Url) -> RequestOptions {
        let hostname = url.host_str().map(|h| {
            h.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(h)
                .to_string()
        });
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        let auth = (!url.username().is_empty() || url.password().is_some()).then(|| {
            format!(
                "{}:{}",
                percent_decode(url.username()),
                percent_decode(url.password().unwrap_or(""))
            )
        });
        RequestOptions {
            protocol: Some(format!("{}:", url.scheme())),
            hostname,
            port: url.port(),
            path: Some(path),
            auth,
            ..RequestOptions::default()
        }
    }
}

/// `decodeURIComponent` for the URL's user and password (bytes kept as
/// Latin-1 when they are not UTF-8).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out.clone()).unwrap_or_else(|_| out.iter().map(|&c| c as char).collect())
}

/// What `http.request` takes: a URL string, a parsed URL, or options.
#[derive(Debug, Clone)]
pub enum RequestInput {
    /// A URL string (`http.request('http://...')`).
    Url(String),
    /// Options.
    Options(Box<RequestOptions>),
}

impl From<&str> for RequestInput {
    fn from(s: &str) -> RequestInput {
        RequestInput::Url(s.to_string())
    }
}

impl From<String> for RequestInput {
    fn from(s: String) -> RequestInput {
        RequestInput::Url(s)
    }
}

impl From<&String> for RequestInput {
    fn from(s: &String) -> RequestInput {
        RequestInput::Url(s.clone())
    }
}

impl From<url::Url> for RequestInput {
    fn from(u: url::Url) -> RequestInput {
        RequestInput::Options(Box::new(RequestOptions::from(&u)))
    }
}

impl From<RequestOptions> for RequestInput {
    fn from(o: RequestOptions) -> RequestInput {
        RequestInput::Options(Box::new(o))
    }
}

impl RequestInput {
    /// The options this input stands for.
    pub(crate) fn into_options(self) -> Result<RequestOptions, Error> {
        match self {
            RequestInput::Url(s) => RequestOptions::from_url(&s),
            RequestInput::Options(o) => Ok(*o),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_to_options_as_node() {
        let o = RequestOptions::from_url("http://u%20x:p@[::1]:8080/a b?q=1#h").expect("parses");
        assert_eq!(o.hostname.as_deref(), Some("::1"));
        assert_eq!(o.port, Some(8080));
        assert_eq!(o.path.as_deref(), Some("/a%20b?q=1"));
        assert_eq!(o.auth.as_deref(), Some("u x:p"));
        assert_eq!(o.protocol.as_deref(), Some("http:"));
        let e = RequestOptions::from_url("not a url").expect_err("invalid");
        assert_eq!(e.code(), "ERR_INVALID_URL");
        let o = RequestOptions::from_url("https://x/").expect("parses");
        // Outside a runtime the request fails instead of hanging.
        let req = crate::request(RequestOptions::default().port(1)).expect("request");
        assert_eq!(req.errored().map(|e| e.code()), Some("ERR_RT_NO_RUNTIME"));
        assert_eq!(
            o.check_protocol().expect_err("https").code(),
            "ERR_INVALID_PROTOCOL"
        );
    }
}

//! `http.request` / `http.get`: a [`ClientRequest`] made from its options
//! and given to its agent's pool, or to a connection of its own.

use rt_stream::Error;

use super::agent::Agent;
use super::conn;
use super::job::{Job, Target};
use super::options::{AgentChoice, RequestInput, RequestOptions};
use super::request::ClientRequest;
use crate::parser::DEFAULT_MAX_HEADER_SIZE;
use crate::request_core::{RequestCore, RequestHeadOptions};

/// `http.request(url | options)`: a request, connecting through its agent.
/// Write the body and `end()` it; the response comes as `'response'` or
/// from [`ClientRequest::response`].
///
/// Errors Node throws at once come back here: `ERR_INVALID_URL`,
/// `ERR_INVALID_PROTOCOL`, `ERR_UNESCAPED_CHARACTERS`,
/// `ERR_INVALID_HTTP_TOKEN`, `ERR_INVALID_CHAR`. Connection errors
/// (`ECONNREFUSED`, `ECONNRESET` "socket hang up", `HPE_*`) are the
/// request's `'error'`.
#[doc(alias = "http.request")]
pub fn request(input: impl Into<RequestInput>) -> Result<ClientRequest, Error> {
    ClientRequest::new(input.into().into_options()?)
}

/// `http.request(url, options)`: the URL, with `options` over it.
pub fn request_with(url: &str, options: RequestOptions) -> Result<ClientRequest, Error> {
    ClientRequest::new(RequestOptions::from_url(url)?.merge(options))
}

/// `http.get(url | options)`: a `GET` request, already ended.
#[doc(alias = "http.get")]
pub fn get(input: impl Into<RequestInput>) -> Result<ClientRequest, Error> {
    let req = request(input)?;
    if let Err(e) = req.end() {
        // The connection (on another worker) may have failed the request
        // already (a lookup error, a refused connection): that is the
        // request's own error, as Node reports it after `http.get` returned.
        if !req.destroyed() {
            return Err(e);
        }
    }
    Ok(req)
}

impl ClientRequest {
    /// `new ClientRequest(options)` (what `http.request` does).
    pub fn new(opts: RequestOptions) -> Result<ClientRequest, Error> {
        opts.check_protocol()?;
        let agent: Option<Agent> = match &opts.agent {
            AgentChoice::Global => Some(Agent::global().clone()),
            AgentChoice::Agent(a) => Some(a.clone()),
            AgentChoice::None => None,
        };
        let keep_alive = agent.as_ref().is_some_and(Agent::request_keep_alive);
        // The options are moved into the head and the target, not copied.
        let head = RequestHeadOptions {
            method: opts.method,
            path: opts.path,
            hostname: opts.hostname,
            host: opts.host,
            port: opts.port,
            default_port: opts.default_port,
            set_host: opts.set_host,
            auth: opts.auth,
            headers: opts.headers,
            agent_keep_alive: Some(keep_alive),
        };
        let mut msg = RequestCore::new(head)?;
        // With `Expect` the head is already out (Node sends it at once).
        let early = msg.out.take_output();
        let target = Target {
            host: msg.host().to_string(),
            port: msg.port(),
            socket_path: opts.socket_path,
            local_address: opts.local_address,
            family: opts.family,
            lookup: opts.lookup,
            create_connection: opts.create_connection,
        };
        let timeout = opts
            .timeout
            .or_else(|| agent.as_ref().and_then(|a| a.options().timeout));
        let req = ClientRequest::from_parts(
            msg,
            early,
            timeout,
            opts.max_header_size.unwrap_or(DEFAULT_MAX_HEADER_SIZE),
        );
        let job = Job {
            req: req.handle(),
            target,
        };
        match agent {
            Some(a) => a.add_request(job),
            None => conn::spawn(job, None, None),
        }
        Ok(req)
    }
}

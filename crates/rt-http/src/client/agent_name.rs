//! `agent.getName(options)` (Node's pool name for a request's options),
//! apart from the agent so that the agent does not depend on the request's
//! options (which name the agent).

use super::agent::Agent;
use super::job;
use super::options::RequestOptions;

impl Agent {
    /// `agent.getName(options)`: the name of the pool a request with these
    /// options uses, the key of [`sockets`](Self::sockets),
    /// [`free_sockets`](Self::free_sockets) and [`requests`](Self::requests):
    /// `host:port:localAddress`, then `:4` / `:6` for a `family` and
    /// `:socketPath` for a Unix socket, from the options as given (Node's
    /// getName defaults nothing but the host, `localhost`; a request first
    /// defaults its port to 80 and takes `hostname` over `host`).
    ///
    /// ```
    /// use rt_http::{Agent, RequestOptions};
    /// let mut o = RequestOptions::default();
    /// o.socket_path = Some("/tmp/s.sock".into());
    /// assert_eq!(Agent::default().get_name(&o), "localhost:::/tmp/s.sock");
    /// let o = RequestOptions::default().host("example.com").port(8080);
    /// assert_eq!(Agent::default().get_name(&o), "example.com:8080:");
    /// ```
    #[doc(alias = "getName")]
    pub fn get_name(&self, options: &RequestOptions) -> String {
        let mut name = String::new();
        job::push_name(
            &mut name,
            options.host.as_deref(),
            options.port,
            options.local_address.as_deref(),
            options.family,
            options.socket_path.as_deref(),
        );
        name
    }
}

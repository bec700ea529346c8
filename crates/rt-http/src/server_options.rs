//! `http.createServer(options)`: the server's limits and timeouts, with
//! Node's names and defaults.

use std::time::Duration;

/// Options of `http.createServer(options)`, Node's names and defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// `maxHeaderSize` (16 KiB): a longer head gets 431.
    pub max_header_size: usize,
    /// `headersTimeout` (60 s; 0: none): a head not complete by then gets 408.
    pub headers_timeout: Duration,
    /// `requestTimeout` (300 s; 0: none): a request not received whole by then gets 408.
    pub request_timeout: Duration,
    /// `keepAliveTimeout` (5 s; 0: none): an idle keep-alive connection
    /// closes after this (plus Node's 1 s buffer).
    pub keep_alive_timeout: Duration,
    /// `maxRequestsPerSocket` (0: no limit).
    pub max_requests_per_socket: u64,
    /// `maxHeadersCount` (2000): headers past it are dropped.
    pub max_headers_count: usize,
    /// `requireHostHeader` (true): HTTP/1.1 without Host gets 400.
    pub require_host_header: bool,
    /// `joinDuplicateHeaders` (false).
    pub join_duplicate_headers: bool,
    /// `noDelay` (true).
    pub no_delay: bool,
    /// `connectionsCheckingInterval` (30 s): the longest time between two
    /// checks of the headers and request timeouts (rt also checks every
    /// eighth of the shortest timeout, so a timeout is never later than
    /// Node's).
    pub connections_check_interval: Duration,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            max_header_size: crate::parser::DEFAULT_MAX_HEADER_SIZE,
            headers_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(300),
            keep_alive_timeout: Duration::from_secs(5),
            max_requests_per_socket: 0,
            max_headers_count: 2000,
            require_host_header: true,
            join_duplicate_headers: false,
            no_delay: true,
            connections_check_interval: Duration::from_secs(30),
        }
    }
}

//! Name lookup (Node's `dns.lookup`, as `net.connect` and `server.listen` use it).

use std::net::IpAddr;

use crate::address::Family;
use crate::error::{Error, NetErrorExt};

/// The result of a lookup: Node's `'lookup'` event data (`err` aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupInfo {
    /// The address found, as Node prints it.
    pub address: String,
    /// Its family (Node's `family`: 4 or 6).
    pub family: Family,
    /// The host name that was looked up.
    pub host: String,
}

/// Resolves `host` to one address, the way Node's `dns.lookup(host, { family })`
/// does (the system resolver's first answer, optionally of one family).
///
/// An IP literal resolves to itself without asking the resolver. A failure
/// is `ENOTFOUND` (or `EAI_AGAIN`) with Node's message
/// `getaddrinfo ENOTFOUND <host>`.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// // dns.lookup('127.0.0.1', (err, address, family) => ...)
/// let (ip, family) = rt_net::lookup("127.0.0.1", None).await.unwrap();
/// assert_eq!(ip.to_string(), "127.0.0.1");
/// assert_eq!(family.number(), 4);
/// # });
/// ```
#[doc(alias = "dns.lookup")]
pub async fn lookup(host: &str, family: Option<Family>) -> Result<(IpAddr, Family), Error> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok((ip, Family::of(&ip)));
    }
    let stripped = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = stripped.parse::<IpAddr>() {
        return Ok((ip, Family::of(&ip)));
    }
    let not_found = || Error::lookup(&std::io::Error::other("Name or service not known"), host);
    if host.is_empty() {
        return Err(not_found());
    }
    let addrs = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| Error::lookup(&e, host))?;
    for a in addrs {
        let f = Family::of(&a.ip());
        if family.is_none_or(|want| want == f) {
            return Ok((a.ip(), f));
        }
    }
    Err(not_found())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn literals_and_localhost() {
        assert_eq!(
            lookup("::1", None).await.unwrap(),
            ("::1".parse().unwrap(), Family::IPv6)
        );
        let (ip, f) = lookup("localhost", Some(Family::IPv4)).await.unwrap();
        assert!(ip.is_loopback());
        assert_eq!(f, Family::IPv4);
    }

    /// The code depends on the machine's resolver (`ENOTFOUND`; `EAI_AGAIN`
    /// without DNS), so the reference is what Node reports here for the
    /// same name.
    #[tokio::test]
    async fn missing_host_is_what_node_reports() {
        let e = rt_tests::wait::within(20, "a failed lookup", lookup("nosuchhost.invalid", None))
            .await
            .unwrap_err();
        assert_eq!(e.syscall(), Some("getaddrinfo"));
        let Some(node) = rt_tests::node::node_or_skip("lookup::missing_host_is_what_node_reports") else {
            return;
        };
        let script = "require('dns').lookup('nosuchhost.invalid', \
                      (e) => console.log(JSON.stringify(e && [e.code, e.message])))";
        let out = rt_tests::wait::within(
            20,
            "node's lookup of the same name",
            tokio::task::spawn_blocking(move || node.run_script(script, b"")),
        )
        .await
        .unwrap();
        let node_says: Option<(String, String)> = serde_json::from_slice(&out).unwrap();
        let (code, message) = node_says.expect("node resolved nosuchhost.invalid");
        assert_eq!((e.code(), e.message()), (code.as_str(), message.as_str()));
    }
}

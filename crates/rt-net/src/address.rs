//! Addresses in Node's shape: `{ address, family, port }` or a Unix path.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// An IP family as Node names it (`'IPv4'`, `'IPv6'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `'IPv4'` (Node's `family: 4` in lookups).
    IPv4,
    /// `'IPv6'` (Node's `family: 6` in lookups).
    IPv6,
}

impl Family {
    /// Node's string: `"IPv4"` or `"IPv6"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::IPv4 => "IPv4",
            Family::IPv6 => "IPv6",
        }
    }

    /// Node's number (`dns.lookup`'s `family`): 4 or 6.
    pub fn number(self) -> u8 {
        match self {
            Family::IPv4 => 4,
            Family::IPv6 => 6,
        }
    }

    /// The family of `ip`.
    pub fn of(ip: &IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::IPv4,
            IpAddr::V6(_) => Family::IPv6,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{ address, family, port }`: what Node's `server.address()` and
/// `socket.address()` return for TCP.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressInfo {
    /// The IP as Node prints it (`"127.0.0.1"`, `"::"`, `"::ffff:127.0.0.1"`).
    pub address: String,
    /// `IPv4` or `IPv6`.
    pub family: Family,
    /// The port.
    pub port: u16,
}

impl AddressInfo {
    /// The shape of a Rust socket address.
    pub fn from_socket_addr(addr: &SocketAddr) -> AddressInfo {
        AddressInfo {
            address: addr.ip().to_string(),
            family: Family::of(&addr.ip()),
            port: addr.port(),
        }
    }

    /// Back to a Rust socket address.
    pub fn to_socket_addr(&self) -> Option<SocketAddr> {
        let ip: IpAddr = self.address.parse().ok()?;
        Some(SocketAddr::new(ip, self.port))
    }
}

impl From<SocketAddr> for AddressInfo {
    fn from(addr: SocketAddr) -> Self {
        AddressInfo::from_socket_addr(&addr)
    }
}

impl fmt::Display for AddressInfo {
    /// Node's JSON shape: `{"address":"127.0.0.1","family":"IPv4","port":8000}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{\"address\":\"{}\",\"family\":\"{}\",\"port\":{}}}",
            self.address, self.family, self.port
        )
    }
}

/// What `server.address()` returns: an IP address and port, or the path of a
/// Unix socket (Node returns the path string; an abstract name starts with `'\0'`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerAddress {
    /// A TCP server.
    Inet(AddressInfo),
    /// A Unix socket server: its path (`"\0name"` in the abstract namespace).
    Path(String),
}

impl ServerAddress {
    /// The TCP address, if this is one.
    pub fn inet(&self) -> Option<&AddressInfo> {
        match self {
            ServerAddress::Inet(a) => Some(a),
            ServerAddress::Path(_) => None,
        }
    }

    /// The port of a TCP server.
    pub fn port(&self) -> Option<u16> {
        self.inet().map(|a| a.port)
    }

    /// The path of a Unix socket server.
    pub fn path(&self) -> Option<&str> {
        match self {
            ServerAddress::Path(p) => Some(p),
            ServerAddress::Inet(_) => None,
        }
    }
}

impl fmt::Display for ServerAddress {
    /// Node's JSON shape (`JSON.stringify(server.address())`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerAddress::Inet(a) => a.fmt(f),
            ServerAddress::Path(p) => {
                f.write_str("\"")?;
                for c in p.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

/// The addresses of a dropped connection (Node's `'drop'` event data when
/// `maxConnections` is reached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropInfo {
    /// Node: `localAddress`.
    pub local_address: String,
    /// Node: `localPort`.
    pub local_port: u16,
    /// Node: `localFamily`.
    pub local_family: Family,
    /// Node: `remoteAddress`.
    pub remote_address: String,
    /// Node: `remotePort`.
    pub remote_port: u16,
    /// Node: `remoteFamily`.
    pub remote_family: Family,
}

impl DropInfo {
    /// The `'drop'` data of a connection between `local` and `remote`, as
    /// Node's `onconnection` builds it from the handle's `getsockname` /
    /// `getpeername`.
    #[doc(alias = "drop")]
    pub fn new(local: SocketAddr, remote: SocketAddr) -> DropInfo {
        DropInfo {
            local_address: local.ip().to_string(),
            local_port: local.port(),
            local_family: Family::of(&local.ip()),
            remote_address: remote.ip().to_string(),
            remote_port: remote.port(),
            remote_family: Family::of(&remote.ip()),
        }
    }
}

impl fmt::Display for DropInfo {
    /// Node's JSON shape of the `'drop'` event's argument.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{\"localAddress\":\"{}\",\"localPort\":{},\"localFamily\":\"{}\",\"remoteAddress\":\"{}\",\"remotePort\":{},\"remoteFamily\":\"{}\"}}",
            self.local_address,
            self.local_port,
            self.local_family,
            self.remote_address,
            self.remote_port,
            self.remote_family
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shapes_match_node() {
        let a = AddressInfo::from_socket_addr(&"[::]:8000".parse().unwrap());
        assert_eq!(a.to_string(), r#"{"address":"::","family":"IPv6","port":8000}"#);
        assert_eq!(
            ServerAddress::Path("\0abstract-rt".into()).to_string(),
            r#""\u0000abstract-rt""#
        );
        assert_eq!(a.to_socket_addr(), Some("[::]:8000".parse().unwrap()));
    }
}

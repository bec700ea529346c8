//! The OS connection under a socket: [`crate::transport::Io`], used through
//! `&self` readiness + `try_*` calls so readers and writers never lock each other.

use std::io;

/// A Linux abstract socket address the way libuv (and so Node) makes it:
/// the name padded with NULs to the whole of `sun_path`, so rt and Node
/// servers and clients find each other.
#[cfg(target_os = "linux")]
pub(crate) fn abstract_addr(name: &[u8]) -> io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    const SUN_PATH_NAME: usize = 107;
    if name.len() > SUN_PATH_NAME {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    let mut padded = name.to_vec();
    padded.resize(SUN_PATH_NAME, 0);
    std::os::unix::net::SocketAddr::from_abstract_name(&padded)
}

/// The OS connection under a socket: the transport's fd pump.
pub(crate) type Conn = crate::transport::Io;

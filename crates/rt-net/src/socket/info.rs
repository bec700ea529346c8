//! A socket's counters, addresses and connection state: `bytesRead`,
//! `bytesWritten`, `localAddress`, `remotePort`, `readyState`, `pending`...

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Socket, lock};
use crate::address::{AddressInfo, Family};
use crate::error::Error;

impl Socket {
    /// The connection's local and remote addresses, asked of the OS the
    /// first time they are wanted (Node reads them lazily too: an accept
    /// costs no `getsockname` / `getpeername`) and kept from then on, also
    /// after the socket closed. Never asked before the socket closed: none,
    /// as Node's `remoteAddress` is then `undefined`.
    fn addrs(&self) -> (Option<std::net::SocketAddr>, Option<std::net::SocketAddr>) {
        let mut st = lock(&self.inner.st);
        if st.addrs.is_none() {
            if let Some(conn) = st.conn.clone() {
                st.addrs = Some(Box::new((conn.local_addr(), conn.peer_addr())));
            }
        }
        st.addrs.as_deref().copied().unwrap_or((None, None))
    }

    fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.addrs().0
    }

    fn remote_addr(&self) -> Option<std::net::SocketAddr> {
        self.addrs().1
    }

    /// Bytes received. Node: `socket.bytesRead`.
    #[doc(alias = "bytesRead")]
    pub fn bytes_read(&self) -> u64 {
        self.inner.bytes_read.load(Ordering::Relaxed)
    }

    /// Bytes given to `write` (sent, or buffered to be sent). Node: `socket.bytesWritten`.
    #[doc(alias = "bytesWritten")]
    pub fn bytes_written(&self) -> u64 {
        self.inner.bytes_sent.load(Ordering::Relaxed) + self.writable_length() as u64
    }

    /// Bytes buffered, not yet taken by the kernel. Node: `socket.writableLength`
    /// (`bufferSize`).
    #[doc(alias = "bufferSize")]
    pub fn buffer_size(&self) -> usize {
        self.writable_length()
    }

    /// The local address. Node: `socket.address()`.
    pub fn address(&self) -> Option<AddressInfo> {
        self.local_addr().map(AddressInfo::from)
    }

    /// Node: `socket.localAddress`.
    #[doc(alias = "localAddress")]
    pub fn local_address(&self) -> Option<String> {
        self.local_addr().map(|a| a.ip().to_string())
    }

    /// Node: `socket.localPort`.
    #[doc(alias = "localPort")]
    pub fn local_port(&self) -> Option<u16> {
        self.local_addr().map(|a| a.port())
    }

    /// Node: `socket.localFamily`.
    #[doc(alias = "localFamily")]
    pub fn local_family(&self) -> Option<Family> {
        self.local_addr().map(|a| Family::of(&a.ip()))
    }

    /// Node: `socket.remoteAddress`.
    #[doc(alias = "remoteAddress")]
    pub fn remote_address(&self) -> Option<String> {
        self.remote_addr().map(|a| a.ip().to_string())
    }

    /// Node: `socket.remotePort`.
    #[doc(alias = "remotePort")]
    pub fn remote_port(&self) -> Option<u16> {
        self.remote_addr().map(|a| a.port())
    }

    /// Node: `socket.remoteFamily`.
    #[doc(alias = "remoteFamily")]
    pub fn remote_family(&self) -> Option<Family> {
        self.remote_addr().map(|a| Family::of(&a.ip()))
    }

    /// The Unix socket path this socket connected to, if any.
    pub fn path(&self) -> Option<String> {
        lock(&self.inner.st).path.clone()
    }

    /// `"opening"`, `"open"`, `"readOnly"`, `"writeOnly"` or `"closed"`, as
    /// Node's `socket.readyState`.
    #[doc(alias = "readyState")]
    pub fn ready_state(&self) -> &'static str {
        let (connecting, released, eof) = {
            let st = lock(&self.inner.st);
            (st.connecting, st.released, st.read_eof)
        };
        if connecting {
            return "opening";
        }
        let readable = !released && !eof && self.is_readable();
        let writable = !released && self.is_writable();
        match (readable, writable) {
            (true, true) => "open",
            (true, false) => "readOnly",
            (false, true) => "writeOnly",
            (false, false) => "closed",
        }
    }

    /// Not connected yet (or connecting). Node: `socket.pending`.
    pub fn pending(&self) -> bool {
        let st = lock(&self.inner.st);
        !st.connected || st.connecting || st.released
    }

    /// A connect is in progress. Node: `socket.connecting`.
    pub fn connecting(&self) -> bool {
        lock(&self.inner.st).connecting
    }

    /// A close-on-exec duplicate of the connection's fd, to hand to another
    /// process (Node: what `subprocess.send(msg, socket)` sends). `EBADF`
    /// when the socket has no connection (not connected yet, or destroyed).
    #[doc(alias = "_handle")]
    pub fn dup_fd(&self) -> Result<std::os::fd::OwnedFd, Error> {
        use std::os::fd::AsFd;
        let conn = self
            .conn()
            .ok_or_else(|| Error::syscall_failed(&std::io::Error::from_raw_os_error(libc::EBADF), "dup"))?;
        conn.as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::syscall_failed(&e, "dup"))
    }

    /// Whether two handles are the same socket.
    pub fn same(&self, other: &Socket) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

//! Sockets made from connections that already exist: an fd (Node's
//! `new net.Socket({ fd })`, a handle received over IPC), a transport, a
//! std or tokio stream.

use std::os::fd::OwnedFd;

use bytes::BytesMut;

use crate::error::Error;
use crate::options::SocketOptions;
use crate::socket::Socket;
use crate::transport::{Io, Transport};

impl Socket {
    /// A connected socket over an open fd: a TCP or Unix stream socket, a
    /// socketpair end or a pipe end ([`Io::from_fd`] says which are
    /// accepted; others are `EINVAL`). Node: `new net.Socket({ fd })`.
    #[doc(alias = "fd")]
    pub fn from_fd(fd: OwnedFd, options: SocketOptions) -> Result<Socket, Error> {
        let io = Io::from_fd(fd).map_err(|e| Error::syscall_failed(&e, "open"))?;
        Ok(Socket::from_io(io, options))
    }

    /// A connected socket over the fd pump `io`. A pipe's write end has no
    /// readable side: its socket reports end of file at once and stays
    /// writable (half-open) until ended; a read end's writes fail with `EBADF`.
    pub fn from_io(io: Io, mut options: SocketOptions) -> Socket {
        let write_only = matches!(io, Io::PipeWriter(_));
        if write_only {
            options.allow_half_open = true;
        }
        let socket = Socket::from_conn(io, options, false);
        if write_only {
            // Nothing to read: let the pump report end of file at once, so
            // the readable side ends and the socket closes (and the fd with
            // it) once writing ends. (Node marks such a socket's readable
            // side ended from the start, without an 'end' event.)
            socket.resume();
        }
        socket
    }

    /// A socket over a transport: the bytes it read and did not consume are
    /// the socket's first data, then reading goes on from the kernel.
    pub fn from_transport(transport: Transport, options: SocketOptions) -> Socket {
        let (io, rest) = transport.into_parts();
        let socket = Socket::from_io(io, options);
        unread(&socket, rest);
        socket
    }
}

fn unread(socket: &Socket, rest: BytesMut) {
    if !rest.is_empty() {
        socket.as_duplex().unshift(rest.freeze());
    }
}

impl From<tokio::net::TcpStream> for Socket {
    fn from(s: tokio::net::TcpStream) -> Socket {
        Socket::from_io(Io::Tcp(s), SocketOptions::default())
    }
}

impl From<tokio::net::UnixStream> for Socket {
    fn from(s: tokio::net::UnixStream) -> Socket {
        Socket::from_io(Io::Unix(s), SocketOptions::default())
    }
}

impl TryFrom<std::net::TcpStream> for Socket {
    type Error = Error;
    /// Switches the stream to non-blocking mode and registers it with the
    /// current tokio runtime.
    fn try_from(s: std::net::TcpStream) -> Result<Socket, Error> {
        Socket::from_fd(s.into(), SocketOptions::default())
    }
}

impl TryFrom<std::os::unix::net::UnixStream> for Socket {
    type Error = Error;
    /// Switches the stream to non-blocking mode and registers it with the
    /// current tokio runtime.
    fn try_from(s: std::os::unix::net::UnixStream) -> Result<Socket, Error> {
        Socket::from_fd(s.into(), SocketOptions::default())
    }
}

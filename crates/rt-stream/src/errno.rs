//! OS error numbers -> Node's code names and libuv's descriptions, shared by
//! every rt crate that reports system errors (file streams here, sockets in
//! rt-net): one table, so the same errno gets the same name everywhere.

/// Node's code name and libuv's description for an OS error number
/// (`libc::ENOENT` -> `("ENOENT", "no such file or directory")`). Node reports
/// the errno itself negated. Unknown numbers map to `("UNKNOWN", "unknown error")`.
pub fn describe(raw: i32) -> (&'static str, &'static str) {
    match raw {
        libc::EADDRINUSE => ("EADDRINUSE", "address already in use"),
        libc::EADDRNOTAVAIL => ("EADDRNOTAVAIL", "address not available"),
        libc::EACCES => ("EACCES", "permission denied"),
        libc::EPERM => ("EPERM", "operation not permitted"),
        libc::ECONNREFUSED => ("ECONNREFUSED", "connection refused"),
        libc::ECONNRESET => ("ECONNRESET", "connection reset by peer"),
        libc::ECONNABORTED => ("ECONNABORTED", "software caused connection abort"),
        libc::EPIPE => ("EPIPE", "broken pipe"),
        libc::ETIMEDOUT => ("ETIMEDOUT", "connection timed out"),
        libc::ENOENT => ("ENOENT", "no such file or directory"),
        libc::ENOTDIR => ("ENOTDIR", "not a directory"),
        libc::EINVAL => ("EINVAL", "invalid argument"),
        libc::EMFILE => ("EMFILE", "too many open files"),
        libc::ENFILE => ("ENFILE", "file table overflow"),
        libc::ENOBUFS => ("ENOBUFS", "no buffer space available"),
        libc::ENOMEM => ("ENOMEM", "not enough memory"),
        libc::ENETUNREACH => ("ENETUNREACH", "network is unreachable"),
        libc::ENETDOWN => ("ENETDOWN", "network is down"),
        libc::EHOSTUNREACH => ("EHOSTUNREACH", "host is unreachable"),
        libc::ENOTCONN => ("ENOTCONN", "socket is not connected"),
        libc::ENOTSOCK => ("ENOTSOCK", "socket operation on non-socket"),
        libc::EAFNOSUPPORT => ("EAFNOSUPPORT", "address family not supported"),
        libc::EBADF => ("EBADF", "bad file descriptor"),
        libc::ENAMETOOLONG => ("ENAMETOOLONG", "name too long"),
        libc::EAGAIN => ("EAGAIN", "resource temporarily unavailable"),
        libc::EINTR => ("EINTR", "interrupted system call"),
        libc::EISCONN => ("EISCONN", "socket is already connected"),
        libc::EALREADY => ("EALREADY", "connection already in progress"),
        libc::EPROTO => ("EPROTO", "protocol error"),
        libc::EROFS => ("EROFS", "read-only file system"),
        libc::ECANCELED => ("ECANCELED", "operation canceled"),
        libc::EEXIST => ("EEXIST", "file already exists"),
        libc::EISDIR => ("EISDIR", "illegal operation on a directory"),
        libc::ENOSPC => ("ENOSPC", "no space left on device"),
        libc::EIO => ("EIO", "i/o error"),
        _ => ("UNKNOWN", "unknown error"),
    }
}

/// The OS error number for an `io::ErrorKind` when the error carries none
/// (errors made by tokio or std rather than returned by a system call).
pub fn from_kind(kind: std::io::ErrorKind) -> Option<i32> {
    use std::io::ErrorKind as K;
    Some(match kind {
        K::AddrInUse => libc::EADDRINUSE,
        K::AddrNotAvailable => libc::EADDRNOTAVAIL,
        K::PermissionDenied => libc::EACCES,
        K::ConnectionRefused => libc::ECONNREFUSED,
        K::ConnectionReset => libc::ECONNRESET,
        K::ConnectionAborted => libc::ECONNABORTED,
        K::BrokenPipe => libc::EPIPE,
        K::TimedOut => libc::ETIMEDOUT,
        K::NotFound => libc::ENOENT,
        K::AlreadyExists => libc::EEXIST,
        K::InvalidInput => libc::EINVAL,
        K::NotConnected => libc::ENOTCONN,
        K::WouldBlock => libc::EAGAIN,
        K::Interrupted => libc::EINTR,
        K::OutOfMemory => libc::ENOMEM,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_node() {
        assert_eq!(describe(libc::ECONNREFUSED).0, "ECONNREFUSED");
        assert_eq!(describe(libc::EADDRINUSE).1, "address already in use");
        assert_eq!(describe(-12345).0, "UNKNOWN");
        assert_eq!(describe(libc::EEXIST), ("EEXIST", "file already exists"));
        assert_eq!(from_kind(std::io::ErrorKind::AlreadyExists), Some(libc::EEXIST));
        assert_eq!(from_kind(std::io::ErrorKind::BrokenPipe), Some(libc::EPIPE));
        assert_eq!(from_kind(std::io::ErrorKind::Other), None);
    }
}

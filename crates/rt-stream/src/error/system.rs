//! System errors (a failed system call) in each of Node's message shapes,
//! with `errno`, `syscall` and the address, port, path or arguments Node
//! adds. The code names come from the one table, [`crate::errno`].

use std::io;
use std::sync::Arc;

use super::{Code, Error, Inner};

/// The OS error number of `err`, or the one its kind stands for (errors made
/// by tokio or std rather than returned by a system call); `None` when
/// neither says.
fn raw_errno(err: &io::Error) -> Option<i32> {
    err.raw_os_error().or_else(|| crate::errno::from_kind(err.kind()))
}

/// A copy of `err` to keep as the error's `source()` (`io::Error` does not clone).
fn source_of(err: &io::Error) -> Arc<dyn std::error::Error + Send + Sync> {
    Arc::new(match err.raw_os_error() {
        Some(raw) => io::Error::from_raw_os_error(raw),
        None => io::Error::new(err.kind(), err.to_string()),
    })
}

impl Error {
    fn system_base(err: &io::Error, code: Code, errno: Option<i32>, syscall: &str, message: String) -> Error {
        Error {
            inner: Arc::new(Inner {
                code: Some(code),
                message,
                errno,
                syscall: Some(syscall.to_string()),
                io_kind: Some(err.kind()),
                source: Some(source_of(err)),
                ..Inner::default()
            }),
        }
    }

    /// A file system error, as Node's `uvException` words it: `ENOENT: no
    /// such file or directory, open '/x'`, with `errno`, `syscall` and `path`.
    /// An error with no OS number is `EIO` with the error's own text.
    pub fn from_io(err: &io::Error, syscall: &str, path: Option<&str>) -> Error {
        Error::from_io_dest(err, syscall, path, None)
    }

    /// A two-path file system error (`rename`, `link`, `copyfile`): `ENOENT:
    /// no such file or directory, rename '/a' -> '/b'`, with `path` and `dest`.
    pub fn from_io_dest(err: &io::Error, syscall: &str, path: Option<&str>, dest: Option<&str>) -> Error {
        let (code, errno, desc) = match err.raw_os_error() {
            Some(raw) => match crate::errno::describe(raw) {
                ("UNKNOWN", _) => (Code::EIO, -raw, err.to_string()),
                (name, desc) => (Code::custom(name), -raw, desc.to_string()),
            },
            None => match crate::errno::from_kind(err.kind()) {
                Some(raw) => (Code::from_errno(raw), -raw, err.to_string()),
                None if err.kind() == io::ErrorKind::UnexpectedEof => (Code::EOF, -4095, err.to_string()),
                None => (Code::EIO, -libc::EIO, err.to_string()),
            },
        };
        let mut message = format!("{code}: {desc}, {syscall}");
        if let Some(p) = path {
            message.push_str(&format!(" '{p}'"));
        }
        if let Some(d) = dest {
            message.push_str(&format!(" -> '{d}'"));
        }
        let mut e = Error::system_base(err, code, Some(errno), syscall, message);
        if let Some(p) = path {
            e = e.with_path(p);
        }
        if let Some(d) = dest {
            e = e.with_dest(d);
        }
        e
    }

    /// The code and negative errno of `err`; `UNKNOWN` without an errno when
    /// the OS said nothing.
    fn code_of(err: &io::Error) -> (Code, Option<i32>) {
        match raw_errno(err) {
            Some(raw) if raw != 0 => (Code::from_errno(raw), Some(-raw)),
            _ => (Code::UNKNOWN, None),
        }
    }

    /// A failed system call with nothing more to say, as Node's
    /// `errnoException` words it: `read ECONNRESET`, `write EPIPE`.
    #[doc(alias = "errnoException")]
    pub fn syscall_failed(err: &io::Error, syscall: &str) -> Error {
        let (code, errno) = Error::code_of(err);
        Error::system_base(err, code, errno, syscall, format!("{syscall} {code}"))
    }

    /// A failed system call on `address:port` (`port` `None` for a Unix
    /// path), as Node's `exceptionWithHostPort` words it: `connect
    /// ECONNREFUSED 127.0.0.1:1`, `connect ENOENT /tmp/x.sock`.
    #[doc(alias = "exceptionWithHostPort")]
    pub fn with_host_port(err: &io::Error, syscall: &str, address: &str, port: Option<i32>) -> Error {
        let (code, errno) = Error::code_of(err);
        let message = format!("{syscall} {code}{}", host_port(address, port));
        let e = Error::system_base(err, code, errno, syscall, message).with_address(address);
        match port {
            Some(p) => e.with_port(p),
            None => e,
        }
    }

    /// A failed system call on `address:port` with libuv's description, as
    /// Node's `uvExceptionWithHostPort` words it: `listen EADDRINUSE:
    /// address already in use 127.0.0.1:8000`.
    #[doc(alias = "uvExceptionWithHostPort")]
    pub fn uv_with_host_port(err: &io::Error, syscall: &str, address: &str, port: Option<i32>) -> Error {
        let (code, errno) = Error::code_of(err);
        let desc = match errno {
            Some(n) => crate::errno::describe(-n).1,
            None => "unknown error",
        };
        let message = format!("{syscall} {code}: {desc}{}", host_port(address, port));
        let e = Error::system_base(err, code, errno, syscall, message).with_address(address);
        match port {
            Some(p) => e.with_port(p),
            None => e,
        }
    }

    /// Adds Node's ` - Local (address:port)` to a failed `connect` that was
    /// bound to a local address, with `localAddress` and `localPort`.
    pub fn with_local_suffix(self, local_address: &str, local_port: i32) -> Error {
        let message = format!("{} - Local ({local_address}:{local_port})", self.inner.message);
        self.edit(|i| i.message = message)
            .with_local(local_address, local_port)
    }

    /// A process that could not be started, as `child_process.spawn` reports
    /// it: `spawn ls-not-here ENOENT`, with `syscall` `"spawn ls-not-here"`,
    /// `path` `"ls-not-here"` and `spawnargs`.
    ///
    /// ```
    /// use rt_stream::Error;
    /// let io = std::io::Error::from_raw_os_error(2);
    /// let e = Error::spawn(&io, "ls-not-here", &["-l"]);
    /// assert_eq!(e.message(), "spawn ls-not-here ENOENT");
    /// assert_eq!(e.syscall(), Some("spawn ls-not-here"));
    /// assert_eq!(e.spawnargs(), Some(&["-l".to_string()][..]));
    /// ```
    pub fn spawn(err: &io::Error, file: &str, args: &[&str]) -> Error {
        let syscall = format!("spawn {file}");
        Error::syscall_failed(err, &syscall)
            .with_path(file)
            .with_spawnargs(args.iter().map(|a| a.to_string()).collect())
    }
}

/// ` 127.0.0.1:1`, ` /tmp/x.sock` (a negative port, Node's `-1` for a Unix
/// path, is left out of the message).
fn host_port(address: &str, port: Option<i32>) -> String {
    match port.filter(|p| *p >= 0) {
        Some(p) => format!(" {address}:{p}"),
        None => format!(" {address}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_nodes() {
        // Each message as node v20 prints it for the same failure.
        let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        let e = Error::with_host_port(&refused, "connect", "127.0.0.1", Some(1));
        assert_eq!(e.message(), "connect ECONNREFUSED 127.0.0.1:1");
        assert_eq!(
            (e.errno(), e.syscall(), e.address(), e.port()),
            (Some(-111), Some("connect"), Some("127.0.0.1"), Some(1))
        );
        let local = e.clone().with_local_suffix("127.0.0.1", 22);
        assert_eq!(
            local.message(),
            "connect ECONNREFUSED 127.0.0.1:1 - Local (127.0.0.1:22)"
        );
        assert_eq!(
            (local.local_address(), local.local_port()),
            (Some("127.0.0.1"), Some(22))
        );

        let inuse = io::Error::from_raw_os_error(libc::EADDRINUSE);
        let l = Error::uv_with_host_port(&inuse, "listen", "::", Some(46559));
        assert_eq!(l.message(), "listen EADDRINUSE: address already in use :::46559");

        let enoent = io::Error::from_raw_os_error(libc::ENOENT);
        let r = Error::from_io_dest(&enoent, "rename", Some("/nope-a"), Some("/nope-b"));
        assert_eq!(
            r.message(),
            "ENOENT: no such file or directory, rename '/nope-a' -> '/nope-b'"
        );
        assert_eq!(
            (r.path(), r.dest(), r.errno()),
            (Some("/nope-a"), Some("/nope-b"), Some(-2))
        );

        let s = Error::spawn(&enoent, "ls-not-here", &["-l"]);
        assert_eq!(s.message(), "spawn ls-not-here ENOENT");
        assert_eq!((s.path(), s.errno()), (Some("ls-not-here"), Some(-2)));

        let reset = Error::syscall_failed(&io::Error::from(io::ErrorKind::BrokenPipe), "write");
        assert_eq!(reset.message(), "write EPIPE");
        let u = Error::syscall_failed(&io::Error::other("odd"), "read");
        assert_eq!((u.code(), u.errno()), ("UNKNOWN", None));
        assert!(std::error::Error::source(&e).is_some());
    }
}

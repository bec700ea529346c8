//! The round-robin primary's accept loop (Node: the listening handle's
//! `onconnection` in `RoundRobinHandle`). An accepted connection is only
//! passed on to a worker, so it is accepted raw (`accept4`, non-blocking
//! and close-on-exec, as libuv accepts) and never registered with the
//! reactor: only the listening socket is.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rt_net::transport::register;
use rustix::io::Errno;
use rustix::net::SocketFlags;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::bind::Listening;

/// Accepts in bursts of at most this many before letting other tasks run
/// (the workers' answers come in on the same thread).
const BURST: usize = 64;

/// A listening socket being accepted from; [`close`](Acceptor::close)
/// stops it.
pub(crate) struct Acceptor {
    fd: Arc<AsyncFd<OwnedFd>>,
    task: tokio::task::AbortHandle,
    unlink: Option<PathBuf>,
}

impl Acceptor {
    /// Starts accepting on `listening` (inside a tokio runtime), giving
    /// each connection to `on_connection`.
    pub(crate) fn start(
        listening: Listening,
        on_connection: impl Fn(OwnedFd) + Send + Sync + 'static,
    ) -> std::io::Result<Acceptor> {
        let fd = Arc::new(register(listening.fd, Interest::READABLE)?);
        let task = tokio::spawn(accept_loop(fd.clone(), on_connection)).abort_handle();
        Ok(Acceptor {
            fd,
            task,
            unlink: listening.unlink,
        })
    }

    /// Stops at once (Node: `handle.close()`): no connection is accepted
    /// after this; a TCP socket stops listening now (new clients are
    /// refused), a Unix socket's path is removed (they get `ENOENT`).
    pub(crate) fn close(self) {
        if self.unlink.is_none() {
            // A listening TCP socket shut down refuses connections and wakes
            // the accept (the fd itself closes when the task lets it go).
            // Not a Unix one: Linux then reports it hung up while `accept`
            // answers EAGAIN, which would spin.
            let _ = rustix::net::shutdown(self.fd.get_ref(), rustix::net::Shutdown::Both);
        }
        if let Some(path) = &self.unlink {
            let _ = std::fs::remove_file(path);
        }
        self.task.abort();
    }
}

async fn accept_loop(fd: Arc<AsyncFd<OwnedFd>>, on_connection: impl Fn(OwnedFd)) {
    loop {
        let Ok(mut ready) = fd.readable().await else {
            return;
        };
        let mut burst = 0;
        while burst < BURST {
            match rustix::net::accept_with(fd.get_ref(), SocketFlags::NONBLOCK | SocketFlags::CLOEXEC) {
                Ok(conn) => {
                    burst += 1;
                    on_connection(conn);
                }
                Err(Errno::AGAIN) => {
                    ready.clear_ready();
                    break;
                }
                // A client gone before its accept; a signal.
                Err(Errno::CONNABORTED) | Err(Errno::INTR) => {}
                // Shut down by `close`.
                Err(Errno::INVAL) => return,
                Err(_) => {
                    // Out of fds and the like: libuv keeps accepting after
                    // a pause (Node's `distribute` skips the failed accept).
                    drop(ready);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    break;
                }
            }
        }
        if burst == BURST {
            tokio::task::yield_now().await;
        }
    }
}

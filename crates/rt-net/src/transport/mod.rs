//! The transport under a socket: what a parser, a child's stdio, the IPC
//! channel or a connection hand-off needs, without the stream machinery.
//!
//! - [`Io`]: the one fd pump. TCP and Unix stream sockets, socketpairs and
//!   pipe ends behind one type: readiness, `try_read_buf` into a `BytesMut`
//!   (never zeroed), `try_write`, `try_write_vectored` (writev), and fd
//!   passing with data (SCM_RIGHTS: [`Io::try_send_with_fds`],
//!   [`Io::try_recv_with_fds`]). Adopt any fd with [`Io::from_fd`], take it
//!   back with [`Io::into_fd`]. `rt_net::Socket` runs on it.
//! - [`Transport`]: a connection that owns its read buffer and one
//!   [`IdleTimer`]; one task parses in place from
//!   [`Transport::buffer`] and answers with one vectored write, with no
//!   locks on that path. A connection handed in with its request waiting
//!   is read at once ([`Transport::assume_ready`]), not after the reactor's
//!   next turn.
//! - [`IdleTimer`]: one resettable idle timer per connection (Node's
//!   `socket.setTimeout`), re-armed with an atomic store, never a task per call.
//! - [`register`]: an fd of the caller's own on the reactor, for one
//!   interest only (a pipe, an IPC socket, a listening socket accepted raw).
//!
//! Errors are the OS's `io::Error`s, errno kept: `EPIPE`, `ECONNRESET` and
//! the rest get Node's names through [`rt_stream::errno::describe`].
//!
//! ```
//! use std::io::IoSlice;
//! use rt_net::transport::{Io, Transport};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let (a, b) = Io::pair()?; // or TCP, a Unix socket, a pipe
//! let (mut a, b) = (Transport::new(a), Transport::new(b));
//! b.write_all_vectored(&mut [IoSlice::new(b"HTTP/1.1 200 OK\r\n\r\n"), IoSlice::new(b"hi")]).await?;
//! while a.buffer().len() < 21 {
//!     a.read().await?;
//! }
//! assert!(a.buffer().ends_with(b"\r\n\r\nhi"));
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap();
//! ```

mod conn;
mod fd_passing;
mod io;
mod reactor;
mod timer;

pub use conn::{DEFAULT_READ_SIZE, Transport};
pub use fd_passing::{MAX_FDS, Received, recv_with_fds, send_with_fds};
pub use io::Io;
pub(crate) use io::READ_NOW_MAX;
pub use reactor::register;
pub use timer::IdleTimer;

//! # rt-net — Node.js's `net` module, in Rust on tokio
//!
//! TCP and Unix-socket servers and sockets that behave like Node v20's
//! `net`: the same events in the same order, the same flags and counters,
//! the same error codes and messages (`connect ECONNREFUSED 127.0.0.1:1`,
//! `listen EADDRINUSE: address already in use :::8000`), at tokio's speed.
//!
//! - [`Server`] ([`create_server`]) listens on a port, a host, a Unix path
//!   (or a Linux abstract name), or a listener handed over by another crate
//!   or process, and hands each connection to a handler task, to
//!   `'connection'` listeners, or to [`Server::accept`].
//! - [`Socket`] ([`connect`]) *is* a duplex byte stream: it implements
//!   rt-stream's `StreamBase` / `ReadableSide` / `WritableSide` over its own
//!   stream core (one emitter, the stream's methods with the stream's
//!   shapes, `pipeline!` and `pipe` directly):
//!   `write` returns `Ok(false)` at the high-water mark and `'drain'` follows,
//!   reading stops at the readable side's mark (the peer's sends then
//!   block), `end` half-closes, and `set_timeout`, `set_keep_alive`,
//!   `set_no_delay`, `allow_half_open` work as in Node.
//! - Events are rt-events keys in [`events`] (`socket.on(&DATA, ...)`), and
//!   the one-shot callbacks are async functions (`server.listen(..).await`,
//!   `socket.connect(..).await`, `socket.read().await`).
//!
//! ## Node API -> rt
//!
//! | Node | rt |
//! |---|---|
//! | `net.createServer([options][, listener])` | [`create_server`], [`Server::new`], [`Server::with_options`] |
//! | `server.listen(port[, host][, backlog])`, `listen(path)`, `listen(options)` | [`Server::listen`] with [`ListenOptions`] |
//! | `server.listen(handle)` / `{ fd }` | [`Server::listen_handle`] with [`ListenHandle`] |
//! | `server.address()` | [`Server::address`] -> [`ServerAddress`] |
//! | `server.close([cb])` | [`Server::close`], [`Server::closed`], [`Server::close_and_wait`] |
//! | `server.getConnections(cb)` | [`Server::get_connections`] |
//! | `server.maxConnections` + `'drop'` | [`Server::set_max_connections`], [`events::DROP`] |
//! | `server.listening`, `server.ref()/unref()` | [`Server::listening`], [`Server::ref_`] / [`Server::unref`] (no-ops, see docs) |
//! | `'listening'`, `'connection'`, `'close'`, `'error'` | [`events::LISTENING`], [`events::CONNECTION`] (or [`Server::accept`]), [`events::SERVER_CLOSE`], [`events::ERROR`] |
//! | `net.connect(options[, cb])`, `net.createConnection` | [`connect`], [`create_connection`] with [`ConnectOptions`] |
//! | `new net.Socket([options])`, `socket.connect(...)` | [`Socket::new`], [`Socket::connect`] |
//! | `new net.Socket({ fd })`, a handle received over IPC | [`Socket::from_fd`], [`Socket::from_io`], `Socket::from(tokio_stream)` |
//! | (libuv's stream under a socket; cluster's raw handles) | [`transport::Io`], [`transport::Transport`], [`Server::on_raw_connection`] ([`Arrival`]), [`Server::add_connection`] |
//! | `socket.write(data)`, `'drain'` | [`Socket::write`] (`Result<bool>`, as every stream), [`Socket::write_all`] (awaits drain), [`events::DRAIN`] |
//! | `socket.end([data])` | [`Socket::end`], [`Socket::end_with`] |
//! | `socket.destroy([err])`, `destroySoon()`, `resetAndDestroy()` | [`Socket::destroy`] (`Option<Error>`, as every stream), [`Socket::destroy_with_error`], [`Socket::destroy_soon`], [`Socket::reset_and_destroy`] |
//! | `'data'`, `for await (c of socket)`, `pause()`, `resume()` | [`events::DATA`], [`Socket::recv`] / [`Socket::read`], [`Socket::pause`], [`Socket::resume`] |
//! | `socket.pipe(dest)`, `readable.pipe(socket)` | [`Socket::pipe`] (to any rt stream, returns `dest`), [`Socket::wait_end`], `readable.pipe(&socket)` |
//! | `pipeline(socket, t, socket)`, `finished(socket)` | `rt_stream::pipeline!(socket.clone(), t, socket)`, `rt_stream::finished(&socket)` |
//! | a `net.Socket` is a `stream.Duplex` (`cork`, `readableLength`, `writableLength`, ...) | `Socket: StreamBase + ReadableSide + WritableSide` (every stream method, inherent), [`Socket::as_duplex`], [`Socket::to_duplex`], `Duplex::from(socket)` |
//! | (Rust ecosystem) | `Socket` implements tokio's `AsyncRead` / `AsyncWrite` |
//! | `socket.setEncoding(enc)` | [`Socket::set_encoding`] |
//! | `socket.setTimeout(ms)` + `'timeout'` | [`Socket::set_timeout`], [`events::TIMEOUT`] |
//! | `socket.setKeepAlive(enable, delay)`, `setNoDelay(b)` | [`Socket::set_keep_alive`], [`Socket::set_no_delay`] |
//! | `allowHalfOpen` | [`SocketOptions::allow_half_open`], [`Socket::set_allow_half_open`] |
//! | `bytesRead`, `bytesWritten`, `writableLength` | [`Socket::bytes_read`], [`Socket::bytes_written`], [`Socket::buffer_size`] |
//! | `localAddress/Port/Family`, `remoteAddress/Port/Family`, `address()` | [`Socket::local_address`] ..., [`Socket::address`] |
//! | `readyState`, `pending`, `connecting`, `destroyed` | [`Socket::ready_state`], [`Socket::pending`], [`Socket::connecting`], [`Socket::destroyed`] |
//! | `'connect'`, `'ready'`, `'end'`, `'finish'`, `'close'(hadError)`, `'error'`, `'lookup'` | [`events`] |
//! | a cluster worker's `listen()` (`listenInCluster`), its round-robin faux handle | [`cluster::set_listen_interceptor`], [`Server::listen_remote`], [`Server::feed_connection`], [`Server::on_close_once`], [`cluster::close_gracefully`] (rt-cluster uses these) |
//! | `dns.lookup(host)` | [`lookup`] |
//! | `err.code`, `errno`, `syscall`, `address`, `port` | [`Error`] (rt's one error type, from rt-stream) |
//!
//! ## Example: the notes' echo server and client
//!
//! ```js
//! const server = net.createServer(socket => socket.pipe(socket));
//! server.listen(0, '127.0.0.1', () => {
//!   const client = net.connect(server.address().port, '127.0.0.1', () => client.end('hello'));
//!   client.on('data', d => console.log(d.toString()));   // hello
//!   client.on('close', () => server.close());
//! });
//! ```
//!
//! ```
//! use rt_net::{create_server, connect, Socket};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let server = create_server(|socket: Socket| async move {
//!     socket.pipe(&socket);
//!     socket.wait_end().await
//! });
//! let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap();
//!
//! let client = connect(("127.0.0.1", port)).await?;
//! client.end_with("hello")?;
//! let mut echoed = Vec::new();
//! while let Some(chunk) = client.recv().await? {
//!     echoed.extend_from_slice(&chunk);
//! }
//! assert_eq!(echoed, b"hello");
//! server.close()?;
//! server.closed().await;
//! # Ok::<(), rt_net::Error>(())
//! # }).unwrap();
//! ```
//!
//! ## Example: a socket is a stream
//!
//! ```js
//! const { Transform, pipeline } = require('stream');
//! const upper = () => new Transform({ transform(c, _, cb) { cb(null, c.toString().toUpperCase()); } });
//! const server = net.createServer(socket => pipeline(socket, upper(), socket, () => {}));
//! ```
//!
//! ```
//! use rt_net::{create_server, connect, Buffer, Socket};
//! use rt_stream::{pipeline, Pusher, Transform};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let server = create_server(|socket: Socket| async move {
//!     let upper = Transform::new(Default::default(), |c: Buffer, push: &Pusher<Buffer>| {
//!         push.push(c.to_ascii_uppercase());
//!         Ok(())
//!     });
//!     pipeline!(socket.clone(), upper, socket).await
//! });
//! let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap();
//! let client = connect(("127.0.0.1", port)).await?;
//! client.end_with("shout")?;
//! let got: Vec<u8> = client.read_all().await?.iter().flat_map(|c| c.to_vec()).collect();
//! assert_eq!(got, b"SHOUT");
//! server.close()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! ## Design
//!
//! - **Streams are the spine.** A socket is a stream, not a wrapper around
//!   one: its readable and writable sides are rt-stream's state machines
//!   (its stream core): buffering, marks, `'data'` / `'readable'` / `'end'`
//!   / `'drain'` / `'finish'`, encodings, cork/uncork and pipes are
//!   rt-stream's, on the socket's one emitter. The socket adds the
//!   connection next to it (connect, lookup, addresses, timeouts, TCP
//!   options, counters, Node's error codes) and hooks around the stream's
//!   `'close'` (`had_error`), `'end'` (the half-open policy) and errors.
//! - **No read-ahead.** The duplex's `_read` reads from the kernel only
//!   while the readable side is below its mark (16 KiB, as Node): a slow
//!   consumer leaves data in the kernel and the peer's sends block, end
//!   to end.
//! - **Writes go straight to the kernel** (libuv's `uv_try_write`): the
//!   duplex's `_write` completes synchronously when the kernel took
//!   everything, and only a remainder waits for writability in a task;
//!   `write` returns `false` once the buffered data reaches the mark.
//! - **One read buffer per thread**, not per socket: an idle connection
//!   holds no buffer (about 2.9 KB per idle connection in the bench, most
//!   of it the stream's state, against about 6.8 KB for Node: see the
//!   README's bench table).
//!
//! ## Runtime notes
//!
//! Everything runs on the ambient tokio runtime (any flavour); `listen` and
//! `connect` must be awaited inside one. `ref()` / `unref()` exist for
//! parity and do nothing: a tokio runtime is not kept alive by its sockets.
#![forbid(unsafe_code)]

mod address;
mod conn;
mod error;
mod listener;
mod lookup;
mod options;
mod server;
mod socket;
mod socket_from;
pub mod transport;

pub use address::{AddressInfo, DropInfo, Family, ServerAddress};
#[doc(hidden)]
pub use error::NetError;
pub use error::{Code, Error, NetErrorExt};
pub use listener::ListenHandle;
pub use lookup::{LookupInfo, lookup};
pub use options::{ConnectOptions, ListenOptions, ServerOptions, SocketOptions};
pub use rt_buffer::Buffer;
pub use rt_events::Emitter;
pub use rt_stream::{ReadableSide, StreamBase, StreamEvent, WritableSide};
pub use server::cluster;
pub use server::{Arrival, HandlerOutput, Server, create_server};
pub use socket::{Socket, connect, create_connection};

/// The events of sockets and servers, as typed rt-events keys.
///
/// Node's event names, one static each. A socket's `'data'`, `'end'`,
/// `'finish'` and `'drain'` are rt-stream's own keys (a socket's emitter is
/// its stream's); its `'close'` carries `had_error` ([`CLOSE`](events::CLOSE));
/// a server's `'close'` carries nothing ([`SERVER_CLOSE`](events::SERVER_CLOSE)).
pub mod events {
    pub use crate::server::{CONNECTION, DROP, LISTENING, SERVER_CLOSE};
    pub use crate::socket::events::*;
}

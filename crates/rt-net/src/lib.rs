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
//! - [`Socket`] ([`connect`]) is a duplex byte stream: `write` returns
//!   `false` at the high-water mark and `'drain'` follows, reading stops when
//!   nobody reads (the peer's sends then block), `end` half-closes, and
//!   `set_timeout`, `set_keep_alive`, `set_no_delay`, `allow_half_open` work
//!   as in Node.
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
//! | `socket.write(data)`, `'drain'` | [`Socket::write`] (bool), [`Socket::write_all`] (awaits drain), [`events::DRAIN`] |
//! | `socket.end([data])` | [`Socket::end`], [`Socket::end_with`] |
//! | `socket.destroy([err])`, `destroySoon()`, `resetAndDestroy()` | [`Socket::destroy`], [`Socket::destroy_with_error`], [`Socket::destroy_soon`], [`Socket::reset_and_destroy`] |
//! | `'data'`, `socket.read()`, `pause()`, `resume()` | [`events::DATA`], [`Socket::read`], [`Socket::pause`], [`Socket::resume`] |
//! | `socket.pipe(dest)` | [`Socket::pipe`] (to a socket); [`Socket::to_duplex`] for any rt-stream |
//! | a `net.Socket` is a `stream.Duplex` | [`Socket::to_duplex`] -> `rt_stream::Duplex` |
//! | (Rust ecosystem) | `Socket` implements tokio's `AsyncRead` / `AsyncWrite` |
//! | `socket.setEncoding(enc)` | [`Socket::set_encoding`] |
//! | `socket.setTimeout(ms)` + `'timeout'` | [`Socket::set_timeout`], [`events::TIMEOUT`] |
//! | `socket.setKeepAlive(enable, delay)`, `setNoDelay(b)` | [`Socket::set_keep_alive`], [`Socket::set_no_delay`] |
//! | `allowHalfOpen` | [`SocketOptions::allow_half_open`], [`Socket::set_allow_half_open`] |
//! | `bytesRead`, `bytesWritten`, `writableLength` | [`Socket::bytes_read`], [`Socket::bytes_written`], [`Socket::buffer_size`] |
//! | `localAddress/Port/Family`, `remoteAddress/Port/Family`, `address()` | [`Socket::local_address`] ..., [`Socket::address`] |
//! | `readyState`, `pending`, `connecting`, `destroyed` | [`Socket::ready_state`], [`Socket::pending`], [`Socket::connecting`], [`Socket::destroyed`] |
//! | `'connect'`, `'ready'`, `'end'`, `'finish'`, `'close'(hadError)`, `'error'`, `'lookup'` | [`events`] |
//! | `dns.lookup(host)` | [`lookup`] |
//! | `err.code`, `errno`, `syscall`, `address`, `port` | [`NetError`] |
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
//! let server = create_server(|socket: Socket| async move { socket.pipe(&socket).await });
//! let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap();
//!
//! let client = connect(("127.0.0.1", port)).await?;
//! client.end_with("hello");
//! let mut echoed = Vec::new();
//! while let Some(chunk) = client.read().await? {
//!     echoed.extend_from_slice(&chunk);
//! }
//! assert_eq!(echoed, b"hello");
//! server.close()?;
//! server.closed().await;
//! # Ok::<(), rt_net::NetError>(())
//! # }).unwrap();
//! ```
//!
//! ## Design
//!
//! - **No read-ahead.** A socket reads from the kernel only when someone
//!   reads (a pull [`Socket::read`], or the flowing reader behind `'data'`
//!   listeners, stopped by `pause()`): a slow consumer leaves data in the
//!   kernel and the peer's sends block, end to end.
//! - **Writes go straight to the kernel** when nothing is queued (libuv's
//!   `uv_try_write`); only the rest is queued, and `write` returns `false`
//!   once the queue reaches the high-water mark. [`Socket::write_all`]
//!   flushes in the calling task: an echo loop costs what a bare tokio
//!   loop does.
//! - **One read buffer per thread**, not per socket: an idle connection
//!   holds no buffer (about 1.8 KB per idle connection in the bench, against
//!   about 7 KB for Node).
//! - **rt-stream.** A [`Socket`] has its own stream machinery on tokio
//!   (Node's socket semantics, measured at tokio's speed) and is seen as an
//!   `rt_stream::Duplex` through [`Socket::to_duplex`] for pipes and
//!   pipelines with any rt stream.
//!
//! ## Runtime notes
//!
//! Everything runs on the ambient tokio runtime (any flavour); `listen` and
//! `connect` must be awaited inside one. `ref()` / `unref()` exist for
//! parity and do nothing: a tokio runtime is not kept alive by its sockets.
#![forbid(unsafe_code)]

mod address;
mod conn;
mod errno;
mod error;
pub mod events;
mod listener;
mod lookup;
mod options;
mod server;
mod socket;

pub use address::{AddressInfo, DropInfo, Family, ServerAddress};
pub use error::NetError;
pub use listener::ListenHandle;
pub use lookup::{LookupInfo, lookup};
pub use options::{ConnectOptions, ListenOptions, ServerOptions, SocketOptions};
pub use rt_buffer::Buffer;
pub use rt_events::Emitter;
pub use server::{HandlerOutput, Server, create_server};
pub use socket::{Socket, connect, create_connection};

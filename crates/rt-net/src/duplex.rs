//! The bridge to rt-stream: a [`Socket`] seen as an [`rt_stream::Duplex`],
//! so it pipes to and from any rt stream (`pipeline!`, `Readable::pipe`, ...).

use rt_buffer::Buffer;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rt_stream::{Duplex, DuplexOptions, Pusher, Sink, Source, StreamEvent, WriteOutcome};

use crate::error::NetError;
use crate::socket::Socket;

impl From<NetError> for rt_stream::Error {
    fn from(e: NetError) -> rt_stream::Error {
        rt_stream::Error::new(e.code(), e.message())
    }
}

/// `_read`: pulls from the socket in a task until the stream's buffer is at
/// its high-water mark, then waits for the next `_read` (backpressure reaches
/// the kernel: nothing is read while the duplex is full).
struct SocketSource {
    socket: Socket,
    reading: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Source<Buffer> for SocketSource {
    fn read(&mut self, _size: usize, push: &Pusher<Buffer>) {
        use std::sync::atomic::Ordering;
        if self.reading.swap(true, Ordering::AcqRel) {
            return;
        }
        let socket = self.socket.clone();
        let pusher = push.clone();
        let reading = self.reading.clone();
        let task = async move {
            let push = pusher;
            loop {
                match socket.read().await {
                    Ok(Some(chunk)) => {
                        if !push.push(chunk) {
                            break;
                        }
                    }
                    Ok(None) => {
                        push.push_end();
                        break;
                    }
                    Err(e) => {
                        push.destroy(Some(e.into()));
                        break;
                    }
                }
            }
            reading.store(false, Ordering::Release);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(task);
            }
            Err(_) => {
                self.reading.store(false, Ordering::Release);
                push.destroy(Some(rt_stream::Error::new(
                    "ERR_NO_RUNTIME",
                    "a socket stream needs a tokio runtime",
                )));
            }
        }
    }

    fn destroy(&mut self, err: Option<rt_stream::Error>) -> Option<rt_stream::Error> {
        self.socket.destroy();
        err
    }
}

/// `_write` / `_final` / `_destroy` over the socket's own write path.
struct SocketSink {
    socket: Socket,
}

impl Sink<Buffer> for SocketSink {
    fn write(&mut self, chunk: Buffer) -> WriteOutcome {
        let socket = self.socket.clone();
        WriteOutcome::Pending(Box::pin(async move {
            socket.write_all(chunk).await.map_err(rt_stream::Error::from)
        }))
    }

    fn finish(&mut self) -> Option<WriteOutcome> {
        let socket = self.socket.clone();
        Some(WriteOutcome::Pending(Box::pin(async move {
            socket.drained().await.map_err(rt_stream::Error::from)?;
            socket.end();
            Ok(())
        })))
    }

    fn destroy(&mut self, err: Option<rt_stream::Error>) -> Option<rt_stream::Error> {
        self.socket.destroy();
        err
    }
}

impl Socket {
    /// This socket as an rt-stream [`Duplex`] of [`Buffer`]s (Node: a
    /// `net.Socket` *is* a `stream.Duplex`): pipe it to and from any rt
    /// stream, or pass it to `pipeline!`. Data read through the duplex is
    /// not also returned by [`Socket::read`]; use one face or the other.
    ///
    /// Ending: whatever is piped into the duplex ends our side when it ends,
    /// after all its data (so `pipeline!(d.clone(), transform, d)` never
    /// loses a byte). With nothing piped in and `allow_half_open` off (Node's
    /// default), our side ends once the peer's end has been read, after the
    /// writes already made, as in Node. A write that fails (after the end,
    /// after a reset) destroys the duplex with the error: never silent.
    ///
    /// ```no_run
    /// # async fn demo(socket: rt_net::Socket) -> Result<(), rt_stream::Error> {
    /// use rt_stream::{pipeline, PassThrough};
    /// // pipeline(socket, new PassThrough(), socket, cb): an echo through a stream
    /// let d = socket.to_duplex();
    /// pipeline!(d.clone(), PassThrough::new(Default::default()), d).await?;
    /// # Ok(()) }
    /// ```
    pub fn to_duplex(&self) -> Duplex {
        // The duplex ends our side itself, after its buffered writes: the
        // socket must not end on the peer's FIN behind its back.
        let auto_end = !self.allow_half_open();
        self.set_allow_half_open(true);
        // Half-open at the stream level too: with Node's default the duplex
        // would end its writable side on 'end' while a pipe (rt's pipes are
        // asynchronous, Node's sync transforms are not) still carries data
        // toward it, and that data would be lost.
        let d = Duplex::new(
            DuplexOptions {
                allow_half_open: true,
                ..DuplexOptions::default()
            },
            Some(SocketSource {
                socket: self.clone(),
                reading: Default::default(),
            }),
            Some(SocketSink { socket: self.clone() }),
        );
        if auto_end {
            // Node's default (end our side once the peer ended), kept when
            // nothing is piped into the duplex: whatever is piped in ends it
            // when it ends, after all its data.
            let pipes = Arc::new(AtomicUsize::new(0));
            // The handle the 'end' listener needs, released at 'close' (no cycle left).
            let slot = Arc::new(Mutex::new(Some(d.clone())));
            {
                let p = pipes.clone();
                d.on(StreamEvent::Pipe, move || {
                    p.fetch_add(1, Ordering::AcqRel);
                });
            }
            {
                let p = pipes.clone();
                d.on(StreamEvent::Unpipe, move || {
                    let _ =
                        p.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(1)));
                });
            }
            {
                let p = pipes.clone();
                let slot = slot.clone();
                d.on(StreamEvent::End, move || {
                    if p.load(Ordering::Acquire) == 0 {
                        let d = slot.lock().unwrap_or_else(PoisonError::into_inner).clone();
                        if let Some(d) = d {
                            // Already ended by the user: nothing to do.
                            let _ = d.end();
                        }
                    }
                });
            }
            d.once(StreamEvent::Close, move || {
                slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            });
        }
        d
    }
}

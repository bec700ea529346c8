//! A connection's read buffer: how much is asked of the kernel per read,
//! and the memory reads go into. A body chunk is a slice of the buffer (no
//! copy); once every chunk is sent on or dropped, the next read reuses the
//! same memory. A connection waiting with nothing buffered lets its buffer
//! go to a per-thread pool (an idle connection holds none), and the next
//! connection with bytes to read takes it from there.

use std::cell::RefCell;

use bytes::{Buf, BytesMut};
use rt_net::transport::Transport;

use crate::parser::BodyKind;

/// Bytes read per read while waiting for a request head.
pub(crate) const HEAD_READ_SIZE: usize = 8 * 1024;

/// Bytes read per read when a body starts to flow.
pub(crate) const BODY_READ_SIZE: usize = rt_net::transport::DEFAULT_READ_SIZE;

/// Bytes read per read once a body read filled its whole buffer (a peer
/// sending faster than one read takes): fewer reads, writes and chunks per
/// megabyte. A slow sender never gets here, so it never holds more than
/// [`BODY_READ_SIZE`] of buffer.
pub(crate) const BODY_READ_SIZE_FAST: usize = 256 * 1024;

/// A request head's bytes, taken off the front of the read buffer. Without
/// a body they are split off (no copy: the buffer is free again once the
/// request is done). With a body they are copied out, so that the head does
/// not share the read buffer while the body flows: each body chunk, once
/// sent on or dropped, leaves the buffer to the connection alone, and the
/// next read reuses it instead of allocating a new one.
#[inline]
pub(crate) fn take_head(t: &mut Transport, len: usize, kind: BodyKind) -> bytes::Bytes {
    match kind {
        BodyKind::None => t.buffer().split_to(len).freeze(),
        _ => {
            let head = bytes::Bytes::copy_from_slice(&t.data()[..len]);
            t.buffer().advance(len);
            head
        }
    }
}

thread_local! {
    /// Empty read buffers of connections waiting for bytes, for the next
    /// connection that has bytes to read: busy keep-alive connections take
    /// and give back buffers instead of allocating one per request, and
    /// idle ones hold none (bounded: `POOL_MAX` buffers per thread).
    static POOL: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
    /// The same for the larger buffers of fast bodies
    /// ([`BODY_READ_SIZE_FAST`]), bounded at `BIG_POOL_MAX` per thread.
    static BIG_POOL: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
}

const POOL_MAX: usize = 256;
const BIG_POOL_MAX: usize = 16;

/// Reads once more into the transport's buffer, asking the kernel for up to
/// `want` bytes (waiting for data); while it waits with nothing buffered,
/// its buffer goes back to the pool.
pub(crate) async fn read_some(t: &mut Transport, want: usize) -> std::io::Result<usize> {
    t.set_read_size(want);
    std::future::poll_fn(|cx| poll_read_some(t, want, cx)).await
}

/// Makes room for a read of `want` bytes without allocating when it can.
/// For a head: a pooled buffer when the connection holds none (what it
/// holds is reclaimed by the read itself). For a body: the same memory
/// again when nothing else holds any of it (the chunks read into it were
/// sent on or dropped), else a pooled buffer of the size wanted (the unread
/// bytes moved over). With neither, the transport's read allocates.
fn make_room(t: &mut Transport, want: usize) {
    let b = t.buffer();
    if want <= HEAD_READ_SIZE {
        if b.capacity() == 0 {
            if let Some(fresh) = POOL.with(|p| p.borrow_mut().pop()) {
                *b = fresh;
            }
        }
        return;
    }
    if b.capacity() - b.len() >= want || b.try_reclaim(want) {
        return;
    }
    let pool = if want > 2 * BODY_READ_SIZE {
        &BIG_POOL
    } else {
        &POOL
    };
    if let Some(mut fresh) = pool.with(|p| p.borrow_mut().pop()) {
        fresh.extend_from_slice(b);
        let mut old = std::mem::replace(b, fresh);
        old.clear();
        park(old);
    }
}

/// An empty buffer a connection lets go of (it waits with nothing
/// buffered, or moved to a larger one): into the pool of its size when it
/// has room left, or is used up and nothing else shares it (a used-up
/// buffer that a chunk in flight still holds is dropped instead).
fn park(mut b: BytesMut) {
    if b.capacity() == 0 && !b.try_reclaim(HEAD_READ_SIZE) {
        return;
    }
    let (pool, max) = match b.capacity() {
        c if c <= 2 * BODY_READ_SIZE => (&POOL, POOL_MAX),
        c if c <= 2 * BODY_READ_SIZE_FAST => (&BIG_POOL, BIG_POOL_MAX),
        _ => return,
    };
    pool.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < max {
            p.push(b);
        }
    });
}

/// [`read_some`] as a poll: the wait is the transport's readiness poll (the
/// waker is stored in the socket's registration), not a `readable()` future
/// linked into tokio's waiter list and unlinked again on every request.
fn poll_read_some(
    t: &mut Transport,
    want: usize,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<std::io::Result<usize>> {
    use std::task::Poll;
    loop {
        make_room(t, want);
        match t.try_read() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return Poll::Ready(r),
        }
        if t.data().is_empty() {
            park(std::mem::take(t.buffer()));
        }
        match t.io().poll_read_ready(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rt_net::transport::Io;
    use std::task::Poll;

    const HEAD: &[u8] = b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n";

    fn pair() -> (Transport, Transport) {
        let (a, b) = Io::pair().expect("socketpair");
        (Transport::new(a), Transport::new(b))
    }

    /// Polls one read of `want` bytes once: `None` if it would wait.
    async fn read_now(t: &mut Transport, want: usize) -> Option<usize> {
        t.set_read_size(want);
        std::future::poll_fn(|cx| {
            Poll::Ready(match poll_read_some(t, want, cx) {
                Poll::Ready(r) => Some(r.expect("read")),
                Poll::Pending => None,
            })
        })
        .await
    }

    /// One read of `want` bytes once the peer's bytes are there (the
    /// socket's readiness is learnt from the reactor first).
    async fn read_sent(t: &mut Transport, want: usize) -> usize {
        for _ in 0..100 {
            rt_tests::wait::within(5, "the peer's bytes to be readable", t.readable())
                .await
                .expect("readable");
            if let Some(n) = read_now(t, want).await {
                return n;
            }
        }
        panic!("readable 100 times, but nothing was read");
    }

    /// What `feed` does with a body's bytes: the chunk is a slice of the
    /// read buffer, no copy.
    fn chunk_of_everything(t: &mut Transport) -> bytes::Bytes {
        let n = t.data().len();
        t.buffer().split_to(n).freeze()
    }

    /// The head of a request with a body is copied out of the read buffer,
    /// so once the body chunk read with it is gone (sent on by a pipe), the
    /// next body read lands in the same memory instead of a new allocation.
    #[tokio::test]
    async fn a_body_read_reuses_the_buffer_once_its_chunks_are_gone() {
        let (mut t, peer) = pair();
        let first = [HEAD, &[b'a'; 1000][..]].concat();
        peer.write_all(&first).await.expect("write");
        let n = read_sent(&mut t, BODY_READ_SIZE).await;
        assert_eq!(n, first.len());
        let base = t.data().as_ptr();
        let head = take_head(&mut t, HEAD.len(), BodyKind::Length(100_000));
        assert_eq!(&head[..], HEAD);
        let chunk = chunk_of_everything(&mut t);
        assert_eq!(&chunk[..], &[b'a'; 1000][..]);
        drop(chunk);
        peer.write_all(&[b'b'; 2000]).await.expect("write");
        assert_eq!(read_sent(&mut t, BODY_READ_SIZE).await, 2000);
        assert_eq!(t.data(), &[b'b'; 2000][..]);
        assert_eq!(
            t.data().as_ptr(),
            base,
            "the second body read went into new memory: something still holds the first"
        );
        // The head is still whole (it was copied, not overwritten).
        assert_eq!(&head[..], HEAD);
    }

    /// A chunk still in flight keeps its bytes: the next read goes
    /// elsewhere and never overwrites it.
    #[tokio::test]
    async fn a_chunk_in_flight_keeps_its_bytes() {
        let (mut t, peer) = pair();
        peer.write_all(&[b'a'; 3000]).await.expect("write");
        assert_eq!(read_sent(&mut t, BODY_READ_SIZE).await, 3000);
        let held = chunk_of_everything(&mut t);
        peer.write_all(&[b'b'; BODY_READ_SIZE]).await.expect("write");
        let mut got = 0;
        while got < BODY_READ_SIZE {
            got += read_sent(&mut t, BODY_READ_SIZE).await;
        }
        assert!(t.data().iter().all(|&c| c == b'b'));
        assert_eq!(
            &held[..],
            &[b'a'; 3000][..],
            "a read overwrote a chunk still held"
        );
    }

    /// A connection that waits with nothing buffered holds no buffer: it
    /// goes to the thread's pool, and the next connection with bytes to
    /// read takes that same memory.
    #[tokio::test]
    async fn a_waiting_connection_lends_its_buffer_to_the_next_reader() {
        let (mut t, peer) = pair();
        let (mut u, upeer) = pair();
        peer.write_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            .await
            .expect("write");
        assert!(read_sent(&mut t, HEAD_READ_SIZE).await > 0);
        let base = t.data().as_ptr();
        t.buffer().clear();
        assert_eq!(read_now(&mut t, HEAD_READ_SIZE).await, None, "nothing was sent");
        assert_eq!(t.buffer().capacity(), 0, "a waiting connection kept its buffer");
        upeer
            .write_all(b"GET /u HTTP/1.1\r\nHost: h\r\n\r\n")
            .await
            .expect("write");
        assert!(read_sent(&mut u, HEAD_READ_SIZE).await > 0);
        assert_eq!(
            u.data().as_ptr(),
            base,
            "the next reader did not get the pooled buffer"
        );
        assert!(u.data().starts_with(b"GET /u "));
    }
}

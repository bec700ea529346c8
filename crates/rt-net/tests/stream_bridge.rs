//! A socket as an rt-stream Duplex: pipes to and from rt streams.
//!
//! Every wait is bounded, and each server handler's result (or panic)
//! reaches the test through `checked_server`.

mod common;

use common::{WAIT, Within, checked_server, read_all};
use rt_net::{ServerOptions, Socket, connect};
use rt_stream::{Buffer, PassThrough, Pusher, Transform, pipeline};

async fn connect_local(port: u16) -> Socket {
    connect(("127.0.0.1", port))
        .within(WAIT, "connect to 127.0.0.1")
        .await
        .unwrap()
}

async fn listen_local(server: &rt_net::Server) -> u16 {
    server
        .listen(("127.0.0.1", 0))
        .within(WAIT, "listen on 127.0.0.1")
        .await
        .unwrap()
        .port()
        .unwrap()
}

#[tokio::test]
async fn echo_through_a_stream_pipeline() {
    let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| async move {
        let d = s.to_duplex();
        pipeline!(d.clone(), PassThrough::new(Default::default()), d).await
    });
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let writer = {
        let c = c.clone();
        let p = payload.clone();
        tokio::spawn(async move {
            for piece in p.chunks(7_000) {
                c.write_all(piece.to_vec()).await.unwrap();
            }
            let _ = c.end();
        })
    };
    let got = read_all(&c).await;
    writer
        .within(WAIT, "the writer task")
        .await
        .expect("the writer task panicked");
    assert_eq!(got.len(), payload.len());
    assert!(got == payload);
    handled
        .next("the server's pipeline")
        .await
        .expect("the server's pipeline failed");
    server.close().unwrap();
}

/// Regression (lead's report): with Node's default (no half-open) the
/// duplex ended its writable side at 'end' while the pipeline still
/// carried transformed data toward it, and the tail was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_through_a_transform_never_loses_data() {
    let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| async move {
        let d = s.to_duplex();
        let upper = Transform::new(Default::default(), |chunk: Buffer, push: &Pusher<Buffer>| {
            push.push(chunk.to_ascii_uppercase());
            Ok(())
        });
        pipeline!(d.clone(), upper, d).await
    });
    let port = listen_local(&server).await;
    let payload: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let expected = payload.to_ascii_uppercase();
    for round in 0..300 {
        let c = connect_local(port).await;
        for piece in payload.chunks(7_000) {
            c.write_all(piece.to_vec()).within(WAIT, "a write").await.unwrap();
            tokio::task::yield_now().await;
        }
        let _ = c.end();
        let got = read_all(&c).await;
        assert_eq!(got.len(), expected.len(), "round {round}");
        assert!(got == expected, "round {round}: data differs");
        handled
            .next("the server's pipeline")
            .await
            .unwrap_or_else(|e| panic!("round {round}: the server's pipeline failed: {e}"));
    }
    server.close().unwrap();
}

/// Regression: the same pipeline as above, started in a task of its own
/// (as a handler that `tokio::spawn`s its work does). The client read 0
/// bytes and the end (about 1 run in 4 with four runs in parallel): the
/// first pipe (`d -> upper`) queued `d`'s resume, the tick drainer ran it
/// on the other worker thread, and `d` read its whole input and its end and
/// ended its own writable side (no half-open, nothing piped into it yet)
/// before the synchronous code that queued the resume had run
/// `upper.pipe(d)`. Ticks queued by a task's poll now run only after that
/// poll (Node's rule: after the synchronous code that queued them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_started_in_its_own_task_never_loses_data() {
    let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| {
        let run = tokio::spawn(async move {
            let d = s.to_duplex();
            let upper = Transform::new(Default::default(), |chunk: Buffer, push: &Pusher<Buffer>| {
                push.push(chunk.to_ascii_uppercase());
                Ok(())
            });
            pipeline!(d.clone(), upper, d).await
        });
        async move { run.await.expect("the pipeline task panicked") }
    });
    let port = listen_local(&server).await;
    let payload: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let expected = payload.to_ascii_uppercase();
    for round in 0..300 {
        let c = connect_local(port).await;
        for piece in payload.chunks(7_000) {
            c.write_all(piece.to_vec()).within(WAIT, "a write").await.unwrap();
            tokio::task::yield_now().await;
        }
        let _ = c.end();
        let got = read_all(&c).await;
        assert_eq!(got.len(), expected.len(), "round {round}");
        assert!(got == expected, "round {round}: data differs");
        handled
            .next("the server's pipeline")
            .await
            .unwrap_or_else(|e| panic!("round {round}: the server's pipeline failed: {e}"));
    }
    server.close().unwrap();
}

/// Regression: an echo (`s.pipe(&s)`) started in a task of its own. The
/// whole echo arrived but the server's side never ended: a `_read` asked
/// for on one worker thread while the socket's source was still reading on
/// the other was dropped, `reading` stayed set, and the socket never read
/// its peer's end again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_started_in_its_own_task_always_ends() {
    let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| {
        let run = tokio::spawn(async move {
            s.pipe(&s);
            s.wait_closed().await;
        });
        async move { run.await.expect("the echo task panicked") }
    });
    let port = listen_local(&server).await;
    let payload: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    for round in 0..300 {
        let c = connect_local(port).await;
        for piece in payload.chunks(7_000) {
            c.write_all(piece.to_vec()).within(WAIT, "a write").await.unwrap();
            tokio::task::yield_now().await;
        }
        let _ = c.end();
        let mut got = 0usize;
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(WAIT), c.recv()).await {
                Ok(Ok(Some(chunk))) => got += chunk.len(),
                Ok(Ok(None)) => break,
                Ok(Err(e)) => panic!("round {round}: read error {e}"),
                Err(_) => panic!(
                    "round {round}: timed out after {WAIT}s waiting for the server's end, \
                     {got} of {} bytes echoed, client {}",
                    payload.len(),
                    c.ready_state()
                ),
            }
        }
        assert_eq!(got, payload.len(), "round {round}");
        handled.next("the server's echo").await;
    }
    server.close().unwrap();
}

/// Node's default is kept when nothing is piped into the duplex: our side
/// ends once the peer's end has been read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplex_that_is_only_read_ends_after_the_peer() {
    let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| async move {
        let d = s.to_duplex();
        let mut n = 0;
        while let Some(chunk) = d.read().await {
            n += chunk?.len();
        }
        Ok::<usize, rt_stream::Error>(n)
    });
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    let _ = c.end_with("12345");
    // The server's side ends by itself: we read the end.
    assert!(
        c.recv()
            .within(WAIT, "the server side's end")
            .await
            .unwrap()
            .is_none()
    );
    c.wait_closed().within(WAIT, "the client's 'close'").await;
    let n = handled
        .next("the server's reader")
        .await
        .expect("the server's read failed");
    assert_eq!(n, 5);
    server.close().unwrap();
}

/// A `Socket` *is* the duplex: it goes straight into `pipeline!` and is a
/// pipe's destination, with no adapter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_is_used_directly_in_pipeline_and_pipe() {
    let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| async move {
        let upper = Transform::new(Default::default(), |chunk: Buffer, push: &Pusher<Buffer>| {
            push.push(chunk.to_ascii_uppercase());
            Ok(())
        });
        pipeline!(s.clone(), upper, s).await
    });
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    let words: Vec<String> = (0..500).map(|i| format!("word{i} ")).collect();
    // Readable.from(words).pipe(socket): the socket ends after the last word.
    let chunks: Vec<Buffer> = words
        .iter()
        .map(|w| Buffer::from(w.as_bytes().to_vec()))
        .collect();
    rt_stream::Readable::from_iter(chunks).pipe(&c);
    let got = read_all(&c).await;
    assert_eq!(got, words.concat().to_ascii_uppercase().into_bytes());
    // finished(socket): both sides done.
    rt_stream::finished(&c)
        .within(WAIT, "finished(socket)")
        .await
        .unwrap();
    c.wait_closed().within(WAIT, "the client's 'close'").await;
    assert!(c.error().is_none());
    handled
        .next("the server's pipeline")
        .await
        .expect("the server's pipeline failed");
    server.close().unwrap();
}

/// The stream's methods are the socket's: cork/uncork batch writes (one
/// vectored write), the marks and lengths are the duplex's.
#[tokio::test]
async fn stream_methods_act_on_the_socket() {
    let server = rt_net::Server::new();
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    let peer = server.accept().within(WAIT, "accept").await.unwrap();
    assert_eq!(c.readable_high_water_mark(), 16 * 1024);
    assert_eq!(c.writable_high_water_mark(), 16 * 1024);
    c.cork();
    assert!(c.write("a").unwrap_or(false));
    assert!(c.write("bc").unwrap_or(false));
    assert_eq!(c.writable_length(), 3);
    assert_eq!(c.buffer_size(), 3);
    assert_eq!(c.writable_corked(), 1);
    c.uncork();
    let _ = c.end_with("d");
    let got = read_all(&peer).await;
    assert_eq!(got, b"abcd");
    assert_eq!(c.bytes_written(), 4);
    assert!(c.writable_ended());
    server.close().unwrap();
}

/// Nothing is read past the readable side's mark: a socket nobody reads
/// holds at most one read beyond its mark, and the peer's writes back up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readable_side_stops_reading_at_its_mark() {
    let server = rt_net::Server::new();
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    let peer = server.accept().within(WAIT, "accept").await.unwrap();
    // Start the flow, then pause: data is read into the stream until the mark.
    c.pause();
    assert!(c.read_now(None).is_none());
    let chunk = vec![1u8; 1 << 20];
    let mut pushed = 0usize;
    // The peer writes until its own buffer backs up (the kernel buffers on
    // both ends are full, and our socket stopped reading).
    while peer.buffer_size() == 0 {
        let _ = peer.write(chunk.clone());
        pushed += chunk.len();
        assert!(
            pushed < 512 << 20,
            "the peer never backed up: read-ahead without bound"
        );
        tokio::task::yield_now().await;
    }
    let held = c.readable_length();
    assert!(held <= 16 * 1024 + 64 * 1024, "{held} bytes held past the mark");
    assert_eq!(c.bytes_read(), held as u64);
    // Reading drains it all, in order.
    let _ = peer.end();
    let got = read_all(&c).await;
    assert!(got.iter().all(|b| *b == 1));
    assert_eq!(got.len(), pushed);
    server.close().unwrap();
}

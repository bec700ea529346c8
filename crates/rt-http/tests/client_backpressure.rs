//! A paused client response that its consumer asks to continue continues.
//!
//! The connection stops reading the socket when a push into the response
//! is refused (the body's buffer is at its mark) and starts again when the
//! consumer's `_read` asks for more. `_read` is Node's "push more": Node's
//! IncomingMessage resumes its socket on every `_read`, whatever the buffer
//! holds. A parser that peeks (reads what is there, finds too little for a
//! frame and `unshift`s it back, as Node's docs show) leaves the buffer at
//! its mark right after its `read()` asked for more; a connection that
//! re-checks the buffer level when woken sees it full, stays paused, and
//! nobody asks again (the stream is still "reading"): the body stalls.

use std::time::Duration;

use rt_http::RequestOptions;
use rt_http::client::AgentChoice;
use rt_stream::StreamEvent;
use rt_tests::wait::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod peeking;

use peeking::{FRAME, FRAMES, byte_at, read_frames};

#[test]
fn a_peeking_parser_gets_every_frame_of_a_paused_response() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt_stream::runtime::block_on(&rt, async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            let mut head = [0u8; 4096];
            let _ = s.read(&mut head).await.expect("the request head");
            let len = FRAME * FRAMES;
            let body: Vec<u8> = (0..len).map(byte_at).collect();
            s.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n").as_bytes())
                .await
                .expect("head");
            // Written in 8 KiB pieces as the client takes them.
            for piece in body.chunks(8 * 1024) {
                s.write_all(piece).await.expect("body");
            }
            // Held open: only the body's length ends the response.
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest).await;
        });
        let opts = RequestOptions::default()
            .host("127.0.0.1")
            .port(port)
            .agent(AgentChoice::None);
        let req = rt_http::get(opts).expect("request");
        let res = within(10, "the response head", req.response())
            .await
            .expect("response");
        let (frames_tx, mut frames_rx) = tokio::sync::mpsc::unbounded_channel::<Result<usize, String>>();
        let (end_tx, mut end_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        read_frames(&res, frames_tx);
        res.on(StreamEvent::End, move || {
            let _ = end_tx.send(());
        });
        for k in 0..FRAMES {
            let what = format!("frame {k} of {FRAMES} (the paused connection never resumed)");
            let got = within(10, &what, frames_rx.recv()).await;
            assert_eq!(got, Some(Ok(k)));
        }
        within(10, "'end' after the last frame", end_rx.recv())
            .await
            .expect("'end'");
        drop(req);
        drop(res);
        let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
        println!("client_backpressure: {FRAMES} frames of {FRAME} bytes, each after an unshift at the mark");
    });
}

/// A paused response destroyed by its consumer (Node: `res.destroy()`)
/// closes its connection: the paused connection task is woken by the
/// destroy, not only by a `_read`.
#[test]
fn a_paused_response_destroyed_closes_its_connection() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt_stream::runtime::block_on(&rt, async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (closed_tx, mut closed_rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            let mut head = [0u8; 4096];
            let _ = s.read(&mut head).await.expect("the request head");
            let len = FRAME * FRAMES;
            let _ = s
                .write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n").as_bytes())
                .await;
            // Far more than the client's 16 KiB mark: the client pauses
            // (what the kernel buffers still goes out).
            let body = vec![b'x'; len];
            let mut written = 0;
            for piece in body.chunks(8 * 1024) {
                if s.write_all(piece).await.is_err() {
                    break;
                }
                written += piece.len();
            }
            // The client's close ends this read.
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest).await;
            let _ = closed_tx.send(written);
        });
        let opts = RequestOptions::default()
            .host("127.0.0.1")
            .port(port)
            .agent(AgentChoice::None);
        let req = rt_http::get(opts).expect("request");
        let res = within(10, "the response head", req.response())
            .await
            .expect("response");
        // Touch the body (builds its stream) without consuming it: the
        // connection fills the buffer to the mark and pauses.
        rt_tests::wait::wait_until_async(10, "the body buffered to its mark", || {
            res.readable_length() >= res.readable_high_water_mark()
        })
        .await;
        res.destroy(None);
        let written = within(
            10,
            "the server seeing the connection closed after res.destroy()",
            closed_rx.recv(),
        )
        .await
        .expect("the server's report");
        println!("client_backpressure: destroyed while paused after {written} bytes; connection closed");
    });
}

//! A request body read by a peeking parser is read to its end.
//!
//! The server stops reading a connection when its request body's buffer is
//! at its mark and starts again when the consumer's `_read` asks for more.
//! `_read` is Node's "push more": Node's IncomingMessage resumes its socket
//! on every `_read`, whatever the buffer holds. A parser that peeks (reads
//! what is there, finds too little for a frame and `unshift`s it back, as
//! Node's docs show) leaves the buffer at its mark right after its `read()`
//! asked for more; a connection that re-checks the buffer level when woken
//! sees it full, stays paused, and nobody asks again (the stream is still
//! "reading"): the body stalls. (The client's twin: client_backpressure.rs.)

use rt_http::{IncomingMessage, ServerResponse};
use rt_stream::StreamEvent;
use rt_tests::wait::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod peeking;

use peeking::{FRAME, FRAMES, byte_at, read_frames};

#[test]
fn a_peeking_parser_gets_every_frame_of_a_request_body() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt_stream::runtime::block_on(&rt, async {
        let (frames_tx, mut frames_rx) = tokio::sync::mpsc::unbounded_channel::<Result<usize, String>>();
        let server = rt_http::create_server(move |req: IncomingMessage, res: ServerResponse| {
            read_frames(&req, frames_tx.clone());
            req.on(StreamEvent::End, move || {
                let _ = res.end_with("all frames");
            });
        });
        let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
            .await
            .expect("listen")
            .port()
            .expect("port");
        let client = tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            let len = FRAME * FRAMES;
            let head = format!(
                "POST /upload HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: {len}\r\n\r\n"
            );
            s.write_all(head.as_bytes()).await.expect("head");
            let body: Vec<u8> = (0..len).map(byte_at).collect();
            // Written in 8 KiB pieces as the server takes them.
            for piece in body.chunks(8 * 1024) {
                s.write_all(piece).await.expect("body");
            }
            let mut answer = Vec::new();
            let _ = s.read_to_end(&mut answer).await;
            answer
        });
        for k in 0..FRAMES {
            let what = format!("frame {k} of {FRAMES} (the paused connection never resumed)");
            let got = within(10, &what, frames_rx.recv()).await;
            assert_eq!(got, Some(Ok(k)));
        }
        let answer = within(10, "the response after the last frame", client)
            .await
            .expect("client task");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.ends_with("all frames"), "{text}");
        println!("server_backpressure: {FRAMES} frames of {FRAME} bytes, each after an unshift at the mark");
    });
}

//! Tests that cross crates: net sockets carrying rt-stream pipelines, rt-events
//! futures on net objects, rt-buffer decoding across TCP segments, and Node on
//! the other end of the wire.

use rt::buffer::{Buffer, Encoding, StringDecoder};
use rt::events::once;
use rt::net::{Socket, connect, create_server, events};
use rt::stream::{DuplexOptions, Pusher, Transform, pipeline};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use rt_tests::wait::{recv_async, within};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// An rt server that upper-cases through an rt-stream Transform in a
/// `pipeline!(socket, transform, socket)`. The handler runs in a task of the
/// server's: each connection's pipeline result comes out on the receiver, for
/// the test to assert (a failure there would otherwise be lost).
async fn upper_case_server() -> (rt::net::Server, u16, UnboundedReceiver<Result<(), String>>) {
    let (tx, rx) = unbounded_channel();
    let server = create_server(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            let d = socket.to_duplex();
            let upper = Transform::new(
                DuplexOptions::default(),
                |chunk: Buffer, push: &Pusher<Buffer>| {
                    push.push(Buffer::from(chunk.to_ascii_uppercase()));
                    Ok(())
                },
            );
            let r = pipeline!(d.clone(), upper, d).await;
            let _ = tx.send(r.clone().map_err(|e| format!("{}: {}", e.code(), e.message())));
            r
        }
    });
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    (server, port, rx)
}

const NODE_CLIENT: &str = r#"
const net = require('net');
const port = Number(process.argv[2]);
const chunks = [];
process.stdin.on('data', c => chunks.push(c));
process.stdin.on('end', () => {
  const data = Buffer.concat(chunks);
  const sock = net.connect(port, '127.0.0.1', () => {
    // Random chunk sizes from a fixed seed (a tiny LCG), as a real client would send.
    let seed = 7, off = 0;
    while (off < data.length) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const n = 1 + (seed % 9000);
      sock.write(data.subarray(off, off + n));
      off += n;
    }
    sock.end();
  });
  const got = [];
  sock.on('data', c => got.push(c));
  sock.on('close', () => process.stdout.write(Buffer.concat(got)));
});
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_through_an_rt_transform_pipeline() {
    let Some(node) = node_or_skip("node_client_through_an_rt_transform_pipeline") else {
        return;
    };
    let (server, port, mut handled) = upper_case_server().await;
    let mut rng = Rng::new(0x5eed);
    // 2 MB of mixed text: ASCII letters, digits and multi-byte UTF-8 (kept as bytes).
    let mut data = Vec::new();
    let pieces = ["hello ", "wörld ", "前端 ", "😀 ", "abc\n", "xyz\r\n"];
    while data.len() < 2 << 20 {
        data.extend_from_slice(rng.pick(&pieces).as_bytes());
    }
    let dir = rt_tests::temp::TempDir::new("rt-cross-client");
    let script = dir.path().join("client.js");
    std::fs::write(&script, NODE_CLIENT).expect("write script");
    let input = data.clone();
    let port_arg = port.to_string();
    let out = within(
        120,
        "the node client to get its 2 MB back",
        tokio::task::spawn_blocking(move || node.run_file(&script, &[&port_arg], &input)),
    )
    .await
    .expect("node client");
    assert_eq!(out.len(), data.len(), "every byte came back");
    assert!(
        out == data.to_ascii_uppercase(),
        "the bytes came back upper-cased, in order"
    );
    let handler = recv_async(&mut handled, 10, "the server's pipeline result").await;
    assert_eq!(handler, Ok(()), "the server side's pipeline");
    server.close().expect("close");
    within(10, "the server's 'close'", server.closed()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_futures_observe_net_objects() {
    let (server, port, mut handled) = upper_case_server().await;
    // events.once(server, 'connection') as a future, from rt-events, on an rt-net Server.
    let connection = once(&server, &events::CONNECTION);
    let client = within(10, "connect", connect(("127.0.0.1", port)))
        .await
        .expect("connect");
    let accepted = within(10, "once(server, 'connection')", connection)
        .await
        .expect("a connection event");
    assert_eq!(accepted.remote_port(), client.local_port());

    let closed = once(&client, &events::CLOSE);
    let _ = client.end_with("quiet please");
    let mut got = Vec::new();
    while let Some(chunk) = within(10, "the reply or its end", client.recv())
        .await
        .expect("read")
    {
        got.extend_from_slice(&chunk);
    }
    assert_eq!(got, b"QUIET PLEASE");
    let had_error = within(10, "once(client, 'close')", closed)
        .await
        .expect("close event");
    assert!(!had_error, "a clean close reports had_error = false");
    let handler = recv_async(&mut handled, 10, "the server's pipeline result").await;
    assert_eq!(handler, Ok(()), "the server side's pipeline");
    server.close().expect("close");
    within(10, "the server's 'close'", server.closed()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn characters_split_across_tcp_segments_decode_whole() {
    // The server sends a multi-byte text one byte per write; the client's
    // StringDecoder (rt-buffer) rebuilds it without a single U+FFFD. At each
    // cut (all inside a character) the server stops until the client has
    // read everything before it and says so, so a chunk boundary lands inside
    // those characters whatever TCP coalesces; the test checks that it did.
    let text = "Grüße, 世界! 😀 €";
    let cuts: Vec<usize> = ["ü", "世", "😀", "€"]
        .iter()
        .map(|c| text.find(c).expect("in the text") + 1)
        .chain([text.find('😀').expect("in the text") + 3])
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(cuts.iter().all(|&c| !text.is_char_boundary(c)));
    let (tx, mut handled) = unbounded_channel();
    let server_cuts = cuts.clone();
    let server = create_server(move |socket: Socket| {
        let (tx, cuts) = (tx.clone(), server_cuts.clone());
        async move {
            let r = async {
                socket.set_no_delay(true);
                let mut from = 0;
                for &end in cuts.iter().chain([&text.len()]) {
                    for b in &text.as_bytes()[from..end] {
                        socket
                            .write_all(Buffer::from(vec![*b]))
                            .await
                            .map_err(|e| format!("write: {e}"))?;
                        tokio::task::yield_now().await;
                    }
                    from = end;
                    if end < text.len() {
                        // Wait for the client's "got everything up to here".
                        match socket.recv().await.map_err(|e| format!("read: {e}"))? {
                            Some(ack) if &ack[..] == b"k" => {}
                            other => return Err(format!("expected the ack, got {other:?}")),
                        }
                    }
                }
                let _ = socket.end();
                Ok::<(), String>(())
            }
            .await;
            let _ = tx.send(r.clone());
            r
        }
    });
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    let client = within(10, "connect", connect(("127.0.0.1", port)))
        .await
        .expect("connect");
    let mut decoder = StringDecoder::new(Encoding::Utf8);
    let mut out = String::new();
    let mut received = 0;
    let mut boundaries = Vec::new();
    let mut next_cut = cuts.iter().peekable();
    while let Some(chunk) = within(10, "the next byte of the text or its end", client.recv())
        .await
        .expect("read")
    {
        out.push_str(&decoder.write(&chunk));
        received += chunk.len();
        boundaries.push(received);
        if next_cut.peek() == Some(&&received) {
            next_cut.next();
            within(10, "the ack to be written", client.write_all("k"))
                .await
                .expect("ack");
        }
    }
    out.push_str(&decoder.end());
    assert_eq!(out, text);
    let inside: Vec<usize> = boundaries
        .iter()
        .copied()
        .filter(|&b| !text.is_char_boundary(b))
        .collect();
    for cut in &cuts {
        assert!(
            inside.contains(cut),
            "no chunk ended at byte {cut}, inside a character (chunk ends: {boundaries:?})"
        );
    }
    let handler = recv_async(&mut handled, 10, "the server handler's result").await;
    assert_eq!(handler, Ok(()), "the server side");
    server.close().expect("close");
    within(10, "the server's 'close'", server.closed()).await;
}

//! Tests that cross crates: net sockets carrying rt-stream pipelines, rt-events
//! futures on net objects, rt-buffer decoding across TCP segments, and Node on
//! the other end of the wire.

use rt::buffer::{Buffer, Encoding, StringDecoder};
use rt::events::once;
use rt::net::{Socket, connect, create_server, events};
use rt::stream::{DuplexOptions, Pusher, Transform, pipeline};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;

/// An rt server that upper-cases through an rt-stream Transform in a
/// `pipeline!(socket, transform, socket)`.
async fn upper_case_server() -> (rt::net::Server, u16) {
    let server = create_server(|socket: Socket| async move {
        let d = socket.to_duplex();
        let upper = Transform::new(
            DuplexOptions::default(),
            |chunk: Buffer, push: &Pusher<Buffer>| {
                push.push(Buffer::from(chunk.to_ascii_uppercase()));
                Ok(())
            },
        );
        pipeline!(d.clone(), upper, d).await
    });
    let port = server
        .listen(("127.0.0.1", 0))
        .await
        .expect("listen")
        .port()
        .expect("port");
    (server, port)
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
    let (server, port) = upper_case_server().await;
    let mut rng = Rng::new(0x5eed);
    // 2 MB of mixed text: ASCII letters, digits and multi-byte UTF-8 (kept as bytes).
    let mut data = Vec::new();
    let pieces = ["hello ", "wörld ", "前端 ", "😀 ", "abc\n", "xyz\r\n"];
    while data.len() < 2 << 20 {
        data.extend_from_slice(rng.pick(&pieces).as_bytes());
    }
    let script = std::env::temp_dir().join(format!("rt-cross-client-{}.js", std::process::id()));
    std::fs::write(&script, NODE_CLIENT).expect("write script");
    let input = data.clone();
    let port_arg = port.to_string();
    let out = tokio::task::spawn_blocking(move || node.run_file(&script, &[&port_arg], &input))
        .await
        .expect("node client");
    assert_eq!(out.len(), data.len(), "every byte came back");
    assert!(
        out == data.to_ascii_uppercase(),
        "the bytes came back upper-cased, in order"
    );
    server.close().expect("close");
    server.closed().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_futures_observe_net_objects() {
    let (server, port) = upper_case_server().await;
    // events.once(server, 'connection') as a future, from rt-events, on an rt-net Server.
    let connection = once(&server, &events::CONNECTION);
    let client = connect(("127.0.0.1", port)).await.expect("connect");
    let accepted = connection.await.expect("a connection event");
    assert_eq!(accepted.remote_port(), client.local_port());

    let closed = once(&client, &events::CLOSE);
    client.end_with("quiet please");
    let mut got = Vec::new();
    while let Some(chunk) = client.read().await.expect("read") {
        got.extend_from_slice(&chunk);
    }
    assert_eq!(got, b"QUIET PLEASE");
    let had_error = closed.await.expect("close event");
    assert!(!had_error, "a clean close reports had_error = false");
    server.close().expect("close");
    server.closed().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn characters_split_across_tcp_segments_decode_whole() {
    // The server sends a multi-byte text one byte per write; the client's
    // StringDecoder (rt-buffer) rebuilds it without a single U+FFFD.
    let text = "Grüße, 世界! 😀 €";
    let server = create_server(move |socket: Socket| async move {
        socket.set_no_delay(true);
        for b in text.as_bytes() {
            socket.write_all(Buffer::from(vec![*b])).await?;
            tokio::task::yield_now().await;
        }
        socket.end();
        Ok::<(), rt::net::NetError>(())
    });
    let port = server
        .listen(("127.0.0.1", 0))
        .await
        .expect("listen")
        .port()
        .expect("port");
    let client = connect(("127.0.0.1", port)).await.expect("connect");
    let mut decoder = StringDecoder::new(Encoding::Utf8);
    let mut out = String::new();
    while let Some(chunk) = client.read().await.expect("read") {
        out.push_str(&decoder.write(&chunk));
    }
    out.push_str(&decoder.end());
    assert_eq!(out, text);
    server.close().expect("close");
    server.closed().await;
}

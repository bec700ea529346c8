//! Interop: a real Node process sends a listening server over its IPC
//! channel (Node's own framing and SCM_RIGHTS), and rt's transport receives
//! the line and the fd and serves connections on it.

use std::os::fd::OwnedFd;
use std::process::Stdio;

use rt_net::transport::{Io, Transport};
use rt_net::{ListenHandle, Socket, connect, create_server};
use rt_tests::node::node_or_skip;
use rt_tests::wait::within;

/// Kills node if the test fails before it exits on its own.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The next `\n`-terminated JSON line from the channel (bounded).
async fn next_line(t: &mut Transport, what: &str) -> serde_json::Value {
    within(20, what, async {
        loop {
            if let Some(i) = t.data().iter().position(|&b| b == b'\n') {
                let line = t.buffer().split_to(i + 1);
                return serde_json::from_slice(&line[..i]).expect("a JSON line");
            }
            assert!(
                t.read().await.expect("channel read") > 0,
                "channel closed before {what}"
            );
        }
    })
    .await
}

#[tokio::test]
async fn a_server_handle_sent_by_node_is_received_and_served_here() {
    let Some(node) = node_or_skip("a_server_handle_sent_by_node_is_received_and_served_here") else {
        return;
    };
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let script = r#"
const net = require('net');
const s = net.createServer(c => c.end('served by node\n'));
s.listen(0, '127.0.0.1', () => process.send({ port: s.address().port }, s));
process.on('message', m => {
  if (m === 'close yours') s.close(() => process.send('closed'));
  if (m === 'bye') process.disconnect();
});
// If this test fails and drops its end, node leaves instead of serving on.
process.on('disconnect', () => process.exit(0));
"#;
    // The channel on fd 0 (NODE_CHANNEL_FD names it), so no unsafe fd mapping is needed.
    let child = node
        .command()
        .arg("-e")
        .arg(script)
        .env("NODE_CHANNEL_FD", "0")
        .env("NODE_CHANNEL_SERIALIZATION_MODE", "json")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node");
    let mut child = KillOnDrop(Some(child));
    let mut ch = Transport::new(Io::from_fd(ours.into()).unwrap())
        .receive_fds()
        .unwrap();

    let msg = next_line(&mut ch, "node's NODE_HANDLE line").await;
    assert_eq!(msg["cmd"], "NODE_HANDLE", "{msg}");
    assert_eq!(msg["type"], "net.Server", "{msg}");
    let port = msg["msg"]["port"].as_u64().expect("the port in the user message") as u16;
    let fd = ch.take_fd().expect("the fd came with the NODE_HANDLE line");
    assert_eq!(ch.pending_fds(), 0);
    // Node holds later messages until the handle is acknowledged.
    ch.write_all(b"{\"cmd\":\"NODE_HANDLE_ACK\"}\n").await.unwrap();
    ch.write_all(b"\"close yours\"\n").await.unwrap();
    let closed = next_line(&mut ch, "node closing its copy").await;
    assert_eq!(closed, "closed");

    let server = create_server(|s: Socket| async move {
        let _ = s.end_with("served by rt\n");
    });
    let addr = server.listen_handle(ListenHandle::Fd(fd)).await.unwrap();
    assert_eq!(addr.port(), Some(port));
    for i in 0..3 {
        let c = within(5, "connect to the handle", connect(("127.0.0.1", port)))
            .await
            .unwrap();
        let got = within(5, "the answer", c.read_all()).await.unwrap();
        let got: Vec<u8> = got.iter().flat_map(|b| b.to_vec()).collect();
        assert_eq!(got, b"served by rt\n", "connection {i}");
    }
    println!("3 connections served on the server fd node sent");
    server.close().unwrap();

    ch.write_all(b"\"bye\"\n").await.unwrap();
    let status = within(10, "node to exit", async {
        let mut c = child.0.take().unwrap();
        tokio::task::spawn_blocking(move || c.wait()).await.unwrap()
    })
    .await
    .unwrap();
    assert!(status.success(), "node exited with {status}");
}

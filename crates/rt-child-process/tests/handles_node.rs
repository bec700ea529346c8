//! Handle passing with real Node, both ways: a listening server and a
//! connected socket sent by an rt parent to a `node` child (which serves
//! on them), and a server sent by a Node parent to an rt child (this test
//! binary, re-executed), which serves on it.

mod common;

use rt_child_process::ipc::{self, ReceivedHandle, SendHandle};
use rt_child_process::{ForkOptions, fork};
use rt_net::{Server, connect};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use rt_tests::wait::within;
use serde_json::json;

async fn read_all(port: u16) -> String {
    let c = connect(("127.0.0.1", port)).await.expect("connect");
    let got = c.read_all().await.expect("read");
    got.iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect()
}

/// Serves every connection on the handle it gets, replying with the tag;
/// ends a socket it gets with a greeting.
const NODE_CHILD: &str = r#"
process.on('message', (m, handle) => {
  if (m.kind === 'server') {
    handle.on('connection', s => s.end('served by node child ' + m.tag));
    process.send('serving');
  } else if (m.kind === 'socket') {
    handle.end('hello from node child');
    process.send('ended');
  } else if (m === 'bye') process.exit(0);
});
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rt_parent_sends_a_server_and_a_socket_to_a_node_child() {
    let Some(_node) = node_or_skip("rt_parent_sends_a_server_and_a_socket_to_a_node_child") else {
        return;
    };
    let dir = TempDir::new("rt-handles");
    let child_js = common::write(&dir, "child.cjs", NODE_CHILD);
    let child = fork(&child_js, Vec::<String>::new(), ForkOptions::new().silent(true)).unwrap();

    // A listening server: the child serves on it once ours is closed.
    let server = Server::new();
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    child
        .send_handle(
            &json!({"kind": "server", "tag": "a"}),
            SendHandle::Server(server.clone()),
        )
        .unwrap();
    // A plain message after the handle waits for the ACK, then goes.
    child.send(&json!("plain after handle")).unwrap();
    assert_eq!(
        within(20, "'serving'", child.recv()).await,
        Some(json!("serving"))
    );
    server.close().unwrap();
    for i in 0..3 {
        let got = within(20, &format!("connection {i} to the node child"), read_all(port)).await;
        assert_eq!(got, "served by node child a");
    }

    // A connected socket: the child answers on it; ours is destroyed on ACK.
    let front = Server::new();
    let port2 = front.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let client = tokio::spawn(read_all(port2));
    let accepted = within(20, "accept", front.accept()).await.unwrap();
    child
        .send_handle(&json!({"kind": "socket"}), SendHandle::Socket(accepted.clone()))
        .unwrap();
    assert_eq!(within(20, "'ended'", child.recv()).await, Some(json!("ended")));
    let got = within(20, "the client's reply", client).await.unwrap();
    assert_eq!(got, "hello from node child");
    within(
        20,
        "our copy of the socket to be destroyed after the ACK",
        accepted.wait_closed(),
    )
    .await;

    child.send(&json!("bye")).unwrap();
    assert_eq!(within(20, "close", child.closed()).await.unwrap().code, Some(0));
}

/// The rt child of the next test (does nothing unless RT_HANDLE_CHILD=1):
/// serves on the server Node sends.
#[test]
fn rt_handle_child() {
    if std::env::var("RT_HANDLE_CHILD").as_deref() != Ok("1") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let channel = ipc::from_env().expect("a channel").expect("NODE_CHANNEL_FD set");
        let server = Server::new();
        while let Some((m, handle)) = channel.recv_with_handle().await {
            match handle {
                Some(ReceivedHandle::Server(h)) => {
                    server.listen_handle(h).await.expect("listen on the handle");
                    let tag = m["tag"].as_str().unwrap_or("").to_string();
                    let s2 = server.clone();
                    tokio::spawn(async move {
                        while let Ok(sock) = s2.accept().await {
                            let _ = sock.end_with(format!("served by rt child {tag}"));
                        }
                    });
                    channel.send(&json!("serving")).unwrap();
                }
                _ if m == json!("bye") => std::process::exit(0),
                _ => {}
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_parent_sends_a_server_to_an_rt_child() {
    let Some(node) = node_or_skip("node_parent_sends_a_server_to_an_rt_child") else {
        return;
    };
    let dir = TempDir::new("rt-handles");
    let me = std::env::current_exe().unwrap();
    let parent = common::write(
        &dir,
        "parent.cjs",
        r#"
process.env.RT_HANDLE_CHILD = '1';
const net = require('net');
const cp = require('child_process');
const child = cp.fork('rt_handle_child', ['--exact', '--nocapture'], { execPath: process.argv[2], silent: true });
const server = net.createServer().listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  child.send({ tag: 'b' }, server);
  child.on('message', async m => {
    if (m !== 'serving') return;
    server.close();
    const got = [];
    for (let i = 0; i < 3; i++) {
      got.push(await new Promise((res, rej) => {
        let data = '';
        net.connect(port, '127.0.0.1').on('data', d => data += d).on('end', () => res(data)).on('error', rej);
      }));
    }
    child.send('bye');
    child.on('exit', code => console.log(JSON.stringify({ got, code })));
  });
});
"#,
    );
    let out: serde_json::Value =
        serde_json::from_slice(&node.run_file(parent.as_ref(), &[me.to_str().unwrap()], b"")).unwrap();
    assert_eq!(
        out,
        json!({"got": ["served by rt child b", "served by rt child b", "served by rt child b"], "code": 0})
    );
}

//! A handle's `NODE_HANDLE_ACK` and the answer its receiver writes while
//! handling it (cluster's reply to `newconn`) leave in one write: the ACK
//! and the answer are held while the receiver runs, and the peer then reads Node's bytes,
//! ACK then answer, for each handle, in order.

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use rt_child_process::Channel;
use rt_events::EventEmitter;
use rt_tests::wait::{recv_async, within};
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

const ACK: &str = r#"{"cmd":"NODE_HANDLE_ACK"}"#;

/// What the peer can read now, without waiting.
fn read_now(peer: &UnixStream) -> Result<Vec<u8>, String> {
    let mut buf = [0u8; 4096];
    match (&*peer).read(&mut buf) {
        Ok(n) => Ok(buf[..n].to_vec()),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(Vec::new()),
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::test]
async fn a_handles_ack_and_its_answer_leave_in_one_write() {
    let (ours, peer) = UnixStream::pair().expect("socketpair");
    peer.set_nonblocking(true).expect("non-blocking peer");
    let peer = Arc::new(peer);
    let channel = Channel::open(OwnedFd::from(ours), EventEmitter::new()).expect("channel");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (ch, p) = (channel.clone(), peer.clone());
    channel.on_internal(move |m| {
        // Before answering: the ACK must not have gone out on its own.
        let seen = read_now(&p);
        let seq = m.message["seq"].clone();
        let answer = json!({"cmd": "NODE_CLUSTER", "ack": seq, "accepted": true, "seq": 7});
        let sent = ch.send(&answer);
        // Nor the answer: both go once the receiver is done, together.
        let after = read_now(&p);
        let _ = tx.send((seen, after, m.handle.is_some(), sent.is_ok()));
    });
    const HANDLES: u64 = 3;
    let mut got = Vec::new();
    for seq in 0..HANDLES {
        let line = format!(
            "{{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{{\"cmd\":\"NODE_CLUSTER\",\"act\":\"newconn\",\"key\":\"k\",\"seq\":{seq}}}}}\n"
        );
        let (handle, _other) = UnixStream::pair().expect("a socket to send");
        let n = rt_net::transport::send_with_fds(
            peer.as_fd(),
            &[IoSlice::new(line.as_bytes())],
            &[handle.as_fd()],
        )
        .expect("send a handle");
        assert_eq!(n, line.len(), "the handle line went whole");
        let (seen, after, had_fd, sent) = recv_async(&mut rx, 5, "the receiver to be given the handle").await;
        assert_eq!(
            seen,
            Ok(Vec::new()),
            "handle {seq}: the peer read something before the answer"
        );
        assert_eq!(
            after,
            Ok(Vec::new()),
            "handle {seq}: something went out while the receiver ran"
        );
        assert!(had_fd, "handle {seq} came with its fd");
        assert!(sent, "handle {seq}: the answer was taken");
        // Its ACK and answer, before the next handle goes.
        let lines = 2 * (seq as usize + 1);
        within(5, "the ACK and the answer", async {
            while got.iter().filter(|&&b| b == b'\n').count() < lines {
                got.extend(read_now(&peer).expect("peer read"));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
    }
    let got = String::from_utf8(got).expect("text");
    let want: String = (0..HANDLES)
        .map(|seq| {
            let answer = json!({"cmd": "NODE_CLUSTER", "ack": seq, "accepted": true, "seq": 7});
            format!("{ACK}\n{answer}\n")
        })
        .collect();
    assert_eq!(got, want);
    let want_lines = 2 * HANDLES;
    println!("{HANDLES} handles: ACK and answer held together, {want_lines} lines as Node writes them");
}

/// A channel, its peer (non-blocking), and the sending and receiving
/// ends of a queue on which its internal receiver says what it was given
/// (`parsed <message> fd <bool>`).
fn channel_telling_parsed() -> (
    Channel,
    UnixStream,
    UnboundedSender<String>,
    UnboundedReceiver<String>,
) {
    let (ours, peer) = UnixStream::pair().expect("socketpair");
    peer.set_nonblocking(true).expect("non-blocking peer");
    let channel = Channel::open(OwnedFd::from(ours), EventEmitter::new()).expect("channel");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let parsed = tx.clone();
    channel.on_internal(move |m| {
        let _ = parsed.send(format!("parsed {} fd {}", m.message, m.handle.is_some()));
    });
    (channel, peer, tx, rx)
}

/// The raw filter on native handle lines: it gets the `msg` text of each
/// and its handle, whose fd it takes with the ACK; a handle it leaves goes
/// on parsed to the internal receiver, with its fd, acknowledged once.
#[tokio::test]
async fn native_handle_lines_can_be_taken_raw() {
    let (channel, peer, tx, mut rx) = channel_telling_parsed();
    channel.filter_internal(move |msg, handle| {
        let Some(handle) = handle else {
            return false;
        };
        if msg.ends_with(b"\"give back\"}") {
            return false;
        }
        let _ = tx.send(format!("raw {}", String::from_utf8_lossy(msg)));
        handle.take().is_some()
    });
    let msgs = [
        r#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"k","seq":1}"#,
        r#"{"cmd":"NODE_CLUSTER","act":"give back"}"#,
        r#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"k","seq":2}"#,
    ];
    let mut got = Vec::new();
    for msg in msgs {
        let line = format!("{{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{msg}}}\n");
        let (handle, _other) = UnixStream::pair().expect("a socket to send");
        let n = rt_net::transport::send_with_fds(
            peer.as_fd(),
            &[IoSlice::new(line.as_bytes())],
            &[handle.as_fd()],
        )
        .expect("send a handle");
        assert_eq!(n, line.len(), "the handle line went whole");
        got.push(recv_async(&mut rx, 5, "the handle, raw or parsed").await);
    }
    assert_eq!(
        got,
        [
            format!("raw {}", msgs[0]),
            r#"parsed {"act":"give back","cmd":"NODE_CLUSTER"} fd true"#.to_string(),
            format!("raw {}", msgs[2]),
        ]
    );
    // One ACK per handle, nothing else.
    let mut acks = Vec::new();
    within(5, "three ACKs", async {
        while acks.iter().filter(|&&b| b == b'\n').count() < 3 {
            acks.extend(read_now(&peer).expect("peer read"));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    acks.extend(read_now(&peer).expect("peer read"));
    assert_eq!(
        String::from_utf8(acks).expect("text"),
        format!("{ACK}\n").repeat(3)
    );
    println!(
        "{} handles: 2 taken raw, 1 given back and parsed, 3 ACKs",
        msgs.len()
    );
}

/// The same filter gets plain internal lines, with no handle: what it
/// takes goes no further, what it gives back goes on parsed to the
/// internal receiver. A native handle it takes without taking the fd is
/// acknowledged once and its fd closed here.
#[tokio::test]
async fn plain_internal_lines_go_through_the_same_filter() {
    let (channel, peer, tx, mut rx) = channel_telling_parsed();
    channel.filter_internal(move |msg, handle| {
        if msg.ends_with(b"\"give back\"}") {
            return false;
        }
        let _ = tx.send(format!(
            "raw {} handle {}",
            String::from_utf8_lossy(msg),
            handle.is_some()
        ));
        true
    });
    let taken = r#"{"cmd":"NODE_CLUSTER","ack":1,"accepted":true,"seq":0}"#;
    let given_back = r#"{"cmd":"NODE_CLUSTER","act":"give back"}"#;
    (&peer)
        .write_all(format!("{taken}\n{given_back}\n").as_bytes())
        .expect("the peer's lines");
    let first = recv_async(&mut rx, 5, "the line taken raw").await;
    let second = recv_async(&mut rx, 5, "the line given back, parsed").await;
    assert_eq!(
        [first, second],
        [
            format!("raw {taken} handle false"),
            r#"parsed {"act":"give back","cmd":"NODE_CLUSTER"} fd false"#.to_string(),
        ]
    );
    // A handle taken without its fd: ACKed, and the fd closed (the far
    // end of the socket sent reads end of file).
    let msg = r#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"k","seq":9}"#;
    let line = format!("{{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{msg}}}\n");
    let (handle, far) = UnixStream::pair().expect("a socket to send");
    far.set_nonblocking(true).expect("non-blocking far end");
    let n =
        rt_net::transport::send_with_fds(peer.as_fd(), &[IoSlice::new(line.as_bytes())], &[handle.as_fd()])
            .expect("send a handle");
    assert_eq!(n, line.len(), "the handle line went whole");
    drop(handle);
    assert_eq!(
        recv_async(&mut rx, 5, "the handle, raw").await,
        format!("raw {msg} handle true")
    );
    let mut eof = false;
    within(5, "the handle's fd to be closed by the channel", async {
        while !eof {
            let mut buf = [0u8; 16];
            match (&far).read(&mut buf) {
                Ok(0) => eof = true,
                Ok(_) => panic!("nothing was written on the handed socket"),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    tokio::time::sleep(Duration::from_millis(5)).await
                }
                Err(e) => panic!("far end read: {e}"),
            }
        }
    })
    .await;
    let mut acks = Vec::new();
    within(5, "the ACK", async {
        while !acks.ends_with(b"\n") {
            acks.extend(read_now(&peer).expect("peer read"));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    acks.extend(read_now(&peer).expect("peer read"));
    assert_eq!(String::from_utf8(acks).expect("text"), format!("{ACK}\n"));
    println!(
        "2 plain lines: 1 taken raw, 1 given back and parsed; 1 handle taken without its fd: 1 ACK, fd closed"
    );
}

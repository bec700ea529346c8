//! Reading after a handle. The kernel ends a read at the segment that
//! carried fds, so a read that brought a handle may leave bytes queued
//! behind it; the reader asks the kernel again unless nothing can be there
//! (the handle's line came whole and no handle of this side waits for the
//! peer's answer). What a peer following Node's protocol can queue behind
//! its handle is still read: the rest of a handle line cut in two, and the
//! peer's answer to a handle of ours that crossed its own.

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use rt_child_process::Channel;
use rt_child_process::ipc::SendHandle;
use rt_events::EventEmitter;
use rt_tests::wait::{recv_async, within};
use serde_json::json;

const ACK: &str = r#"{"cmd":"NODE_HANDLE_ACK"}"#;

/// What the peer can read now, without waiting.
fn read_now(peer: &UnixStream) -> Vec<u8> {
    let mut buf = [0u8; 4096];
    match (&*peer).read(&mut buf) {
        Ok(n) => buf[..n].to_vec(),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Vec::new(),
        Err(e) => panic!("peer read: {e}"),
    }
}

/// Reads on the peer's side until `want` is in what it read (5 s at most).
async fn peer_reads(peer: &UnixStream, want: &str, what: &str) -> String {
    let mut got = Vec::new();
    within(5, what, async {
        while !String::from_utf8_lossy(&got).contains(want) {
            got.extend(read_now(peer));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    String::from_utf8(got).expect("text")
}

/// A channel over one end of a socketpair, its internal messages (with
/// whether an fd came) sent out; the other end, raw and non-blocking, is
/// the peer.
fn channel_and_peer() -> (
    Channel,
    UnixStream,
    tokio::sync::mpsc::UnboundedReceiver<(serde_json::Value, bool)>,
) {
    let (ours, peer) = UnixStream::pair().expect("socketpair");
    peer.set_nonblocking(true).expect("non-blocking peer");
    let channel = Channel::open(OwnedFd::from(ours), EventEmitter::new()).expect("channel");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    channel.on_internal(move |m| {
        let _ = tx.send((m.message, m.handle.is_some()));
    });
    (channel, peer, rx)
}

/// Our handle waits for its ACK (and a message behind it waits too) when
/// the peer's own handle arrives with the peer's ACK right behind it: both
/// are queued before the channel reads, the read stops after the handle,
/// and the ACK behind it must still be read (the message then goes).
#[tokio::test]
async fn an_ack_queued_behind_the_peers_handle_is_read() {
    let (channel, peer, mut rx) = channel_and_peer();
    let (mine, _mine_far) = UnixStream::pair().expect("a socket to send");
    channel
        .send_json(
            br#"{"cmd":"NODE_CLUSTER","act":"mine"}"#.to_vec(),
            Some(SendHandle::Native(Arc::new(OwnedFd::from(mine)))),
        )
        .expect("send our handle");
    let read = peer_reads(&peer, "\"act\":\"mine\"", "the peer to read our handle").await;
    assert!(
        read.starts_with("{\"cmd\":\"NODE_HANDLE\""),
        "our handle line: {read}"
    );
    channel
        .send(&json!({"after": "the ack"}))
        .expect("queue a message");
    // The peer's handle, then its ACK of ours, with no await between: the
    // channel's reader (same thread) finds both queued.
    let theirs = "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{\"cmd\":\"NODE_CLUSTER\",\"act\":\"theirs\"}}\n";
    let (handle, _far) = UnixStream::pair().expect("a socket to send");
    let n = rt_net::transport::send_with_fds(
        peer.as_fd(),
        &[IoSlice::new(theirs.as_bytes())],
        &[handle.as_fd()],
    )
    .expect("send the peer's handle");
    assert_eq!(n, theirs.len(), "the handle line went whole");
    (&peer)
        .write_all(format!("{ACK}\n").as_bytes())
        .expect("the peer's ACK");
    let (m, had_fd) = recv_async(&mut rx, 5, "the peer's handle").await;
    assert_eq!(m["act"], "theirs");
    assert!(had_fd, "the peer's handle came with its fd");
    let got = peer_reads(
        &peer,
        "\"after\"",
        "the message queued behind our handle (the peer's ACK read)",
    )
    .await;
    assert_eq!(got, format!("{ACK}\n{}\n", json!({"after": "the ack"})));
    println!("crossing handles: the ACK behind the peer's handle read, 2 lines to the peer");
}

/// A handle line cut in two (the fd on the first part, as a sender whose
/// write the kernel took in part sends it): both parts are queued before
/// the channel reads; the read stops after the first, and the rest must
/// still be read.
#[tokio::test]
async fn the_rest_of_a_cut_handle_line_is_read() {
    let (_channel, peer, mut rx) = channel_and_peer();
    let line = "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{\"cmd\":\"NODE_CLUSTER\",\"act\":\"cut\"}}\n";
    let (first, rest) = line.split_at(20);
    let (handle, _far) = UnixStream::pair().expect("a socket to send");
    let n =
        rt_net::transport::send_with_fds(peer.as_fd(), &[IoSlice::new(first.as_bytes())], &[handle.as_fd()])
            .expect("send the first part");
    assert_eq!(n, first.len());
    (&peer).write_all(rest.as_bytes()).expect("send the rest");
    let (m, had_fd) = recv_async(&mut rx, 5, "the handle whose line was cut").await;
    assert_eq!(m["act"], "cut");
    assert!(had_fd, "the handle came with its fd");
    let got = peer_reads(&peer, ACK, "the ACK").await;
    assert_eq!(got, format!("{ACK}\n"));
    println!("a handle line in 2 parts: read whole, 1 ACK");
}

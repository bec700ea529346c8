//! `disconnect()` on this side: `'disconnect'` comes at once (Node emits it
//! on the next tick), not when the peer lets go of its end, and the peer
//! reads end of file.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use rt_child_process::events::DISCONNECT;
use rt_child_process::{Channel, Emitter};
use rt_events::EventEmitter;
use rt_tests::wait::{recv_async, within};

#[tokio::test]
async fn disconnect_here_is_reported_while_the_peer_keeps_its_end() {
    let (ours, mut peer) = UnixStream::pair().expect("socketpair");
    let channel = Channel::open(OwnedFd::from(ours), EventEmitter::new()).expect("channel");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    channel.on(&DISCONNECT, move |_| {
        let _ = tx.send(());
    });
    channel.disconnect().expect("disconnect");
    assert!(!channel.connected());
    // The peer is open (held here until the end): Node's 'disconnect'
    // does not wait for it.
    recv_async(
        &mut rx,
        10,
        "'disconnect' after disconnect() while the peer keeps its end open",
    )
    .await;
    // The peer reads this side's end of file.
    let (read, peer) = within(10, "the peer to read end of file", async move {
        tokio::task::spawn_blocking(move || {
            let mut buf = [0u8; 16];
            let n = peer.read(&mut buf).map_err(|e| e.to_string());
            (n, peer)
        })
        .await
        .expect("reader")
    })
    .await;
    assert_eq!(read, Ok(0), "the peer reads end of file");
    drop(peer);
    within(
        10,
        "the channel to close once the peer let go",
        channel.wait_closed(),
    )
    .await;
}

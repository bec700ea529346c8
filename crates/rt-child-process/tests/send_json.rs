//! `Channel::send_json`: a message given as its JSON text goes as that
//! line; a text with a line break in it is refused (it would cut the line
//! in two) and nothing is sent.

use std::io::{ErrorKind, Read};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use rt_child_process::Channel;
use rt_events::EventEmitter;
use rt_tests::wait::within;

#[tokio::test]
async fn json_text_goes_as_its_line_and_line_breaks_are_refused() {
    let (ours, peer) = UnixStream::pair().expect("socketpair");
    peer.set_nonblocking(true).expect("non-blocking peer");
    let channel = Channel::open(OwnedFd::from(ours), EventEmitter::new()).expect("channel");
    for bad in [&b"{\"a\":\n1}"[..], b"{\"a\":\r1}"] {
        let err = channel
            .send_json(bad.to_vec(), None)
            .expect_err("a line break is refused");
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE");
    }
    let text = br#"{"cmd":"NODE_CLUSTER","ack":7,"accepted":true,"seq":3}"#;
    assert!(channel.send_json(text.to_vec(), None).expect("sent"));
    let mut got = Vec::new();
    within(5, "the line", async {
        while !got.ends_with(b"\n") {
            let mut buf = [0u8; 256];
            match (&peer).read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("peer read: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let mut want = text.to_vec();
    want.push(b'\n');
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want),
        "only the good line went"
    );
    println!("2 texts with a line break refused, 1 line sent as given");
}

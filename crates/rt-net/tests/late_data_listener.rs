//! Data and EOF that arrived before any 'data' listener are delivered when one
//! is added later (Node: a socket without a 'data' listener is paused, not
//! drained; adding the listener resumes it and nothing is lost).

use rt_net::transport::Io;
use rt_net::{Socket, SocketOptions};
use std::sync::{Arc, Mutex};

/// Known bug (found by the child_process work, reproduced here most runs):
/// on a multi-thread runtime the listeners are added from the `block_on`
/// thread, where queued ticks are not held until the caller's synchronous
/// code returns (see rt-stream's tick.rs), so the flow started by the 'data'
/// listener runs on the other worker at once: the socket was found ended and
/// destroyed with nothing delivered (`got []`, 'end' missed). Node (checked
/// with a net.Socket whose listeners are added 100 ms after the peer's
/// `end('hello')`) delivers "hello" and 'end'. Run with `--ignored` to see it.
#[ignore = "known bug: ticks from a block_on thread run before its listeners are added"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_and_end_before_the_listener_are_not_lost() {
    rounds().await;
}

/// The same from a spawned task on a worker (where ticks wait for the
/// task's poll to end, as Node's wait for the synchronous code).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_spawned_task_data_and_end_are_not_lost() {
    rt_tests::wait::within(60, "the 200 rounds in a spawned task", tokio::spawn(rounds()))
        .await
        .expect("the rounds panicked");
}

async fn rounds() {
    for round in 0..200 {
        let (a, b) = Io::pair().expect("socketpair");
        let sock = Socket::from_io(a, SocketOptions::default());
        b.try_write(b"hello").expect("write");
        b.shutdown_write().expect("shutdown");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let got = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let g = got.clone();
        sock.on(&rt_stream::events::DATA, move |c| {
            g.lock().unwrap().extend_from_slice(c)
        });
        sock.once(&rt_stream::events::END, move |_| {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        });
        if tokio::time::timeout(std::time::Duration::from_secs(5), rx)
            .await
            .is_err()
        {
            panic!(
                "round {round}: no 'end' within 5 s; destroyed {} len {} ended {} flowing {:?} got {:?} readable {}",
                sock.destroyed(),
                sock.readable_length(),
                sock.readable_ended(),
                sock.readable_flowing(),
                got.lock().unwrap(),
                sock.is_readable()
            );
        }
        assert_eq!(&got.lock().unwrap()[..], b"hello", "round {round}");
        drop(b);
    }
}

//! Data and EOF that arrived before any 'data' listener are delivered when one
//! is added later (Node: a socket without a 'data' listener is paused, not
//! drained; adding the listener resumes it and nothing is lost).

use rt_net::transport::Io;
use rt_net::{Socket, SocketOptions};
use std::sync::{Arc, Mutex};

/// On a multi-thread runtime the listeners are added from the `block_on`
/// thread. Unmarked, its ticks ran on the other worker at once, so the flow
/// started by the 'data' listener found the socket ended before 'end' was
/// listened to (`got []`, 'end' missed). `rt_stream::runtime::block_on`
/// marks the polls, so the ticks wait for the synchronous code as in Node
/// (checked with a net.Socket whose listeners are added 100 ms after the
/// peer's `end('hello')`: "hello" and 'end' are delivered).
#[test]
fn data_and_end_before_the_listener_are_not_lost() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt_stream::runtime::block_on(&rt, rounds());
}

/// The same on a current-thread runtime, unmarked (its one thread runs ticks
/// only between polls).
#[tokio::test(flavor = "current_thread")]
async fn on_a_current_thread_runtime_data_and_end_are_not_lost() {
    rounds().await;
}

/// Plain `Runtime::block_on` on a multi-thread runtime (unmarked: its ticks
/// run on a worker at once). With 'end' listened to first, nothing depends
/// on the poll's end; the flow the 'data' listener starts must still find
/// the listener in place (it was started from 'newListener', before the
/// add, and could emit the data to nobody).
#[test]
fn from_plain_block_on_a_data_listener_gets_the_data() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(rounds_with(true));
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
    rounds_with(false).await;
}

/// 200 rounds; `end_first`: listen to 'end' before adding the 'data' listener.
async fn rounds_with(end_first: bool) {
    for round in 0..200 {
        let (a, b) = Io::pair().expect("socketpair");
        let sock = Socket::from_io(a, SocketOptions::default());
        b.try_write(b"hello").expect("write");
        b.shutdown_write().expect("shutdown");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let got = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let end = move |_: &()| {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        };
        let add_data = || {
            let g = got.clone();
            sock.on(&rt_stream::events::DATA, move |c| {
                g.lock().unwrap().extend_from_slice(c)
            });
        };
        if end_first {
            sock.once(&rt_stream::events::END, end);
            add_data();
        } else {
            add_data();
            sock.once(&rt_stream::events::END, end);
        }
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
        assert_eq!(
            &got.lock().unwrap()[..],
            b"hello",
            "round {round}: destroyed {} len {} flowing {:?}",
            sock.destroyed(),
            sock.readable_length(),
            sock.readable_flowing()
        );
        drop(b);
    }
}

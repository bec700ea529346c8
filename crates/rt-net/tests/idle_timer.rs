//! A socket's idle timeout is one resettable timer: re-arming it does not
//! add tasks, and 'timeout' fires once, a whole timeout after the last re-arm.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use rt_net::events::TIMEOUT;
use rt_net::transport::IdleTimer;
use rt_net::{Server, Socket, connect};
use rt_tests::wait::within;

/// A connected client socket and the server's end of it (accepted, no handler task).
async fn pair() -> (Server, Socket, Socket) {
    let server = Server::new();
    let port = within(5, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .unwrap()
        .port()
        .unwrap();
    let client = within(5, "connect", connect(("127.0.0.1", port))).await.unwrap();
    let accepted = tokio::time::timeout(Duration::from_secs(5), server.accept())
        .await
        .expect("the server did not accept within 5 s")
        .unwrap();
    (server, client, accepted)
}

/// Alive tasks other than this runtime's parked rt-stream tick drainers (one
/// per worker thread that queued stream work, alive for the runtime's life).
fn alive() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
        .saturating_sub(rt_stream::counters::idle_drainers())
}

/// Counts 'timeout' events and passes each one's time out to the test.
fn watch(s: &Socket) -> (Arc<AtomicUsize>, tokio::sync::mpsc::UnboundedReceiver<Instant>) {
    let count = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let c = count.clone();
    s.on(&TIMEOUT, move |_| {
        c.fetch_add(1, Ordering::SeqCst);
        let _ = tx.send(Instant::now());
    });
    (count, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_re_arms_leave_one_timer_and_fire_once() {
    let (server, client, _accepted) = pair().await;
    let (count, mut rx) = watch(&client);
    let timeout = Duration::from_millis(300);
    let before = alive();
    const RE_ARMS: usize = 1_000_000;
    for _ in 0..RE_ARMS {
        client.set_timeout(timeout);
    }
    let last_arm = Instant::now();
    let after = alive();
    println!("alive tasks: {before} before, {after} after {RE_ARMS} re-arms");
    assert!(
        after <= before + 1,
        "re-arming {RE_ARMS} times left {} extra tasks alive (at most 1 allowed)",
        after - before
    );
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "'timeout' fired while being re-armed"
    );

    let fired = tokio::time::timeout(timeout + Duration::from_secs(5), rx.recv())
        .await
        .expect("'timeout' did not fire within 5 s of its deadline")
        .expect("the listener went away");
    let waited = fired - last_arm;
    println!("'timeout' fired {waited:?} after the last re-arm (timeout {timeout:?})");
    assert!(
        waited >= timeout - Duration::from_millis(2),
        "fired early: after {waited:?}"
    );
    assert!(
        waited < timeout + Duration::from_secs(2),
        "fired late: after {waited:?}"
    );

    // Idle since: it must not fire again.
    let again = tokio::time::timeout(timeout * 3, rx.recv()).await;
    assert!(
        again.is_err(),
        "'timeout' fired a second time without new activity"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // Destroying the socket ends its timer task.
    client.destroy(None);
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive() > before {
        assert!(
            Instant::now() < deadline,
            "the timer task outlived its socket (alive {})",
            alive()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.close().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sockets_each_have_at_most_one_timer() {
    let (server, a, b) = pair().await;
    let before = alive();
    for _ in 0..100_000 {
        a.set_timeout(Duration::from_secs(60));
        b.set_timeout(Duration::from_secs(60));
    }
    let after = alive();
    assert!(
        after <= before + 2,
        "{} extra tasks for 2 sockets",
        after - before
    );
    a.destroy(None);
    b.destroy(None);
    server.close().unwrap();
}

// Virtual time (tokio's paused clock): the timing checks below cannot be
// upset by a loaded machine.
#[tokio::test(start_paused = true)]
async fn shortening_the_timeout_takes_effect_at_once() {
    let (server, client, _accepted) = pair().await;
    let (_count, mut rx) = watch(&client);
    client.set_timeout(Duration::from_secs(3600));
    tokio::task::yield_now().await; // the timer task now sleeps towards the hour
    let armed = Instant::now();
    client.set_timeout(Duration::from_millis(50));
    let fired = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("the shortened timeout did not fire within 5 s")
        .unwrap();
    assert!(
        fired - armed >= Duration::from_millis(48),
        "fired after {:?}",
        fired - armed
    );
    // Turning it off stops it; turning it on again fires again.
    client.set_timeout(Duration::ZERO);
    assert!(
        tokio::time::timeout(Duration::from_millis(150), rx.recv())
            .await
            .is_err(),
        "fired while off"
    );
    client.set_timeout(Duration::from_millis(30));
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("the re-enabled timeout did not fire within 5 s")
        .unwrap();
    client.destroy(None);
    server.close().unwrap();
}

#[tokio::test]
async fn activity_postpones_the_timeout() {
    let (server, client, accepted) = pair().await;
    let (count, mut rx) = watch(&client);
    // Real sockets need the real clock; the margins are wide (a write every
    // 50 ms against a 1 s timeout) so a loaded machine cannot make the
    // socket look idle.
    let timeout = Duration::from_millis(1000);
    client.set_timeout(timeout);
    let start = Instant::now();
    // When the last write was done: the timer counts from it (a loaded
    // machine can stretch the sleep after it well past 50 ms).
    let mut last = start;
    while start.elapsed() < Duration::from_millis(2500) {
        within(5, "a write", client.write_all("x")).await.unwrap();
        last = Instant::now();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "'timeout' fired although the socket was busy"
    );
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("'timeout' did not fire within 5 s after the activity stopped")
        .unwrap();
    assert!(last.elapsed() >= timeout - Duration::from_millis(60));
    drop(accepted);
    client.destroy(None);
    server.close().unwrap();
}

// Virtual time (tokio's paused clock): the timing checks below cannot be
// upset by a loaded machine.
#[tokio::test(start_paused = true)]
async fn the_timer_alone_fires_once_per_idle_period_and_ends_when_closed() {
    let timer = IdleTimer::new();
    timer.set_timeout(Duration::from_millis(20));
    let first = tokio::time::timeout(Duration::from_secs(5), timer.expired()).await;
    assert_eq!(first.ok(), Some(true), "the timer did not fire within 5 s");
    // Same idle period: no second firing.
    assert!(
        tokio::time::timeout(Duration::from_millis(80), timer.expired())
            .await
            .is_err()
    );
    // Activity starts a new period.
    timer.touch();
    let again = tokio::time::timeout(Duration::from_secs(5), timer.expired()).await;
    assert_eq!(again.ok(), Some(true), "no firing after new activity");
    // Closing ends a waiter, also one whose timer is off or never fires.
    timer.set_timeout(Duration::MAX);
    let waiter = tokio::spawn({
        let t = timer.clone();
        async move { t.expired().await }
    });
    tokio::task::yield_now().await;
    timer.close();
    let ended = tokio::time::timeout(Duration::from_secs(5), waiter).await;
    let fired = ended.expect("close did not end the waiter within 5 s").unwrap();
    assert!(!fired, "a closed timer reported a firing");
}

//! What a 64-byte echo round trip costs in deferred work, through an rt
//! client and an rt echo server (`s.pipe(&s)`, as the net bench runs it) on
//! one runtime: tokio tasks spawned by rt (the tick drainer, socket readers
//! and writers) must be 0 per round trip in the steady state, and, with the
//! `counters` feature (`cargo test -p rt-net --features counters --test
//! deferred_work -- --nocapture`), the stream and socket mutex acquisitions
//! per round trip are printed: through the rt client and server, and for
//! the server alone (the same round trips from a bare tokio client: the
//! server's read path, kernel read -> push -> pipe -> write -> kernel),
//! with the writes that went through the write gate (no state lock); on
//! one thread every echo's write must (checked with the feature).

use rt_net::{Socket, connect, create_server};
use rt_stream::counters;
use rt_tests::wait::within;

const TRIPS: u64 = 2_000;

/// The counters are process-wide: one measurement at a time (the test
/// harness runs the tests on parallel threads, each on its own runtime).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn trip(c: &Socket, payload: &[u8]) {
    c.write(payload.to_vec()).expect("the write");
    let mut got = 0;
    while got < payload.len() {
        match c.read().await {
            Some(Ok(chunk)) => got += chunk.len(),
            other => panic!("the echo ended early: {other:?}"),
        }
    }
    assert_eq!(got, payload.len(), "the echo sent more than was written");
}

async fn measure() -> (f64, Option<f64>) {
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = within(10, "the connection", connect(("127.0.0.1", port)))
        .await
        .unwrap();
    let payload = [7u8; 64];
    within(30, "the warm-up round trips", async {
        for _ in 0..200 {
            trip(&c, &payload).await;
        }
    })
    .await;
    let (s0, l0) = (counters::spawns(), counters::locks());
    within(60, "the measured round trips", async {
        for _ in 0..TRIPS {
            trip(&c, &payload).await;
        }
    })
    .await;
    let spawns = (counters::spawns() - s0) as f64 / TRIPS as f64;
    let locks = counters::locks()
        .zip(l0)
        .map(|(l, l0)| (l - l0) as f64 / TRIPS as f64);
    c.destroy(None);
    server.close().unwrap();
    (spawns, locks)
}

/// How the server echoes.
#[derive(Clone, Copy, Debug)]
enum Echo {
    /// `s.pipe(s)`.
    Pipe,
    /// `s.on('data', chunk => s.write(chunk))`.
    DataListener,
}

/// What the server alone does per round trip.
struct ServerCosts {
    spawns: f64,
    /// Stream and socket mutex acquisitions (`counters` feature).
    locks: Option<f64>,
    /// Writes that went through the write gate without the state lock
    /// (`counters` feature).
    fast_writes: Option<f64>,
}

/// The round trips from a bare tokio client: what is counted is the rt
/// server's alone.
async fn measure_server_only(echo: Echo) -> ServerCosts {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = create_server(move |s: Socket| async move {
        match echo {
            Echo::Pipe => {
                s.pipe(&s);
            }
            Echo::DataListener => {
                let w = s.clone();
                s.on(&rt_net::events::DATA, move |chunk| {
                    let _ = w.write(chunk.clone());
                });
            }
        }
        s.wait_end().await
    });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let mut c = within(
        10,
        "the connection",
        tokio::net::TcpStream::connect(("127.0.0.1", port)),
    )
    .await
    .unwrap();
    let payload = [7u8; 64];
    let mut back = [0u8; 64];
    let mut trips = async |n: u64| {
        for _ in 0..n {
            c.write_all(&payload).await.expect("the write");
            c.read_exact(&mut back).await.expect("the echo");
        }
    };
    within(30, "the warm-up round trips", trips(200)).await;
    let (s0, l0, f0) = (counters::spawns(), counters::locks(), counters::fast_writes());
    within(60, "the measured round trips", trips(TRIPS)).await;
    let per_trip =
        |now: Option<u64>, then: Option<u64>| now.zip(then).map(|(n, t)| (n - t) as f64 / TRIPS as f64);
    let costs = ServerCosts {
        spawns: (counters::spawns() - s0) as f64 / TRIPS as f64,
        locks: per_trip(counters::locks(), l0),
        fast_writes: per_trip(counters::fast_writes(), f0),
    };
    server.close().unwrap();
    costs
}

#[tokio::test(flavor = "current_thread")]
async fn echo_round_trips_spawn_no_tasks_current_thread() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (spawns, locks) = measure().await;
    println!(
        "current_thread: {TRIPS} round trips: {spawns:.2} rt task spawns per trip, mutex acquisitions per trip: {locks:?}"
    );
    for echo in [Echo::Pipe, Echo::DataListener] {
        let ServerCosts {
            spawns: server_spawns,
            locks: server_locks,
            fast_writes,
        } = measure_server_only(echo).await;
        println!(
            "current_thread, server alone ({echo:?}): {server_spawns:.2} rt task spawns per trip, mutex acquisitions per trip: {server_locks:?}, writes through the write gate per trip: {fast_writes:?}"
        );
        assert!(
            server_spawns < 0.005,
            "{server_spawns} rt task spawns per round trip ({echo:?} server)"
        );
        // The echo's write comes from the chunk's delivery: the delivery
        // leaves the write gate open (the last echo opened it), so every
        // echo is a write without the state lock.
        match fast_writes {
            Some(f) => assert!(
                f > 0.99,
                "{f} writes per round trip went through the write gate ({echo:?} server): the delivery shut it"
            ),
            // Without the `counters` feature there is nothing to read;
            // `cargo xtask ci` runs this test again with it (its
            // `counters` step), where this arm is never taken.
            None => println!(
                "write gate check: not in this build (needs --features counters; `cargo xtask ci` runs it in its counters step)"
            ),
        }
    }
    // Before the parked tick drainer and push-driven sources: 2.48 per trip.
    // A socket task restarted once in a few thousand trips is allowed.
    assert!(spawns < 0.005, "{spawns} rt task spawns per round trip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_round_trips_spawn_no_tasks_multi_thread() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (spawns, locks) = measure().await;
    println!(
        "multi_thread: {TRIPS} round trips: {spawns:.2} rt task spawns per trip, mutex acquisitions per trip: {locks:?}"
    );
    for echo in [Echo::Pipe, Echo::DataListener] {
        let ServerCosts {
            spawns: server_spawns,
            locks: server_locks,
            fast_writes,
        } = measure_server_only(echo).await;
        println!(
            "multi_thread, server alone ({echo:?}): {server_spawns:.2} rt task spawns per trip, mutex acquisitions per trip: {server_locks:?}, writes through the write gate per trip: {fast_writes:?}"
        );
        assert!(
            server_spawns < 0.05,
            "{server_spawns} rt task spawns per round trip ({echo:?} server)"
        );
    }
    // The drainer of each worker thread's queue is spawned once; the reader
    // may be restarted when a worker steals it mid-read. Far below one per trip.
    assert!(spawns < 0.05, "{spawns} rt task spawns per round trip");
}

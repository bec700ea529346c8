//! `once(emitter, event)` as a future and `on(emitter, event)` as a stream,
//! checked against Node's `events.once` / `events.on` behaviour.

use std::future::poll_fn;
use std::pin::Pin;

use futures_core::Stream;
use rt_events::{Event, EventEmitter, on, once};

static READY: Event<u32> = Event::new("ready");
static DATA: Event<String> = Event::new("data");
static ERROR: Event<String> = Event::new("error");

async fn next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

#[tokio::test]
async fn once_resolves_with_the_next_payload_and_cleans_up() {
    let e = EventEmitter::new();
    let fut = once(&e, &READY).or_error(&ERROR);
    // Node: events.once adds a once listener for the event and one for 'error'.
    assert_eq!(e.listener_count(&READY), 1);
    assert_eq!(e.listener_count(&ERROR), 1);
    assert!(e.raw_listeners(&READY)[0].once);
    assert!(e.emit(&READY, 42));
    assert!(!e.emit(&READY, 43), "resolved: nobody listens any more");
    assert_eq!(e.listener_count(&ERROR), 0);
    assert_eq!(fut.await, Ok(42));
}

#[tokio::test]
async fn once_fails_with_the_error_if_it_comes_first() {
    let e = EventEmitter::new();
    let fut = once(&e, &READY).or_error(&ERROR);
    assert!(
        e.emit_error(&ERROR, "boom".to_string()).is_ok(),
        "the future handles it"
    );
    assert_eq!(e.listener_count(&READY), 0);
    assert_eq!(e.listener_count(&ERROR), 0);
    assert_eq!(fut.await, Err("boom".to_string()));
}

#[tokio::test]
async fn once_of_the_error_event_resolves_with_it() {
    // Node: await events.once(emitter, 'error') resolves with the error.
    let e = EventEmitter::new();
    let fut = once(&e, &ERROR);
    e.emit(&ERROR, "x".into());
    assert_eq!(fut.await, Ok("x".to_string()));
}

#[tokio::test]
async fn dropping_once_removes_its_listeners() {
    let e = EventEmitter::new();
    let fut = once(&e, &READY).or_error(&ERROR);
    drop(fut);
    assert!(e.event_names().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_wakes_a_task_on_another_thread() {
    let e = EventEmitter::new();
    let fut = once(&e, &DATA).or_error(&ERROR);
    let e1 = e.clone();
    let waiter = tokio::spawn(async move {
        let got = fut.await;
        // Ready means both listeners are gone, whatever thread emitted.
        assert_eq!(e1.listener_count(&DATA) + e1.listener_count(&ERROR), 0);
        got
    });
    let e2 = e.clone();
    std::thread::spawn(move || {
        e2.emit(&DATA, "from a thread".to_string());
    })
    .join()
    .unwrap();
    assert_eq!(waiter.await.unwrap(), Ok("from a thread".to_string()));
}

#[tokio::test]
async fn on_streams_payloads_in_order_then_the_error() {
    let e = EventEmitter::new();
    let mut s = on(&e, &READY).or_error(&ERROR);
    assert_eq!(e.listener_count(&READY), 1);
    for i in 0..5 {
        e.emit(&READY, i);
    }
    assert_eq!(next(&mut s).await, Some(Ok(0)));
    assert_eq!(next(&mut s).await, Some(Ok(1)));
    e.emit_error(&ERROR, "bad".to_string()).unwrap();
    // Its listeners are gone at once; what was queued comes first.
    assert_eq!(e.listener_count(&READY), 0);
    assert_eq!(e.listener_count(&ERROR), 0);
    assert!(!e.emit(&READY, 99));
    for i in 2..5 {
        assert_eq!(next(&mut s).await, Some(Ok(i)));
    }
    assert_eq!(next(&mut s).await, Some(Err("bad".to_string())));
    assert_eq!(next(&mut s).await, None);
}

#[tokio::test]
async fn dropping_the_stream_removes_its_listeners() {
    let e = EventEmitter::new();
    let s = on(&e, &READY).or_error(&ERROR);
    assert_eq!(e.event_names(), ["ready", "error"]);
    drop(s);
    assert!(e.event_names().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_receives_everything_a_thread_emits() {
    let e = EventEmitter::new();
    let mut s = on(&e, &READY);
    let e2 = e.clone();
    let producer = std::thread::spawn(move || {
        for i in 0..2000 {
            e2.emit(&READY, i);
        }
    });
    for i in 0..2000 {
        assert_eq!(next(&mut s).await, Some(Ok(i)));
    }
    producer.join().unwrap();
}

#[tokio::test]
async fn once_and_on_work_on_any_emitter_type() {
    struct Server {
        events: EventEmitter,
    }
    impl rt_events::Emitter for Server {
        fn emitter(&self) -> &EventEmitter {
            &self.events
        }
    }
    let server = Server {
        events: EventEmitter::with_type_name("Server"),
    };
    let listening = once(&server, &READY);
    let mut data = on(&server, &DATA);
    server.events.emit(&READY, 8080);
    server.events.emit(&DATA, "hello".into());
    assert_eq!(listening.await, Ok(8080));
    assert_eq!(next(&mut data).await, Some(Ok("hello".to_string())));
}

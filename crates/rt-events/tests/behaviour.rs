//! Behaviour tests: every rule of Node's EventEmitter that rt-events promises.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rt_events::{
    Emitter, Event, EventEmitter, ListenerId, ListenerInfo, MaxListenersExceededWarning, NEW_LISTENER,
    REMOVE_LISTENER,
};

static A: Event<u32> = Event::new("a");
static B: Event<String> = Event::new("b");
static ERROR: Event<String> = Event::new("error");

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push(log: &Log, s: impl Into<String>) {
    log.lock().unwrap().push(s.into());
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

/// The text a panic carried (`panic!("literal")` gives a `&str`, a formatted
/// panic a `String`).
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => match p.downcast::<&'static str>() {
            Ok(s) => s.to_string(),
            Err(_) => "<a panic payload that is not text>".to_string(),
        },
    }
}

/// Joins `t`, waiting at most `secs` seconds for it to finish (a deadlock
/// fails the test saying what did not finish instead of hanging it).
#[track_caller]
fn join_within<T>(t: std::thread::JoinHandle<T>, secs: u64, what: &str) -> T {
    rt_tests::wait::wait_until(secs, what, || t.is_finished());
    t.join().unwrap()
}

#[test]
fn listeners_run_in_registration_order_with_the_payload() {
    let e = EventEmitter::new();
    let l = log();
    for i in 0..3 {
        let l = l.clone();
        e.on(&A, move |v| push(&l, format!("{i}:{v}")));
    }
    let l2 = l.clone();
    e.prepend_listener(&A, move |v| push(&l2, format!("p:{v}")));
    assert!(e.emit(&A, 5));
    assert_eq!(take(&l), ["p:5", "0:5", "1:5", "2:5"]);
    assert!(!e.emit(&Event::<u32>::new("nobody"), 1));
}

#[test]
fn emit_works_on_a_snapshot() {
    let e = EventEmitter::new();
    let l = log();
    let ids: Arc<Mutex<Vec<ListenerId>>> = Arc::default();
    {
        let (e2, l2, ids2) = (e.clone(), l.clone(), ids.clone());
        e.on(&A, move |_| {
            push(&l2, "first");
            // Remove the second and add a third: neither changes this emit.
            let second = ids2.lock().unwrap()[1];
            e2.off(&A, second);
            let l3 = l2.clone();
            e2.on(&A, move |_| push(&l3, "added"));
        });
    }
    let l2 = l.clone();
    let second = e.on(&A, move |_| push(&l2, "second"));
    let first = e.listeners(&A)[0];
    ids.lock().unwrap().extend([first, second]);
    e.emit(&A, 0);
    assert_eq!(take(&l), ["first", "second"]);
    assert_eq!(e.listener_count(&A), 2);
    // The first "added" runs; the one added by this emit waits for the next.
    e.emit(&A, 0);
    assert_eq!(take(&l), ["first", "added"]);
    assert_eq!(e.listener_count(&A), 3);
}

#[test]
fn once_runs_once_even_when_re_entered() {
    let e = EventEmitter::new();
    let count = Arc::new(AtomicUsize::new(0));
    let nested = log();
    let (e2, c2, n2) = (e.clone(), count.clone(), nested.clone());
    e.once(&A, move |v| {
        c2.fetch_add(1, Ordering::SeqCst);
        // Removed before it runs: the nested emit does not call it again
        // (its result is asserted below, outside the listener).
        push(&n2, format!("nested emit -> {}", e2.emit(&A, v + 1)));
    });
    assert_eq!(e.listener_count(&A), 1);
    assert!(e.emit(&A, 1));
    assert_eq!(take(&nested), ["nested emit -> false"]);
    assert!(!e.emit(&A, 2));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn once_inside_once() {
    let e = EventEmitter::new();
    let l = log();
    let (e2, l2) = (e.clone(), l.clone());
    e.once(&A, move |v| {
        push(&l2, format!("outer {v}"));
        let l3 = l2.clone();
        e2.once(&A, move |v| push(&l3, format!("inner {v}")));
        e2.emit(&A, v + 10);
    });
    e.emit(&A, 1);
    e.emit(&A, 2);
    assert_eq!(take(&l), ["outer 1", "inner 11"]);
    assert_eq!(e.listener_count(&A), 0);
}

#[test]
fn once_removed_during_emit_still_runs_from_the_snapshot() {
    // Node: the once wrapper is in the snapshot and not yet fired.
    let e = EventEmitter::new();
    let l = log();
    let target: Arc<Mutex<Option<ListenerId>>> = Arc::default();
    let (e2, t2) = (e.clone(), target.clone());
    e.on(&A, move |_| {
        let id = t2.lock().unwrap().unwrap();
        e2.off(&A, id);
    });
    let l2 = l.clone();
    let id = e.once(&A, move |_| push(&l2, "once"));
    *target.lock().unwrap() = Some(id);
    e.emit(&A, 0);
    assert_eq!(take(&l), ["once"]);
    e.emit(&A, 0);
    assert!(take(&l).is_empty());
}

#[test]
fn new_listener_is_emitted_before_adding() {
    let e = EventEmitter::new();
    let l = log();
    let (e2, l2) = (e.clone(), l.clone());
    let added_inside = Arc::new(AtomicUsize::new(0));
    let ai = added_inside.clone();
    e.on(&NEW_LISTENER, move |info: &ListenerInfo| {
        push(
            &l2,
            format!(
                "new {} once={} count={}",
                info.event,
                info.once,
                e2.listener_count(info.event)
            ),
        );
        if info.event == "a" && ai.fetch_add(1, Ordering::SeqCst) == 0 {
            let l3 = l2.clone();
            e2.on(&A, move |_| push(&l3, "added inside newListener"));
        }
    });
    let l2 = l.clone();
    e.once(&A, move |_| push(&l2, "the one being added"));
    e.emit(&A, 0);
    assert_eq!(
        take(&l),
        [
            "new a once=true count=0",
            "new a once=false count=0",
            "added inside newListener",
            "the one being added",
        ]
    );
}

#[test]
fn remove_listener_is_emitted_after_removal_with_the_once_info() {
    let e = EventEmitter::new();
    let l = log();
    let (e2, l2) = (e.clone(), l.clone());
    e.on(&REMOVE_LISTENER, move |info: &ListenerInfo| {
        push(
            &l2,
            format!(
                "removed {} once={} left={}",
                info.event,
                info.once,
                e2.listener_count(info.event)
            ),
        );
    });
    let l2 = l.clone();
    let once_id = e.once(&A, move |_| push(&l2, "once ran"));
    let on_id = e.on(&A, |_| {});
    e.emit(&A, 0);
    assert!(e.off(&A, on_id));
    assert_eq!(
        take(&l),
        [
            "removed a once=true left=1",
            "once ran",
            "removed a once=false left=0"
        ]
    );
    let _ = once_id;
}

#[test]
fn remove_all_listeners_one_or_all() {
    let e = EventEmitter::new();
    e.on(&A, |_| {});
    e.on(&A, |_| {});
    e.on(&B, |_| {});
    e.remove_all_listeners(Some("a"));
    assert_eq!(e.event_names(), ["b"]);
    e.on(&A, |_| {});
    e.remove_all_listeners(None);
    assert!(e.event_names().is_empty());

    // With a 'removeListener' listener: each removal is reported, LIFO,
    // 'removeListener' itself last.
    let l = log();
    let l2 = l.clone();
    let a1 = e.on(&A, |_| {});
    let a2 = e.once(&A, |_| {});
    e.on(&B, |_| {});
    e.on(&REMOVE_LISTENER, move |info: &ListenerInfo| {
        push(&l2, format!("{}:{}", info.event, info.id == a1 || info.id == a2));
    });
    e.remove_all_listeners(None);
    assert_eq!(take(&l), ["a:true", "a:true", "b:false"]);
    assert!(e.event_names().is_empty());
}

#[test]
fn error_with_and_without_listener() {
    let e = EventEmitter::new();
    let err = e.emit_error(&ERROR, "boom".to_string()).unwrap_err();
    assert_eq!(err.code(), "ERR_UNHANDLED_ERROR");
    assert_eq!(err.event(), "error");
    assert_eq!(err.to_string(), "Unhandled error. (\"boom\")");
    assert_eq!(err.into_inner(), "boom");

    let l = log();
    let l2 = l.clone();
    e.on(&Event::<String>::error_monitor(), move |m| {
        push(&l2, format!("monitor {m}"))
    });
    // The monitor sees the error but does not handle it.
    assert!(e.emit_error(&ERROR, "x".into()).is_err());
    let l2 = l.clone();
    e.on(&ERROR, move |m| push(&l2, format!("handled {m}")));
    assert!(e.emit_error(&ERROR, "y".into()).is_ok());
    assert!(e.emit(&ERROR, "z".into()));
    assert_eq!(
        take(&l),
        ["monitor x", "monitor y", "handled y", "monitor z", "handled z"]
    );
    assert_eq!(e.event_names(), ["error", "Symbol(events.errorMonitor)"]);
}

#[test]
fn emitting_error_without_listener_panics_like_nodes_throw() {
    let e = EventEmitter::new();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        e.emit(&ERROR, "boom".into());
    }));
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(msg.contains("ERR_UNHANDLED_ERROR"), "{msg}");
    // Still usable.
    e.on(&ERROR, |_| {});
    assert!(e.emit(&ERROR, "ok".into()));
}

#[test]
fn warning_once_per_name_with_nodes_text() {
    let e = EventEmitter::new();
    let warnings: Arc<Mutex<Vec<MaxListenersExceededWarning>>> = Arc::default();
    let w2 = warnings.clone();
    e.set_warning_hook(move |w| w2.lock().unwrap().push(w.clone()));
    static WAKE: Event<()> = Event::new("wake");
    for _ in 0..12 {
        e.on(&WAKE, |_| {});
    }
    for _ in 0..11 {
        e.on(&A, |_| {});
    }
    let w = warnings.lock().unwrap().clone();
    assert_eq!(w.len(), 2);
    assert_eq!(
        w[0].to_string(),
        "MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 wake \
         listeners added to [EventEmitter]. MaxListeners is 10. Use emitter.setMaxListeners() \
         to increase limit"
    );
    assert_eq!((w[1].event(), w[1].count()), ("a", 11));

    // 0 = unlimited.
    let e = EventEmitter::with_type_name("Socket");
    let w2 = warnings.clone();
    e.set_warning_hook(move |w| w2.lock().unwrap().push(w.clone()));
    e.set_max_listeners(0);
    for _ in 0..100 {
        e.on(&A, |_| {});
    }
    assert_eq!(warnings.lock().unwrap().len(), 2);
    e.set_max_listeners(1);
    e.on(&B, |_| {});
    e.on(&B, |_| {});
    let w = warnings.lock().unwrap().clone();
    assert_eq!(w.len(), 3);
    assert_eq!(w[2].emitter_type(), "Socket");
    assert!(
        w[2].message()
            .contains("2 b listeners added to [Socket]. MaxListeners is 1.")
    );
}

#[test]
fn max_listeners_limits() {
    let e = EventEmitter::new();
    assert_eq!(e.get_max_listeners(), rt_events::default_max_listeners());
    e.set_max_listeners(3);
    assert_eq!(e.get_max_listeners(), 3);
    let err = e.try_set_max_listeners(-1.0).unwrap_err();
    assert_eq!(err.code(), "ERR_OUT_OF_RANGE");
    assert_eq!(
        err.to_string(),
        "The value of \"setMaxListeners\" is out of range. It must be >= 0. Received -1"
    );
    assert!(e.try_set_max_listeners(f64::NAN).is_err());
    assert_eq!(e.get_max_listeners(), 3);
    e.try_set_max_listeners(f64::INFINITY).unwrap();
    assert_eq!(e.get_max_listeners(), usize::MAX);
    let err = rt_events::try_set_default_max_listeners(f64::NAN).unwrap_err();
    assert!(err.to_string().contains("\"defaultMaxListeners\""));
}

#[test]
fn introspection() {
    let e = EventEmitter::new();
    static N10: Event<()> = Event::new("10");
    static N2: Event<()> = Event::new("2");
    let b = e.on(&B, |_| {});
    let a = e.once(&A, |_| {});
    e.on(&N10, |_| {});
    let a2 = e.prepend_listener(&A, |_| {});
    e.on(&N2, |_| {});
    assert_eq!(e.event_names(), ["2", "10", "b", "a"]);
    assert_eq!(e.listeners(&A), [a2, a]);
    assert_eq!(e.listeners("b"), [b]);
    let raw = e.raw_listeners(&A);
    assert_eq!(raw.iter().map(|r| r.once).collect::<Vec<_>>(), [false, true]);
    assert_eq!(e.listener_count("a"), 2);
    // A name whose list empties and refills moves to the end.
    e.off(&B, b);
    e.on(&B, |_| {});
    assert_eq!(e.event_names(), ["2", "10", "a", "b"]);
    // Ids are per emitter.
    let other = EventEmitter::new();
    assert!(!other.off(&A, a));
}

#[test]
fn a_panicking_listener_does_not_poison_the_emitter() {
    let e = EventEmitter::new();
    let count = Arc::new(AtomicUsize::new(0));
    e.on(&A, |v| {
        if *v == 1 {
            panic!("listener failed");
        }
    });
    let c = count.clone();
    e.on(&A, move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| e.emit(&A, 1)));
    // The listener's own panic comes out of emit, not some other failure.
    assert_eq!(panic_text(r.unwrap_err()), "listener failed");
    // Like a throw in Node: the listeners after the panicking one did not run.
    assert_eq!(count.load(Ordering::SeqCst), 0);
    assert!(e.emit(&A, 2));
    assert_eq!(count.load(Ordering::SeqCst), 1);
    e.on(&A, |_| {});
    assert_eq!(e.listener_count(&A), 3);
}

#[test]
fn re_entrancy_across_threads() {
    let e = EventEmitter::new();
    let total = Arc::new(AtomicUsize::new(0));
    {
        let (e2, t) = (e.clone(), total.clone());
        e.on(&A, move |v| {
            t.fetch_add(1, Ordering::Relaxed);
            if *v > 0 {
                // Re-enter: emit, add and remove on the same emitter.
                e2.emit(&A, v - 1);
                let id = e2.on(&B, |_| {});
                e2.off(&B, id);
            }
        });
    }
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let e = e.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    e.emit(&A, 3);
                    let id = e.once(&A, |_| {});
                    e.off(&A, id);
                }
            })
        })
        .collect();
    for t in threads {
        join_within(t, 30, "an emitting thread to finish");
    }
    // Each top-level emit runs the recursive listener 4 times (3, 2, 1, 0).
    assert_eq!(total.load(Ordering::Relaxed), 4 * 200 * 4);
    assert_eq!(e.listener_count(&A), 1);
    assert_eq!(e.listener_count(&B), 0);
}

#[test]
fn once_listeners_fire_exactly_once_across_threads() {
    let e = EventEmitter::new();
    let count = Arc::new(AtomicUsize::new(0));
    for _ in 0..50 {
        let c = count.clone();
        e.once(&A, move |_| {
            c.fetch_add(1, Ordering::Relaxed);
        });
    }
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let e = e.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    e.emit(&A, 0);
                }
            })
        })
        .collect();
    for t in threads {
        join_within(t, 30, "an emitting thread to finish");
    }
    assert_eq!(count.load(Ordering::Relaxed), 50);
    assert_eq!(e.listener_count(&A), 0);
}

#[test]
fn a_type_is_an_emitter_by_composition() {
    struct Socket {
        events: EventEmitter,
    }
    impl Emitter for Socket {
        fn emitter(&self) -> &EventEmitter {
            &self.events
        }
    }
    static DATA: Event<Vec<u8>> = Event::new("data");
    let s = Arc::new(Socket {
        events: EventEmitter::with_type_name("Socket"),
    });
    let got = Arc::new(AtomicUsize::new(0));
    let g = got.clone();
    s.on(&DATA, move |b| {
        g.fetch_add(b.len(), Ordering::SeqCst);
    });
    assert!(s.emit(&DATA, b"hello".to_vec()));
    assert_eq!(got.load(Ordering::SeqCst), 5);
    assert_eq!(s.listener_count(&DATA), 1);
    assert_eq!(s.event_names(), ["data"]);
}

#[test]
fn same_name_different_types_only_reach_matching_listeners() {
    let e = EventEmitter::new();
    static X_NUM: Event<u32> = Event::new("x");
    static X_STR: Event<String> = Event::new("x");
    let l = log();
    let l2 = l.clone();
    e.on(&X_NUM, move |v| push(&l2, format!("num {v}")));
    let l2 = l.clone();
    e.on(&X_STR, move |v| push(&l2, format!("str {v}")));
    assert_eq!(e.listener_count("x"), 2);
    e.emit(&X_NUM, 1);
    e.emit(&X_STR, "s".into());
    assert_eq!(take(&l), ["num 1", "str s"]);
}

#[test]
fn dropping_the_emitter_drops_listeners() {
    let marker = Arc::new(());
    let e = EventEmitter::new();
    let m = marker.clone();
    e.on(&A, move |_| {
        let _ = &m;
    });
    e.emit(&A, 1);
    drop(e);
    assert_eq!(Arc::strong_count(&marker), 1);
}

#[test]
fn emitters_are_send_sync_clone_default() {
    fn check<T: Send + Sync + Clone + Default + 'static>() {}
    check::<EventEmitter>();
    fn send_sync<T: Send + Sync>() {}
    send_sync::<rt_events::Once<u32, String>>();
    send_sync::<rt_events::On<u32, String>>();
}

#[test]
fn a_removed_listener_is_released_by_other_threads_at_their_next_emit() {
    let e = EventEmitter::new();
    let marker = Arc::new(());
    let m = marker.clone();
    let id = e.on(&A, move |_| {
        let _ = &m;
    });
    let (to_worker, worker_rx) = std::sync::mpsc::channel::<()>();
    let (to_main, main_rx) = std::sync::mpsc::channel::<()>();
    let e2 = e.clone();
    let worker = std::thread::spawn(move || {
        e2.emit(&A, 1); // caches a snapshot holding the listener
        to_main.send(()).unwrap();
        rt_tests::wait::recv_within(&worker_rx, 10, "the main thread's go-ahead");
        // Any emit, on any emitter, sweeps this thread's cache.
        EventEmitter::new().emit(&B, String::new());
        to_main.send(()).unwrap();
        rt_tests::wait::recv_within(&worker_rx, 10, "the main thread's go-ahead");
    });
    rt_tests::wait::recv_within(&main_rx, 10, "the worker's first emit");
    assert!(e.off(&A, id));
    to_worker.send(()).unwrap();
    rt_tests::wait::recv_within(&main_rx, 10, "the worker's sweeping emit");
    assert_eq!(
        Arc::strong_count(&marker),
        1,
        "released by the worker's next emit"
    );
    to_worker.send(()).unwrap();
    join_within(worker, 10, "the worker to finish");
}

#[test]
fn off_releases_the_listener_at_once_on_the_same_thread() {
    let e = EventEmitter::new();
    let marker = Arc::new(());
    let m = marker.clone();
    let id = e.on(&A, move |_| {
        let _ = &m;
    });
    for i in 0..3 {
        e.emit(&A, i);
    }
    e.off(&A, id);
    assert_eq!(Arc::strong_count(&marker), 1);
}

#[test]
fn many_names_come_and_go() {
    let e = EventEmitter::new();
    let names: Vec<&'static str> = (0..40)
        .map(|i| &*Box::leak(format!("ev{i}").into_boxed_str()))
        .collect();
    let events: Vec<&'static Event<u32>> = names
        .iter()
        .map(|n| &*Box::leak(Box::new(Event::new(n))))
        .collect();
    let hits = Arc::new(AtomicUsize::new(0));
    for round in 0..3 {
        let ids: Vec<ListenerId> = events
            .iter()
            .map(|ev| {
                let h = hits.clone();
                e.on(ev, move |v| {
                    h.fetch_add(*v as usize, Ordering::Relaxed);
                })
            })
            .collect();
        assert_eq!(e.event_names(), names, "round {round}");
        for ev in &events {
            assert!(e.emit(ev, 1));
        }
        // Remove every other name, check, then the rest.
        for (i, (ev, id)) in events.iter().zip(&ids).enumerate() {
            if i % 2 == 0 {
                assert!(e.off(*ev, *id));
            }
        }
        for (i, ev) in events.iter().enumerate() {
            assert_eq!(e.emit(ev, 1), i % 2 == 1, "round {round} name {i}");
        }
        for (i, (ev, id)) in events.iter().zip(&ids).enumerate() {
            if i % 2 == 1 {
                assert!(e.off(*ev, *id));
            }
        }
        assert!(e.event_names().is_empty());
        for ev in &events {
            assert!(!e.emit(ev, 1));
        }
    }
    assert_eq!(hits.load(Ordering::Relaxed), 3 * (40 + 20));
}

#[test]
fn a_once_listener_of_another_payload_type_is_not_consumed() {
    let e = EventEmitter::new();
    static X_NUM: Event<u32> = Event::new("x");
    static X_STR: Event<String> = Event::new("x");
    let l = log();
    let l2 = l.clone();
    e.once(&X_STR, move |s| push(&l2, format!("str {s}")));
    let l2 = l.clone();
    e.once(&X_NUM, move |n| push(&l2, format!("num {n}")));
    assert!(e.emit(&X_NUM, 1));
    assert_eq!(e.listener_count("x"), 1);
    assert!(e.emit(&X_STR, "s".into()));
    assert_eq!(take(&l), ["num 1", "str s"]);
    assert_eq!(e.listener_count("x"), 0);
}

#[test]
fn an_error_monitor_that_empties_the_emitter_does_not_lose_the_error() {
    // Node reads its listener table before the monitors run: a monitor that
    // removes everything still sees the 'error' listener called.
    let e = EventEmitter::new();
    let l = log();
    let e2 = e.clone();
    e.once(&Event::<String>::error_monitor(), move |_| {
        e2.remove_all_listeners(None);
    });
    let l2 = l.clone();
    e.on(&ERROR, move |m| push(&l2, format!("handled {m}")));
    assert!(e.emit_error(&ERROR, "boom".into()).is_ok());
    assert_eq!(take(&l), ["handled boom"]);
    assert!(e.event_names().is_empty());
    assert!(e.emit_error(&ERROR, "again".into()).is_err());
}

#[test]
fn panics_in_meta_listeners_leave_the_emitter_working() {
    let e = EventEmitter::new();
    let boom = e.once(&REMOVE_LISTENER, |_: &ListenerInfo| {
        panic!("removeListener listener")
    });
    for _ in 0..3 {
        e.on(&A, |_| {});
    }
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        e.remove_all_listeners(Some("a"));
    }));
    assert_eq!(panic_text(r.unwrap_err()), "removeListener listener");
    assert!(
        !e.off(&REMOVE_LISTENER, boom),
        "the once listener was removed before it ran"
    );
    assert_eq!(e.listener_count(&A), 2);
    e.remove_all_listeners(Some("a"));
    assert_eq!(e.listener_count(&A), 0);

    // A panicking errorMonitor listener: the error is neither handled nor lost.
    let monitor = e.on(&Event::<String>::error_monitor(), |_| panic!("monitor"));
    let l = log();
    let l2 = l.clone();
    e.on(&ERROR, move |m| push(&l2, m.clone()));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = e.emit_error(&ERROR, "x".into());
    }));
    assert_eq!(panic_text(r.unwrap_err()), "monitor");
    assert!(e.off(&Event::<String>::error_monitor(), monitor));
    assert!(e.emit_error(&ERROR, "y".into()).is_ok());
    assert_eq!(take(&l), ["y"]);
}

#[test]
fn an_emit_that_starts_after_on_returns_sees_the_listener() {
    // Threads emit while the listener is replaced again and again and another
    // thread churns other lists (so cached snapshots keep going stale): an
    // emit that starts after a listener's `on` returned must reach it or a
    // later one, never only older ones.
    use std::sync::atomic::{AtomicBool, AtomicU64};
    static PROBE: Event<Arc<AtomicU64>> = Event::new("probe");
    let e = EventEmitter::new();
    // Listener `g` writes g + 1 (at least) into the slot it is given.
    let mut old = e.on(&PROBE, |slot: &Arc<AtomicU64>| {
        slot.fetch_max(1, Ordering::AcqRel);
    });
    let current = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let (e, stop) = (e.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let id = e.on(&B, |_| {});
                e.off(&B, id);
                let id = e.on(&A, |_| {});
                e.off(&A, id);
            }
        })
    };
    let started = Arc::new(AtomicU64::new(0));
    let emitters: Vec<_> = (0..2)
        .map(|_| {
            let (e, current, stop, started) = (e.clone(), current.clone(), stop.clone(), started.clone());
            std::thread::spawn(move || {
                let mut checks = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let generation = current.load(Ordering::Acquire);
                    let seen = Arc::new(AtomicU64::new(0));
                    assert!(e.emit(&PROBE, seen.clone()));
                    let got = seen.load(Ordering::Acquire);
                    assert!(
                        got > generation,
                        "stale snapshot: saw {got}, live was {}",
                        generation + 1
                    );
                    checks += 1;
                    if checks == 1 {
                        started.fetch_add(1, Ordering::AcqRel);
                    }
                }
                checks
            })
        })
        .collect();
    // Both emitting threads are running before the listeners start changing
    // (on a loaded machine they might otherwise not run at all before the
    // loop below ends, and the test would check nothing).
    rt_tests::wait::wait_until(30, "both emitting threads to emit once", || {
        started.load(Ordering::Acquire) == 2
    });
    for generation in 1..1000u64 {
        let new = e.on(&PROBE, move |slot: &Arc<AtomicU64>| {
            slot.fetch_max(generation + 1, Ordering::AcqRel);
        });
        assert!(e.off(&PROBE, old));
        current.store(generation, Ordering::Release);
        old = new;
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    join_within(churn, 30, "the churning thread to stop");
    let total: u64 = emitters
        .into_iter()
        .map(|t| join_within(t, 30, "an emitting thread to stop"))
        .sum();
    assert!(total > 0);
}

//! Process-wide settings (Node's `events.defaultMaxListeners` and the
//! `process.on('warning')` printer), in their own test binary so that
//! changing them cannot disturb other tests.

use std::sync::{Arc, Mutex};

use rt_events::{
    Event, EventEmitter, MaxListenersExceededWarning, default_max_listeners, reset_warning_hook,
    set_default_max_listeners, set_warning_hook, try_set_default_max_listeners,
};

static A: Event<()> = Event::new("a");

#[test]
fn default_max_and_the_global_hook() {
    assert_eq!(default_max_listeners(), 10);
    let seen: Arc<Mutex<Vec<MaxListenersExceededWarning>>> = Arc::default();
    let s = seen.clone();
    set_warning_hook(move |w| s.lock().unwrap().push(w.clone()));

    // Emitters without their own limit follow the default, even if created before.
    let before = EventEmitter::new();
    set_default_max_listeners(2);
    assert_eq!(before.get_max_listeners(), 2);
    let own = EventEmitter::new();
    own.set_max_listeners(5);
    for _ in 0..3 {
        before.on(&A, |_| {});
        own.on(&A, |_| {});
    }
    {
        let w = seen.lock().unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].count(), 3);
        assert_eq!(w[0].max_listeners(), 2.0);
    }

    let err = try_set_default_max_listeners(-1.0).unwrap_err();
    assert_eq!(err.code(), "ERR_OUT_OF_RANGE");
    assert_eq!(
        err.to_string(),
        "The value of \"defaultMaxListeners\" is out of range. It must be >= 0. Received -1"
    );
    assert_eq!(default_max_listeners(), 2);
    try_set_default_max_listeners(f64::INFINITY).unwrap();
    assert_eq!(default_max_listeners(), usize::MAX);

    // An emitter's own hook wins over the global one.
    set_default_max_listeners(1);
    let mine: Arc<Mutex<usize>> = Arc::default();
    let m = mine.clone();
    let e = EventEmitter::new();
    e.set_warning_hook(move |_| *m.lock().unwrap() += 1);
    e.on(&A, |_| {});
    e.on(&A, |_| {});
    assert_eq!(*mine.lock().unwrap(), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);

    // Back to the default printer (stderr) and limit.
    reset_warning_hook();
    set_default_max_listeners(10);
    assert_eq!(default_max_listeners(), 10);
}

//! Streams as rt-events emitters: the `Emitter` face sees the same events,
//! in the same order, as the stream's own listeners, and as Node's.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rt_events::{Emitter, Event};
use rt_stream::events::{
    CLOSE, DATA, DRAIN, END, ERROR, FINISH, PAUSE, PIPE, PREFINISH, READABLE, RESUME, UNPIPE,
};
use rt_stream::{
    Buffer, DuplexOptions, Error, PassThrough, Readable, ReadableOptions, StreamEvent, Writable,
    WritableOptions,
};
use rt_tests::wait::within;

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push(l: &Log, s: impl Into<String>) {
    l.lock().unwrap().push(s.into());
}

fn seen(l: &Log) -> Vec<String> {
    l.lock().unwrap().clone()
}

/// The rt-events key of a stream event ('pipe' / 'unpipe' carry the source).
macro_rules! key {
    (End) => {
        &END
    };
    (Close) => {
        &CLOSE
    };
    (Finish) => {
        &FINISH
    };
    (Prefinish) => {
        &PREFINISH
    };
    (Drain) => {
        &DRAIN
    };
    (Pause) => {
        &PAUSE
    };
    (Resume) => {
        &RESUME
    };
    (Readable) => {
        &READABLE
    };
    (Pipe) => {
        &PIPE
    };
    (Unpipe) => {
        &UNPIPE
    };
}

/// Registers, for each event, a listener on the stream's own face (logging
/// into `$own`) and one on its `Emitter` face (logging into `$em`).
macro_rules! watch {
    ($s:expr, $own:expr, $em:expr, [$($ev:ident),*]) => {{
        $({
            let l = $own.clone();
            $s.on(StreamEvent::$ev, move || push(&l, StreamEvent::$ev.name()));
            let l = $em.clone();
            Emitter::on(&$s, key!($ev), move |_| push(&l, StreamEvent::$ev.name()));
        })*
    }};
}

macro_rules! watch_error {
    ($s:expr, $own:expr, $em:expr) => {{
        let l = $own.clone();
        $s.on_error(move |e| push(&l, format!("error:{}", e.code())));
        let l = $em.clone();
        Emitter::on(&$s, &ERROR, move |e: &Error| {
            push(&l, format!("error:{}", e.code()))
        });
    }};
}

fn text(b: &Buffer) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Each scripted run: the events seen through the stream's own listeners and
/// through rt-events (they must match), by scenario name.
fn scripted_runs() -> Vec<(&'static str, Vec<String>, Vec<String>)> {
    let mut out = Vec::new();

    // write / end / finish / close (with a drain on the way).
    {
        let (own, em) = (log(), log());
        let w = Writable::from_fn(WritableOptions::default().high_water_mark(4), |_| Ok(()));
        watch!(w, own, em, [Drain, Prefinish, Finish, Close]);
        watch_error!(w, own, em);
        w.write("abcdef").unwrap();
        w.write("gh").unwrap();
        w.end().unwrap();
        out.push(("writable", seen(&own), seen(&em)));
    }

    // data / end / close.
    {
        let (own, em) = (log(), log());
        let r = Readable::new(ReadableOptions::default());
        watch!(r, own, em, [End, Close, Pause, Resume]);
        let l = own.clone();
        r.on_data(move |b| push(&l, format!("data:{}", text(b))));
        let l = em.clone();
        Emitter::on(&r, &DATA, move |b| push(&l, format!("data:{}", text(b))));
        r.push("a");
        r.push("b");
        r.push_end();
        out.push(("readable", seen(&own), seen(&em)));
    }

    // pause / resume.
    {
        let (own, em) = (log(), log());
        let r = Readable::new(ReadableOptions::default());
        watch!(r, own, em, [End, Close, Pause, Resume]);
        r.resume();
        r.pause();
        r.push("x");
        r.resume();
        r.pause();
        r.resume();
        r.push_end();
        out.push(("pause-resume", seen(&own), seen(&em)));
    }

    // pipe / unpipe.
    {
        let (own, em) = (log(), log());
        let src = PassThrough::new(DuplexOptions::default());
        let dest = Writable::from_fn(WritableOptions::default(), |_| Ok(()));
        watch!(dest, own, em, [Pipe, Unpipe, Drain, Prefinish, Finish, Close]);
        src.pipe(&dest);
        src.write("hi").unwrap();
        src.unpipe(Some(&dest));
        dest.end().unwrap();
        out.push(("pipe", seen(&own), seen(&em)));
    }

    // error then close.
    {
        let (own, em) = (log(), log());
        let r = Readable::new(ReadableOptions::default());
        watch!(r, own, em, [End, Close]);
        watch_error!(r, own, em);
        r.destroy(Some(Error::new("ERR_X", "boom")));
        out.push(("error", seen(&own), seen(&em)));
    }
    out
}

/// The same runs in Node, one step then `setImmediate` (rt settles each step
/// before the call returns when no runtime is running).
const NODE_RUNS: &str = r#"
const { Readable, Writable, PassThrough } = require('stream');
const step = () => new Promise(r => setImmediate(r));
const watch = (s, log, names) => names.forEach(n => s.on(n, () => log.push(n)));
(async () => {
  const out = {};
  { const log = []; out.writable = log;
    const w = new Writable({ highWaterMark: 4, write(c, e, cb) { cb(); } });
    watch(w, log, ['drain', 'prefinish', 'finish', 'close']);
    w.on('error', e => log.push('error:' + e.code));
    w.write('abcdef'); await step(); w.write('gh'); await step(); w.end(); await step(); }
  { const log = []; out.readable = log;
    const r = new Readable({ read() {} });
    watch(r, log, ['end', 'close', 'pause', 'resume']);
    r.on('data', b => log.push('data:' + b)); await step();
    r.push('a'); await step(); r.push('b'); await step(); r.push(null); await step(); }
  { const log = []; out['pause-resume'] = log;
    const r = new Readable({ read() {} });
    watch(r, log, ['end', 'close', 'pause', 'resume']);
    for (const f of [() => r.resume(), () => r.pause(), () => r.push('x'), () => r.resume(),
                     () => r.pause(), () => r.resume(), () => r.push(null)]) { f(); await step(); } }
  { const log = []; out.pipe = log;
    const src = new PassThrough(); const dest = new Writable({ write(c, e, cb) { cb(); } });
    watch(dest, log, ['pipe', 'unpipe', 'drain', 'prefinish', 'finish', 'close']);
    src.pipe(dest); await step(); src.write('hi'); await step(); src.unpipe(dest); await step();
    dest.end(); await step(); }
  { const log = []; out.error = log;
    const r = new Readable({ read() {} });
    watch(r, log, ['end', 'close']);
    r.on('error', e => log.push('error:' + e.code));
    const e = new Error('boom'); e.code = 'ERR_X'; r.destroy(e); await step(); }
  process.stdout.write(JSON.stringify(out));
})();
"#;

#[test]
fn both_faces_see_the_same_events_in_the_same_order_as_node() {
    let runs = scripted_runs();
    for (name, own, em) in &runs {
        assert!(!own.is_empty(), "{name}: no event seen");
        assert_eq!(
            own, em,
            "{name}: rt-events face differs from the stream's own listeners"
        );
    }
    let Some(node) = rt_tests::node::node_or_skip("events_bridge order vs node") else {
        return;
    };
    let got = node.run_script(NODE_RUNS, b"");
    let want: serde_json::Value = serde_json::from_slice(&got).expect("node printed JSON");
    let node_runs = want.as_object().expect("node printed an object of runs");
    assert_eq!(runs.len(), 5, "run list changed size");
    assert_eq!(
        node_runs.len(),
        runs.len(),
        "node returned {} runs for {}",
        node_runs.len(),
        runs.len()
    );
    for (name, own, _) in &runs {
        let want: Vec<String> = serde_json::from_value(want[*name].clone()).expect("a list of names");
        assert_eq!(own, &want, "{name}: order differs from node");
    }
    println!("compared {} event logs with node", runs.len());
}

#[tokio::test]
async fn once_end_resolves() {
    let r = Readable::from_iter(["a", "b"].map(Buffer::from));
    let ended = rt_events::once(&r, &END);
    // 'close' follows 'end' at once (autoDestroy): listen before awaiting.
    let closed = rt_events::once(&r, &CLOSE);
    let got = Arc::new(AtomicUsize::new(0));
    let g = got.clone();
    Emitter::on(&r, &DATA, move |b: &Buffer| {
        g.fetch_add(b.len(), Ordering::SeqCst);
    });
    within(10, "once('end')", ended).await;
    assert_eq!(got.load(Ordering::SeqCst), 2);
    assert!(r.readable_ended());
    within(10, "once('close')", closed).await;
    assert!(r.closed());
}

#[test]
fn counts_and_names_see_both_faces() {
    let r = Readable::new(ReadableOptions::default());
    assert!(Emitter::event_names(&r).is_empty());
    let a = Emitter::on(&r, &END, |_| {});
    Emitter::once(&r, &CLOSE, |_| {});
    r.on(StreamEvent::End, || {});
    assert_eq!(Emitter::listener_count(&r, &END), 2);
    assert_eq!(Emitter::listener_count(&r, "close"), 1);
    assert_eq!(
        r.listener_count(StreamEvent::End),
        2,
        "the stream's own count sees both faces too"
    );
    assert_eq!(Emitter::event_names(&r), ["end", "close"]);
    assert!(Emitter::off(&r, &END, a));
    assert_eq!(Emitter::listener_count(&r, &END), 1);
    assert!(!Emitter::off(&r, &END, a), "already removed");
    let custom: Event<u8> = Event::new("custom");
    Emitter::on(&r, &custom, |_| {});
    // (Across the two faces, names come in no particular order.)
    let mut names = Emitter::event_names(&r);
    names.sort();
    assert_eq!(names, ["close", "custom", "end"]);
    assert_eq!(Emitter::listener_count(&r, "custom"), 1);

    // a pipe's own listeners show on the destination, as in Node
    // (`dest.listenerCount('close') === 1` after `src.pipe(dest)`).
    let src = PassThrough::new(DuplexOptions::default());
    let dest = Writable::discard();
    src.pipe(&dest);
    assert_eq!(Emitter::listener_count(&dest, &CLOSE), 1);
    assert_eq!(Emitter::listener_count(&dest, &FINISH), 1);
}

#[test]
fn data_and_readable_listeners_switch_modes_as_in_node() {
    // node: r.on('data') -> readableFlowing true; r.once('data') -> true;
    // r.on('readable') -> false. (Node's prependListener('data') does not
    // start the flow; rt's, seen through 'newListener', does.)
    let r = Readable::new(ReadableOptions::default());
    Emitter::on(&r, &DATA, |_| {});
    assert_eq!(r.readable_flowing(), Some(true));
    let r = Readable::new(ReadableOptions::default());
    Emitter::once(&r, &DATA, |_| {});
    assert_eq!(r.readable_flowing(), Some(true));

    let r = Readable::new(ReadableOptions::default());
    let heard = log();
    let h = heard.clone();
    let id = Emitter::on(&r, &READABLE, move |_| push(&h, "readable"));
    assert_eq!(r.readable_flowing(), Some(false));
    r.push("z");
    assert_eq!(seen(&heard), ["readable"]);
    assert_eq!(&r.read_now(None).unwrap()[..], b"z");
    // Removing the last 'readable' listener while a 'data' one is there resumes.
    let l = heard.clone();
    r.on_data(move |b| push(&l, format!("data:{}", text(b))));
    Emitter::off(&r, &READABLE, id);
    r.push("y");
    assert_eq!(r.readable_flowing(), Some(true));
    assert_eq!(seen(&heard), ["readable", "data:y"]);
}

#[test]
fn an_unheard_error_stays_on_the_stream() {
    let r = Readable::new(ReadableOptions::default());
    Emitter::on(&r, &CLOSE, |_| {}); // the emitter exists, nobody hears 'error'
    r.destroy(Some(Error::new("ERR_X", "boom")));
    assert_eq!(
        r.errored().map(|e| e.code().to_string()).as_deref(),
        Some("ERR_X")
    );

    // errorMonitor sees it without handling it.
    let w = Writable::discard();
    let heard = log();
    let h = heard.clone();
    Emitter::on(&w, &Event::<Error>::error_monitor(), move |e| push(&h, e.code()));
    w.destroy(Some(Error::new("ERR_Y", "bang")));
    assert_eq!(seen(&heard), ["ERR_Y"]);
    assert_eq!(
        w.errored().map(|e| e.code().to_string()).as_deref(),
        Some("ERR_Y")
    );
}

#[test]
fn listeners_may_call_back_into_the_stream() {
    // A 'data' listener that pauses, a 'pause' listener that reads the
    // state, a 'drain' listener that writes, an 'end' listener that adds
    // and removes listeners: no deadlock, Node's effects.
    let r = Readable::new(ReadableOptions::default());
    let heard = log();
    let (h, rr) = (heard.clone(), r.clone());
    Emitter::on(&r, &DATA, move |b: &Buffer| {
        push(&h, format!("data:{}", text(b)));
        rr.pause();
    });
    let (h, rr) = (heard.clone(), r.clone());
    Emitter::on(&r, &PAUSE, move |_| push(&h, format!("pause:{}", rr.is_paused())));
    let (h, rr) = (heard.clone(), r.clone());
    Emitter::on(&r, &END, move |_| {
        let h2 = h.clone();
        Emitter::on(&rr, &CLOSE, move |_| push(&h2, "close"));
        push(&h, format!("end:{}", Emitter::listener_count(&rr, &CLOSE)));
    });
    r.push("1");
    assert!(r.is_paused());
    r.push("2");
    r.resume();
    r.push_end();
    // Paused with nothing buffered: 'end' waits for the next resume (as in Node).
    assert_eq!(seen(&heard), ["data:1", "pause:true", "data:2", "pause:true"]);
    r.resume();
    assert_eq!(
        seen(&heard),
        ["data:1", "pause:true", "data:2", "pause:true", "end:1", "close"]
    );

    // node: cork, write('abc') -> false, uncork; 'drain' writes and ends:
    // [ret:false, w:abc, drain, w:more, more:true, finish]
    let out = log();
    let o = out.clone();
    let w = Writable::from_fn(WritableOptions::default().high_water_mark(2), move |b| {
        push(&o, format!("w:{}", text(&b)));
        Ok(())
    });
    let (o, ww) = (out.clone(), w.clone());
    Emitter::on(&w, &DRAIN, move |_| {
        push(&o, "drain");
        // Results go to the log (asserted below), not to a panic in here.
        match ww.write("more") {
            Ok(ok) => push(&o, format!("more:{ok}")),
            Err(e) => push(&o, format!("more failed:{}", e.code())),
        }
        if let Err(e) = ww.end() {
            push(&o, format!("end failed:{}", e.code()));
        }
    });
    let o = out.clone();
    Emitter::on(&w, &FINISH, move |_| push(&o, "finish"));
    w.cork();
    push(&out, format!("ret:{}", w.write("abc").unwrap()));
    w.uncork();
    assert_eq!(
        seen(&out),
        ["ret:false", "w:abc", "drain", "w:more", "more:true", "finish"]
    );
}

#[test]
fn max_listeners_warning_names_the_stream() {
    let r = Readable::new(ReadableOptions::default());
    let warnings = log();
    let w = warnings.clone();
    r.emitter()
        .set_warning_hook(move |warning| push(&w, warning.to_string()));
    for _ in 0..11 {
        Emitter::on(&r, &END, |_| {});
    }
    let got = seen(&warnings);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("11 end listeners added to [Readable]"), "{got:?}");
}

#[test]
fn a_listener_added_after_a_push_gets_the_buffered_chunk() {
    // node: r.push('a'); r.on('data', f) -> f('a') on the next tick.
    // Without a runtime rt runs a stream's ticks before its call returns:
    // they must not run before the listener is registered.
    let r = Readable::new(ReadableOptions::default());
    r.push("a");
    let heard = log();
    let h = heard.clone();
    Emitter::on(&r, &DATA, move |b: &Buffer| push(&h, format!("data:{}", text(b))));
    assert_eq!(seen(&heard), ["data:a"]);

    // Straight on the emitter (no `Emitter` method to settle after the add):
    // the stream's next call runs what is due.
    // node: r.push('b'); r.on('data', f); r.push('c') -> [data:b, data:c]
    let r = Readable::new(ReadableOptions::default());
    r.push("b");
    let h = heard.clone();
    r.emitter()
        .on(&DATA, move |b: &Buffer| push(&h, format!("data:{}", text(b))));
    r.push("c");
    assert_eq!(seen(&heard), ["data:a", "data:b", "data:c"]);
}

#[test]
fn remove_all_listeners_keeps_the_streams_own_machinery() {
    // node: r.removeAllListeners(); r.on('data', f); r.push('a') -> f('a')
    let r = Readable::new(ReadableOptions::default());
    Emitter::on(&r, &END, |_| {});
    Emitter::remove_all_listeners(&r, None);
    assert!(Emitter::event_names(&r).is_empty());
    assert_eq!(Emitter::listener_count(&r, &rt_events::NEW_LISTENER), 0);
    let heard = log();
    let h = heard.clone();
    Emitter::on(&r, &DATA, move |b: &Buffer| push(&h, format!("data:{}", text(b))));
    assert_eq!(r.readable_flowing(), Some(true));
    r.push("a");
    assert_eq!(seen(&heard), ["data:a"]);
}

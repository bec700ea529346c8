//! The `destroy` option (Node's `destroy(err, cb)` / `_destroy`) on
//! Readable, Writable, Duplex and Transform, compared with `node`: a hook
//! that calls its callback at once (with the error, with none, with
//! another) or later (a step of its own), with or without an error given to
//! `destroy`, `destroy` called again while the callback is pending, and a
//! corked write failed by the destruction. Each step logs its events and
//! the stream's `destroyed` / `closed` / `errored` after it has settled
//! (Node: five `setImmediate` turns; rt: no task left to run).
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use rt_stream::*;
use serde_json::{Value, json};
use support::scenario::{Log, S, ev};
use support::{Flavour, node_answers, on_task, runtime};

#[macro_use]
mod support;

const RUNNER: &str = r#"
const { Readable, Writable, Duplex, Transform } = require('stream');
const mk = (m) => { if (!m) return null; const e = new Error(m); e.code = 'ERR_TEST'; return e; };
async function run(c) {
  const out = [];
  let pending = null;
  const ev = (s) => out.push(s);
  const destroy = function (err, cb) {
    ev(`_destroy ${err ? err.message : null}`);
    if (c.hook === 'later') pending = cb;
    else if (c.hook === 'sync_same') cb(err);
    else if (c.hook === 'sync_null') cb(null);
    else cb(mk('other'));
  };
  const write = (ch, e, cb) => { ev(`_write ${ch}`); cb(); };
  let s;
  switch (c.kind) {
    case 'R': s = new Readable({ read() {}, destroy }); break;
    case 'W': s = new Writable({ write, destroy }); break;
    case 'D': s = new Duplex({ read() {}, write, destroy }); break;
    case 'T': s = new Transform({ transform(ch, e, cb) { cb(null, ch); }, destroy }); break;
  }
  for (const e of ['close', 'end', 'finish']) s.on(e, () => ev(e));
  s.on('error', (e) => ev(`error ${e.message}`));
  const state = () => ev(`state destroyed=${s.destroyed} closed=${s.closed} errored=${s.errored ? s.errored.message : null}` +
    (s._writableState ? ` wlen=${s.writableLength}` : ''));
  const settle = async () => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };
  const steps = [];
  if (c.buffered) { s.cork(); ev(`write ${s.write('a', (e) => ev(`cb ${e ? e.code : 'ok'}`))}`); }
  steps.push('destroy');
  if (c.second) steps.push('again');
  if (s._writableState) steps.push('write');
  if (c.hook === 'later') steps.push('complete');
  for (const step of steps) {
    ev(`-- ${step}`);
    switch (step) {
      case 'destroy': s.destroy(mk(c.err)); break;
      case 'again': s.destroy(mk(c.second === 'err' ? 'boom2' : null)); break;
      case 'write': ev(`write ${s.write('z', (e) => ev(`wcb ${e ? e.code : 'ok'}`))}`); break;
      case 'complete': pending(c.done === 'same' ? mk(c.err) : mk(c.done === 'other' ? 'other' : null)); break;
    }
    state();
    await settle();
    state();
  }
  return out;
}
runCases(run);
"#;

fn cases() -> Vec<Value> {
    let mut out = Vec::new();
    for kind in ["R", "W", "D", "T"] {
        let buffered: &[bool] = if kind == "R" { &[false] } else { &[false, true] };
        for &buffered in buffered {
            for err in [None, Some("boom")] {
                for second in [None, Some("plain"), Some("err")] {
                    for hook in ["sync_same", "sync_null", "sync_other"] {
                        out.push(json!({"kind": kind, "buffered": buffered, "err": err, "second": second, "hook": hook}));
                    }
                    for done in ["null", "same", "other"] {
                        out.push(json!({"kind": kind, "buffered": buffered, "err": err, "second": second, "hook": "later", "done": done}));
                    }
                }
            }
        }
    }
    out
}

fn mk(m: Option<&str>) -> Option<Error> {
    m.map(|m| Error::new("ERR_TEST", m))
}

fn msg(e: Option<&Error>) -> String {
    e.map_or_else(|| "null".to_string(), |e| e.message().to_string())
}

/// A sink calling a closure for each chunk.
struct FnSink<F>(F);

impl<F: FnMut(Buffer) -> Result<(), Error> + Send + 'static> Sink<Buffer> for FnSink<F> {
    fn write(&mut self, chunk: Buffer) -> WriteOutcome {
        WriteOutcome::Done((self.0)(chunk))
    }
}

/// Runs until no task but the caller's is alive, several checks in a row
/// (bounded: panics after 10 s).
async fn settle() {
    let handle = tokio::runtime::Handle::current();
    let start = std::time::Instant::now();
    let mut quiet = 0;
    while quiet < 4 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "the step did not settle within 10 s"
        );
        tokio::task::yield_now().await;
        let busy = handle
            .metrics()
            .num_alive_tasks()
            .saturating_sub(rt_stream::counters::idle_drainers());
        if busy > 1 {
            quiet = 0;
            std::thread::yield_now();
        } else {
            quiet += 1;
        }
    }
}

async fn run_rt(c: Value) -> Vec<String> {
    let log: Log = Arc::default();
    let pending: Arc<Mutex<Option<DestroyCallback>>> = Arc::default();
    let (l, p, mode) = (
        log.clone(),
        pending.clone(),
        c["hook"].as_str().unwrap().to_string(),
    );
    let hook = DestroyHook::new(move |err, cb| {
        ev(&l, format!("_destroy {}", msg(err.as_ref())));
        match mode.as_str() {
            "later" => *p.lock().unwrap() = Some(cb),
            "sync_same" => cb.call(err),
            "sync_null" => cb.call(None),
            _ => cb.call(mk(Some("other"))),
        }
    });
    let l = log.clone();
    let sink = move |ch: Buffer| {
        ev(&l, format!("_write {}", String::from_utf8_lossy(&ch)));
        Ok(())
    };
    let dopts = DuplexOptions::default().destroy(hook.clone());
    let s = match c["kind"].as_str().unwrap() {
        "R" => S::R(Readable::new(ReadableOptions::default().destroy(hook))),
        "W" => S::W(Writable::from_fn(WritableOptions::default().destroy(hook), sink)),
        "D" => S::D(Duplex::new(
            dopts,
            Some(|_: usize, _: &Pusher<Buffer>| {}),
            Some(FnSink(sink)),
        )),
        _ => S::D(Transform::new(dopts, |ch, p| {
            p.push(ch);
            Ok(())
        })),
    };
    for e in [StreamEvent::Close, StreamEvent::End, StreamEvent::Finish] {
        let l = log.clone();
        any!(&s, x => { x.on(e, move || ev(&l, e.name().to_string())); });
    }
    let l = log.clone();
    any!(&s, x => { x.on_error(move |e| ev(&l, format!("error {}", e.message()))); });
    let state = |s: &S| {
        let mut line = any!(s, x => format!(
            "state destroyed={} closed={} errored={}",
            x.destroyed(),
            x.closed(),
            msg(x.errored().as_ref())
        ));
        match s {
            S::W(x) => line.push_str(&format!(" wlen={}", x.writable_length())),
            S::D(x) => line.push_str(&format!(" wlen={}", x.writable_length())),
            S::R(_) => {}
        }
        ev(&log, line);
    };
    let write_cb = |s: &S, chunk: &'static str, name: &'static str| {
        let l = log.clone();
        let cb = move |r: Result<(), Error>| {
            ev(
                &l,
                format!(
                    "{name} {}",
                    r.err().map_or("ok".to_string(), |e| e.code().to_string())
                ),
            )
        };
        let r = match s {
            S::W(x) => x.write_cb(chunk, cb),
            S::D(x) => x.write_cb(chunk, cb),
            S::R(_) => unreachable!(),
        };
        ev(&log, format!("write {}", r.unwrap_or(false)));
    };
    let writable = !matches!(s, S::R(_));
    if c["buffered"].as_bool() == Some(true) {
        match &s {
            S::W(x) => x.cork(),
            S::D(x) => x.cork(),
            S::R(_) => unreachable!(),
        }
        write_cb(&s, "a", "cb");
    }
    let mut steps = vec!["destroy"];
    if !c["second"].is_null() {
        steps.push("again");
    }
    if writable {
        steps.push("write");
    }
    if c["hook"] == "later" {
        steps.push("complete");
    }
    for step in steps {
        ev(&log, format!("-- {step}"));
        match step {
            "destroy" => any!(&s, x => x.destroy(mk(c["err"].as_str()))),
            "again" => any!(&s, x => x.destroy(mk((c["second"] == "err").then_some("boom2")))),
            "write" => write_cb(&s, "z", "wcb"),
            _ => {
                let cb = pending
                    .lock()
                    .unwrap()
                    .take()
                    .expect("the hook kept its callback");
                cb.call(match c["done"].as_str().unwrap() {
                    "same" => mk(c["err"].as_str()),
                    "other" => mk(Some("other")),
                    _ => None,
                });
            }
        }
        state(&s);
        settle().await;
        state(&s);
    }
    log.lock().unwrap().clone()
}

fn compare(flavour: Flavour) {
    let flavour_name = flavour.name();
    let cases = cases();
    let Some(expected) =
        node_answers::<Vec<String>>(&format!("destroy_hook ({flavour_name})"), RUNNER, &cases)
    else {
        return;
    };
    assert_eq!(cases.len(), 2 * 3 * 6 * (1 + 2 * 3));
    let rt = runtime(flavour);
    let mut failures = Vec::new();
    for (c, exp) in cases.iter().zip(&expected) {
        let got = on_task(&rt, || format!("case {c}"), run_rt(c.clone()));
        if &got != exp {
            failures.push(format!("{c}\n  node: {exp:?}\n  rt:   {got:?}"));
        }
    }
    // The cases must show what a late callback changes: the stream stays
    // unclosed, then closes with the callback's error.
    let late = expected
        .iter()
        .filter(|e| e.iter().any(|l| l == "-- complete"))
        .count();
    assert_eq!(late, 2 * 3 * 3 * (1 + 2 * 3));
    assert!(
        expected.iter().any(|e| e
            .windows(2)
            .any(|w| w[0] == "-- complete" && w[1] == "state destroyed=true closed=true errored=other")),
        "a late cb(other) closes the stream with 'other'"
    );
    rt_tests::diff::assert_none_differ(&format!("destroy_hook ({flavour_name})"), &failures, cases.len());
}

#[test]
fn destroy_hook_matches_node_current_thread() {
    compare(Flavour::CurrentThread);
}

#[test]
fn destroy_hook_matches_node_multi_thread() {
    compare(Flavour::MultiThread);
}

/// `DestroyHook::from_async`: 'close' comes when the future completes
/// (node: `destroy(err, cb) { setTimeout(() => cb(new Error('late')), 10) }`
/// -> destroyed, not closed; then 'error' late, 'close').
#[tokio::test]
async fn from_async_closes_when_the_future_completes() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let rx = Arc::new(Mutex::new(Some(rx)));
    let w = Writable::from_fn(
        WritableOptions::default().destroy(DestroyHook::from_async(move |_err| {
            let rx = rx.lock().unwrap().take();
            async move {
                if let Some(rx) = rx {
                    let _ = rx.await;
                }
                Some(Error::new("ERR_TEST", "late"))
            }
        })),
        |_| Ok(()),
    );
    let log: Log = Arc::default();
    let (l1, l2) = (log.clone(), log.clone());
    w.on_error(move |e| ev(&l1, format!("error {}", e.message())));
    w.on(StreamEvent::Close, move || ev(&l2, "close".into()));
    w.destroy(None);
    tokio::task::yield_now().await;
    assert!(w.destroyed() && !w.closed());
    assert!(log.lock().unwrap().is_empty());
    tx.send(()).unwrap();
    rt_tests::wait::within(10, "'close' after the async destroy", rt_stream::closed(&w)).await;
    assert_eq!(*log.lock().unwrap(), ["error late", "close"]);
    assert_eq!(
        w.errored().map(|e| e.message().to_string()).as_deref(),
        Some("late")
    );
}

/// A callback dropped uncalled completes as Node's default `_destroy`
/// (`cb(err)`): the given error is emitted, then 'close'.
#[test]
fn a_dropped_callback_completes_with_the_given_error() {
    let r = Readable::new(ReadableOptions::default().destroy(DestroyHook::new(|_err, cb| drop(cb))));
    let log: Log = Arc::default();
    let (l1, l2) = (log.clone(), log.clone());
    r.on_error(move |e| ev(&l1, format!("error {}", e.message())));
    r.on(StreamEvent::Close, move || ev(&l2, "close".into()));
    r.destroy(mk(Some("boom")));
    assert!(r.closed());
    assert_eq!(*log.lock().unwrap(), ["error boom", "close"]);
}

//! Hand-written differential scenarios for what the generated differential
//! suite does not reach: Transform with flush, Duplex allowHalfOpen,
//! `pipeline()`, `finished()` and object-mode Writable. Each scenario runs the
//! same operations here and in node (`node/coverage.js`, same names) and the
//! two event logs must be equal. Between steps rt settles its streams (64
//! scheduler turns) where node takes five `setImmediate` turns.
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use rt_stream::*;
use rt_tests::wait::within;
use support::{Flavour, node_answers, runtime};

mod support;

type Log = Arc<Mutex<Vec<String>>>;

fn push(l: &Log, s: impl Into<String>) {
    l.lock().unwrap().push(s.into());
}

async fn step() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

fn err(code: &str, msg: &str) -> Error {
    Error::new(code, msg)
}

fn res(r: &Result<(), Error>) -> String {
    match r {
        Ok(()) => "ok".to_string(),
        Err(e) => e.code().to_string(),
    }
}

fn text(c: &Buffer) -> String {
    String::from_utf8_lossy(c).into_owned()
}

/// Logs `"{prefix} {event}"` for each event, as node's `watch` does.
macro_rules! watch {
    ($s:expr, $log:expr, $prefix:expr, [$($ev:ident),*]) => {{
        $(
            let l = $log.clone();
            $s.on(StreamEvent::$ev, move || push(&l, format!("{} {}", $prefix, StreamEvent::$ev.name())));
        )*
    }};
}

/// Logs `"{prefix} error {code}"`.
macro_rules! on_error {
    ($s:expr, $log:expr, $prefix:expr) => {{
        let l = $log.clone();
        $s.on_error(move |e| push(&l, format!("{} error {}", $prefix, e.code())));
    }};
}

/// Logs `"data {chunk}"`.
macro_rules! on_data {
    ($s:expr, $log:expr) => {{
        let l = $log.clone();
        $s.on_data(move |c: &Buffer| push(&l, format!("data {}", text(c))));
    }};
}

/// A Transform that logs each chunk and upper-cases it (fails on `fail_on`).
fn upper(log: &Log, fail_on: Option<&'static str>) -> Duplex<Buffer, Buffer> {
    let l = log.clone();
    Transform::new(DuplexOptions::default(), move |c: Buffer, p: &Pusher<Buffer>| {
        push(&l, format!("transform {}", text(&c)));
        if Some(text(&c).as_str()) == fail_on {
            return Err(err("ERR_BAD_CHUNK", "bad chunk"));
        }
        p.push(Buffer::from(text(&c).to_uppercase()));
        Ok(())
    })
}

/// A readable with `chunks` and its end already pushed.
fn source(chunks: &[&str]) -> Readable {
    let r = Readable::new(ReadableOptions::default());
    for c in chunks {
        r.push(*c);
    }
    r.push_end();
    r
}

/// A writable that logs each chunk (fails on `fail_on`).
fn collector(log: &Log, fail_on: Option<&'static str>) -> Writable {
    let l = log.clone();
    Writable::from_fn(WritableOptions::default(), move |c: Buffer| {
        push(&l, format!("sink {}", text(&c)));
        if Some(text(&c).as_str()) == fail_on {
            return Err(err("ERR_SINK", "sink failed"));
        }
        Ok(())
    })
}

/// A byte sink that logs each write.
struct LogSink(Log);

impl Sink<Buffer> for LogSink {
    fn write(&mut self, c: Buffer) -> WriteOutcome {
        push(&self.0, format!("write {}", text(&c)));
        WriteOutcome::ok()
    }
}

/// An object sink that logs each object and holds its completion.
struct Held(Log, Arc<Mutex<Vec<Completion>>>, bool);

impl Sink<u32> for Held {
    fn write(&mut self, n: u32) -> WriteOutcome {
        if self.2 {
            push(&self.0, format!("sink {n}"));
        }
        let (c, o) = WriteOutcome::deferred();
        self.1.lock().unwrap().push(c);
        o
    }
}

/// Runs `fut` in a task and gives a slot with its result ("pending" until then).
fn result_slot(
    fut: impl std::future::Future<Output = Result<(), Error>> + Send + 'static,
) -> Arc<Mutex<String>> {
    let slot = Arc::new(Mutex::new("pending".to_string()));
    let s = slot.clone();
    tokio::spawn(async move {
        let r = fut.await;
        *s.lock().unwrap() = res(&r);
    });
    slot
}

fn slot(s: &Arc<Mutex<String>>) -> String {
    s.lock().unwrap().clone()
}

async fn transform_flush(log: Log) {
    let l = log.clone();
    let t = Transform::with_flush(
        DuplexOptions::default(),
        move |c: Buffer, p: &Pusher<Buffer>| {
            push(&l, format!("transform {}", text(&c)));
            p.push(Buffer::from(text(&c).to_uppercase()));
            Ok(())
        },
        {
            let l = log.clone();
            move |p: &Pusher<Buffer>| {
                push(&l, "flush");
                p.push("TAIL");
                Ok(())
            }
        },
    );
    watch!(t, log, "t", [Prefinish, Finish, End, Close]);
    on_error!(t, log, "t");
    on_data!(t, log);
    t.write("ab").unwrap();
    step().await;
    t.write("cd").unwrap();
    step().await;
    t.end().unwrap();
    step().await;
    push(
        &log,
        format!(
            "state rended={} wfinished={} destroyed={}",
            t.readable_ended(),
            t.writable_finished(),
            t.destroyed()
        ),
    );
}

async fn transform_flush_without_input(log: Log) {
    let l = log.clone();
    let t = Transform::with_flush(
        DuplexOptions::default(),
        |c: Buffer, p: &Pusher<Buffer>| {
            p.push(c);
            Ok(())
        },
        move |p: &Pusher<Buffer>| {
            push(&l, "flush");
            p.push("only");
            p.push("tail");
            Ok(())
        },
    );
    watch!(t, log, "t", [Prefinish, Finish, End, Close]);
    on_data!(t, log);
    t.end().unwrap();
    step().await;
    push(
        &log,
        format!(
            "state rended={} wfinished={}",
            t.readable_ended(),
            t.writable_finished()
        ),
    );
}

async fn transform_flush_error(log: Log) {
    let l = log.clone();
    let t = Transform::with_flush(
        DuplexOptions::default(),
        |c: Buffer, p: &Pusher<Buffer>| {
            p.push(c);
            Ok(())
        },
        move |_p: &Pusher<Buffer>| {
            push(&l, "flush");
            Err(err("ERR_FLUSH", "flush failed"))
        },
    );
    watch!(t, log, "t", [Prefinish, Finish, End, Close]);
    on_error!(t, log, "t");
    on_data!(t, log);
    t.write("x").unwrap();
    step().await;
    let _ = t.end();
    step().await;
    push(
        &log,
        format!(
            "state rended={} wfinished={} destroyed={}",
            t.readable_ended(),
            t.writable_finished(),
            t.destroyed()
        ),
    );
}

async fn transform_flush_waits_for_a_paused_reader(log: Log) {
    let l = log.clone();
    let t = Transform::with_flush(
        DuplexOptions::default().readable_high_water_mark(2),
        |c: Buffer, p: &Pusher<Buffer>| {
            p.push(c);
            Ok(())
        },
        move |p: &Pusher<Buffer>| {
            push(&l, "flush");
            p.push("zz");
            Ok(())
        },
    );
    watch!(t, log, "t", [Prefinish, Finish, End, Close]);
    t.write("ab").unwrap();
    step().await;
    t.end().unwrap();
    step().await;
    push(
        &log,
        format!(
            "state rlen={} wfinished={}",
            t.readable_length(),
            t.writable_finished()
        ),
    );
    on_data!(t, log);
    step().await;
    push(
        &log,
        format!(
            "state rended={} wfinished={}",
            t.readable_ended(),
            t.writable_finished()
        ),
    );
}

fn half_open_duplex(log: &Log, allow_half_open: bool) -> Duplex<Buffer, Buffer> {
    Duplex::new(
        DuplexOptions::default().allow_half_open(allow_half_open),
        None::<fn(usize, &Pusher<Buffer>)>,
        Some(LogSink(log.clone())),
    )
}

async fn duplex_allow_half_open_true(log: Log) {
    let d = half_open_duplex(&log, true);
    watch!(d, log, "d", [Prefinish, Finish, End, Close]);
    on_error!(d, log, "d");
    on_data!(d, log);
    d.push("a");
    d.push_end();
    step().await;
    let state = |d: &Duplex<Buffer, Buffer>| {
        format!(
            "state rended={} wended={} destroyed={}",
            d.readable_ended(),
            d.writable_ended(),
            d.destroyed()
        )
    };
    push(&log, state(&d));
    d.write("x").unwrap();
    step().await;
    d.end().unwrap();
    step().await;
    push(&log, state(&d));
}

async fn duplex_allow_half_open_false(log: Log) {
    let d = half_open_duplex(&log, false);
    watch!(d, log, "d", [Prefinish, Finish, End, Close]);
    on_error!(d, log, "d");
    on_data!(d, log);
    d.write("w").unwrap();
    step().await;
    d.push("a");
    d.push_end();
    step().await;
    push(
        &log,
        format!(
            "state rended={} wended={} wfinished={} destroyed={}",
            d.readable_ended(),
            d.writable_ended(),
            d.writable_finished(),
            d.destroyed()
        ),
    );
    let l = log.clone();
    let _ = d.write_cb("late", move |r| push(&l, format!("write cb {}", res(&r))));
    step().await;
}

async fn duplex_half_open_writable_ends_first(log: Log) {
    let d = half_open_duplex(&log, false);
    watch!(d, log, "d", [Prefinish, Finish, End, Close]);
    on_data!(d, log);
    d.end_with("w").unwrap();
    step().await;
    let state = |d: &Duplex<Buffer, Buffer>| {
        format!(
            "state rended={} wfinished={} destroyed={}",
            d.readable_ended(),
            d.writable_finished(),
            d.destroyed()
        )
    };
    push(&log, state(&d));
    d.push("a");
    d.push_end();
    step().await;
    push(&log, state(&d));
}

async fn three_stage_pipeline(log: Log, t_fail: Option<&'static str>, w_fail: Option<&'static str>) {
    let (r, t, w) = (
        source(&["a", "b", "c"]),
        upper(&log, t_fail),
        collector(&log, w_fail),
    );
    watch!(r, log, "r", [End, Close]);
    watch!(t, log, "t", [Prefinish, Finish, End, Close]);
    watch!(w, log, "w", [Prefinish, Finish, End, Close]);
    let (r2, t2, w2) = (r.clone(), t.clone(), w.clone());
    let result = result_slot(async move { pipeline!(r2, t2, w2).await });
    step().await;
    step().await;
    push(&log, format!("pipeline {}", slot(&result)));
    push(
        &log,
        format!("destroyed {} {} {}", r.destroyed(), t.destroyed(), w.destroyed()),
    );
}

async fn pipeline_source_destroyed(log: Log) {
    let r = Readable::new(ReadableOptions::default());
    let w = collector(&log, None);
    watch!(r, log, "r", [End, Close]);
    watch!(w, log, "w", [Prefinish, Finish, End, Close]);
    let (r2, w2) = (r.clone(), w.clone());
    let result = result_slot(async move { pipeline(&r2, &w2).await });
    step().await;
    r.push("a");
    step().await;
    r.destroy(None);
    step().await;
    push(&log, format!("pipeline {}", slot(&result)));
    push(&log, format!("destroyed {} {}", r.destroyed(), w.destroyed()));
}

async fn finished_writable(log: Log) {
    let w = collector(&log, None);
    watch!(w, log, "w", [Prefinish, Finish, End, Close]);
    let w2 = w.clone();
    let result = result_slot(async move { finished(&w2).await });
    w.write("a").unwrap();
    step().await;
    push(&log, format!("finished {}", slot(&result)));
    w.end().unwrap();
    step().await;
    push(&log, format!("finished {}", slot(&result)));
}

async fn finished_readable(log: Log) {
    let r = source(&["a"]);
    watch!(r, log, "r", [End, Close]);
    let r2 = r.clone();
    let result = result_slot(async move { finished(&r2).await });
    step().await;
    push(&log, format!("finished {}", slot(&result)));
    on_data!(r, log);
    step().await;
    push(&log, format!("finished {}", slot(&result)));
}

async fn finished_premature_close(log: Log) {
    let r = Readable::new(ReadableOptions::default());
    watch!(r, log, "r", [End, Close]);
    let r2 = r.clone();
    let result = result_slot(async move { finished(&r2).await });
    r.push("a");
    step().await;
    r.destroy(None);
    step().await;
    push(&log, format!("finished {}", slot(&result)));
}

async fn finished_error(log: Log) {
    let w = collector(&log, None);
    watch!(w, log, "w", [Prefinish, Finish, End, Close]);
    on_error!(w, log, "w");
    let w2 = w.clone();
    let result = result_slot(async move { finished(&w2).await });
    step().await;
    w.destroy(Some(err("ERR_X", "boom")));
    step().await;
    push(&log, format!("finished {}", slot(&result)));
}

async fn object_writable_backpressure(log: Log) {
    let pending = Arc::new(Mutex::new(Vec::new()));
    let w = Writable::objects(
        Held(log.clone(), pending.clone(), true),
        WritableOptions::default().high_water_mark(2).object_mode(true),
    );
    watch!(w, log, "w", [Prefinish, Finish, End, Close, Drain]);
    for n in [1u32, 2, 3] {
        let ok = w.write(n).unwrap();
        push(&log, format!("write {n} -> {ok}"));
    }
    push(
        &log,
        format!(
            "len {} need_drain {}",
            w.writable_length(),
            w.writable_need_drain()
        ),
    );
    step().await;
    loop {
        let next = {
            let mut p = pending.lock().unwrap();
            if p.is_empty() { None } else { Some(p.remove(0)) }
        };
        let Some(c) = next else { break };
        c.complete(Ok(()));
        step().await;
        push(&log, format!("len {}", w.writable_length()));
    }
    w.end().unwrap();
    step().await;
    push(
        &log,
        format!("len {} finished {}", w.writable_length(), w.writable_finished()),
    );
}

async fn object_writable_default_mark(log: Log) {
    let pending = Arc::new(Mutex::new(Vec::new()));
    let w = Writable::objects(
        Held(log.clone(), pending.clone(), false),
        WritableOptions::default().object_mode(true),
    );
    watch!(w, log, "w", [Drain, Finish]);
    let mut first_false = "none".to_string();
    for n in 1..=20u32 {
        if !w.write(n).unwrap() && first_false == "none" {
            first_false = n.to_string();
        }
    }
    push(
        &log,
        format!(
            "first false at {first_false} len {} hwm {}",
            w.writable_length(),
            w.writable_high_water_mark()
        ),
    );
    loop {
        let next = {
            let mut p = pending.lock().unwrap();
            if p.is_empty() { None } else { Some(p.remove(0)) }
        };
        let Some(c) = next else { break };
        c.complete(Ok(()));
        step().await;
    }
    w.end().unwrap();
    step().await;
    push(
        &log,
        format!("len {} finished {}", w.writable_length(), w.writable_finished()),
    );
}

async fn object_writable_errors(log: Log) {
    let l = log.clone();
    let w = Writable::objects_from_fn(WritableOptions::default().object_mode(true), move |n: u32| {
        push(&l, format!("sink {n}"));
        if n == 2 {
            Err(err("ERR_OBJ", "bad object"))
        } else {
            Ok(())
        }
    });
    watch!(w, log, "w", [Prefinish, Finish, End, Close]);
    on_error!(w, log, "w");
    for n in [1u32, 2, 3] {
        let l = log.clone();
        let _ = w.write_cb(n, move |r| push(&l, format!("cb {n} {}", res(&r))));
        step().await;
    }
    push(
        &log,
        format!("destroyed {} len {}", w.destroyed(), w.writable_length()),
    );
}

/// Every scenario, by the name node's script knows it by.
const SCENARIOS: [&str; 18] = [
    "transform_flush",
    "transform_flush_without_input",
    "transform_flush_error",
    "transform_flush_waits_for_a_paused_reader",
    "duplex_allow_half_open_true",
    "duplex_allow_half_open_false",
    "duplex_half_open_writable_ends_first",
    "pipeline_ok",
    "pipeline_error_in_the_middle",
    "pipeline_error_at_the_destination",
    "pipeline_source_destroyed",
    "finished_writable",
    "finished_readable",
    "finished_premature_close",
    "finished_error",
    "object_writable_backpressure",
    "object_writable_default_mark",
    "object_writable_errors",
];

async fn run(name: &str, log: Log) {
    match name {
        "transform_flush" => transform_flush(log).await,
        "transform_flush_without_input" => transform_flush_without_input(log).await,
        "transform_flush_error" => transform_flush_error(log).await,
        "transform_flush_waits_for_a_paused_reader" => transform_flush_waits_for_a_paused_reader(log).await,
        "duplex_allow_half_open_true" => duplex_allow_half_open_true(log).await,
        "duplex_allow_half_open_false" => duplex_allow_half_open_false(log).await,
        "duplex_half_open_writable_ends_first" => duplex_half_open_writable_ends_first(log).await,
        "pipeline_ok" => three_stage_pipeline(log, None, None).await,
        "pipeline_error_in_the_middle" => three_stage_pipeline(log, Some("b"), None).await,
        "pipeline_error_at_the_destination" => three_stage_pipeline(log, None, Some("B")).await,
        "pipeline_source_destroyed" => pipeline_source_destroyed(log).await,
        "finished_writable" => finished_writable(log).await,
        "finished_readable" => finished_readable(log).await,
        "finished_premature_close" => finished_premature_close(log).await,
        "finished_error" => finished_error(log).await,
        "object_writable_backpressure" => object_writable_backpressure(log).await,
        "object_writable_default_mark" => object_writable_default_mark(log).await,
        "object_writable_errors" => object_writable_errors(log).await,
        other => panic!("no rt scenario named {other}"),
    }
}

#[test]
fn coverage_scenarios_match_node() {
    let names: Vec<serde_json::Value> = SCENARIOS.iter().map(|&n| n.into()).collect();
    // One log per scenario, in SCENARIOS' order (node_answers asserts the count).
    let Some(node_logs) = node_answers::<Vec<String>>(
        "rt-stream coverage scenarios",
        include_str!("node/coverage.js"),
        &names,
    ) else {
        return;
    };
    let mut failures = Vec::new();
    for (&name, want) in SCENARIOS.iter().zip(node_logs) {
        assert!(!want.is_empty(), "{name}: node logged nothing");
        let rt = runtime(Flavour::CurrentThread);
        let log: Log = Arc::default();
        rt.block_on(within(10, &format!("scenario {name}"), run(name, log.clone())));
        let got = log.lock().unwrap().clone();
        if got != want {
            failures.push(format!("{name}:\n  node: {want:?}\n  rt:   {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ from node:\n{}",
        failures.len(),
        SCENARIOS.len(),
        failures.join("\n")
    );
    println!("compared {} scenarios with node", SCENARIOS.len());
}

//! Differential test: the same scripted scenarios run through Node's
//! `events` (tests/diff/runner.js) and through rt-events; the call logs
//! (listener calls, emit results, newListener/removeListener payloads,
//! max-listener warnings, error outcomes, introspection) must be identical.
//!
//! A scenario is a list of operations on one emitter. Registration ops give
//! the new listener the next label (L0, L1, ...); a listener logs each call,
//! then runs its own operations (which may emit, add and remove). Listeners
//! nested deeper than three listener frames only log, on both sides.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rt_events::{Event, EventEmitter, ListenerId, ListenerInfo, NEW_LISTENER, REMOVE_LISTENER};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::{Value, json};

const RUNNER: &str = include_str!("diff/runner.js");
const MAX_DEPTH: usize = 3;
/// Bounds on a scenario's growth (listeners that add listeners that emit...).
const MAX_LISTENERS: usize = 64;
const MAX_LOG: usize = 2000;

static A: Event<u32> = Event::new("a");
static B: Event<u32> = Event::new("b");
static C: Event<u32> = Event::new("c");
static ERROR: Event<u32> = Event::new("error");
static MONITOR: Event<u32> = Event::error_monitor();

const EVENTS: [&str; 7] = [
    "a",
    "b",
    "c",
    "newListener",
    "removeListener",
    "error",
    "errorMonitor",
];

fn payload_event(name: &str) -> &'static Event<u32> {
    match name {
        "a" => &A,
        "b" => &B,
        "c" => &C,
        "error" => &ERROR,
        "errorMonitor" => &MONITOR,
        other => panic!("not a payload event: {other}"),
    }
}

/// The name rt-events (and Node's `String(key)`) uses for a scenario event.
fn rt_name(event: &str) -> &'static str {
    match event {
        "newListener" => NEW_LISTENER.name(),
        "removeListener" => REMOVE_LISTENER.name(),
        other => payload_event(other).name(),
    }
}

// ----- the Rust runner ------------------------------------------------------

#[derive(Default)]
struct State {
    log: Vec<String>,
    labels: HashMap<ListenerId, String>,
    by_label: HashMap<String, ListenerId>,
    /// Labels of registrations in progress (their ids are not known until
    /// `on` returns, but 'newListener' reports them before).
    pending: Vec<String>,
    next_label: usize,
    depth: usize,
    /// Set while the runner tears the scenario down: listeners do nothing.
    closing: bool,
}

#[derive(Clone)]
struct Ctx {
    e: EventEmitter,
    st: Arc<Mutex<State>>,
}

impl Ctx {
    fn log(&self, line: String) {
        let mut st = self.st.lock().unwrap();
        if !st.closing {
            st.log.push(line);
        }
    }

    fn label(&self, id: ListenerId) -> String {
        let mut st = self.st.lock().unwrap();
        if let Some(l) = st.labels.get(&id) {
            return l.clone();
        }
        match st.pending.last().cloned() {
            Some(l) => {
                st.labels.insert(id, l.clone());
                l
            }
            None => "?".into(),
        }
    }

    /// Whether an emit op runs here (same bounds as the Node runner).
    fn may_emit(&self) -> bool {
        let st = self.st.lock().unwrap();
        st.depth < MAX_DEPTH && st.log.len() < MAX_LOG
    }

    fn run_actions(&self, actions: &[Value], payload: u32) {
        // Listeners nested too deep only log (bounds recursion through emits
        // and through 'newListener' listeners that add listeners).
        {
            let st = self.st.lock().unwrap();
            if st.depth >= MAX_DEPTH || st.closing {
                return;
            }
        }
        self.st.lock().unwrap().depth += 1;
        for a in actions {
            self.exec(a, payload);
        }
        self.st.lock().unwrap().depth -= 1;
    }

    fn register(&self, op: &str, event: &str, actions: Vec<Value>) {
        let label = {
            let mut st = self.st.lock().unwrap();
            if st.next_label >= MAX_LISTENERS {
                return;
            }
            let l = format!("L{}", st.next_label);
            st.next_label += 1;
            st.pending.push(l.clone());
            l
        };
        let id = match event {
            "newListener" | "removeListener" => {
                let ctx = self.clone();
                let (lbl, ev) = (label.clone(), event.to_string());
                let f = move |info: &ListenerInfo| {
                    let other = ctx.label(info.id);
                    let wrapper = if info.as_wrapper { "*" } else { "" };
                    ctx.log(format!("call {lbl} {ev} {} {other}{wrapper}", info.event));
                    ctx.run_actions(&actions, 0);
                };
                let key = if event == "newListener" {
                    &NEW_LISTENER
                } else {
                    &REMOVE_LISTENER
                };
                match op {
                    "on" => self.e.on(key, f),
                    "once" => self.e.once(key, f),
                    "prepend" => self.e.prepend_listener(key, f),
                    _ => self.e.prepend_once_listener(key, f),
                }
            }
            _ => {
                let ctx = self.clone();
                let (lbl, ev) = (label.clone(), event.to_string());
                let f = move |v: &u32| {
                    ctx.log(format!("call {lbl} {ev} {v}"));
                    ctx.run_actions(&actions, *v);
                };
                let key = payload_event(event);
                match op {
                    "on" => self.e.on(key, f),
                    "once" => self.e.once(key, f),
                    "prepend" => self.e.prepend_listener(key, f),
                    _ => self.e.prepend_once_listener(key, f),
                }
            }
        };
        let mut st = self.st.lock().unwrap();
        st.pending.pop();
        st.labels.insert(id, label.clone());
        st.by_label.insert(label, id);
    }

    fn exec(&self, op: &Value, payload: u32) {
        let event = op["event"].as_str().unwrap_or("");
        match op["op"].as_str().unwrap() {
            kind @ ("on" | "once" | "prepend" | "prependOnce") => {
                let actions = op["actions"].as_array().cloned().unwrap_or_default();
                self.register(kind, event, actions);
            }
            "off" => {
                let id = self
                    .st
                    .lock()
                    .unwrap()
                    .by_label
                    .get(op["label"].as_str().unwrap())
                    .copied();
                if let Some(id) = id {
                    self.e.off(rt_name(event), id);
                }
            }
            "emit" => {
                if !self.may_emit() {
                    return;
                }
                let p = op["payload"].as_u64().map_or(payload + 1, |p| p as u32);
                let r = match event {
                    "newListener" | "removeListener" => {
                        // Scenarios emit the meta events only with a payload of ours.
                        panic!("scenarios do not emit {event} directly")
                    }
                    _ => self.e.emit(payload_event(event), p),
                };
                self.log(format!("emit {event} {p} -> {r}"));
            }
            "emitError" => {
                if !self.may_emit() {
                    return;
                }
                let p = op["payload"].as_u64().map_or(payload + 1, |p| p as u32);
                match self.e.emit_error(&ERROR, p) {
                    Ok(()) => self.log(format!("emitError {p} -> handled")),
                    Err(err) => {
                        assert_eq!(err.into_inner(), p);
                        self.log(format!("emitError {p} -> ERR_UNHANDLED_ERROR"));
                    }
                }
            }
            "removeAll" => match op["event"].as_str() {
                None => self.e.remove_all_listeners(None),
                Some(ev) => self.e.remove_all_listeners(Some(rt_name(ev))),
            },
            "setMax" => {
                let (text, n) = match &op["n"] {
                    Value::String(s) => (s.clone(), s.parse::<f64>().unwrap_or(f64::NAN)),
                    v => (v.to_string(), v.as_f64().unwrap()),
                };
                match self.e.try_set_max_listeners(n) {
                    Ok(_) => {
                        let m = self.e.get_max_listeners();
                        let m = if m == usize::MAX {
                            "Infinity".to_string()
                        } else {
                            m.to_string()
                        };
                        self.log(format!("setMax {text} -> {m}"));
                    }
                    Err(err) => self.log(format!("setMax {text} -> {}: {err}", err.code())),
                }
            }
            "count" => {
                let n = self.e.listener_count(rt_name(event));
                self.log(format!("count {event} {n}"));
            }
            "countOf" => {
                let label = op["label"].as_str().unwrap();
                let (id, pending) = {
                    let st = self.st.lock().unwrap();
                    (
                        st.by_label.get(label).copied(),
                        st.pending.iter().any(|p| p == label),
                    )
                };
                let n = match id {
                    Some(id) => self.e.listener_count_of(rt_name(event), id).to_string(),
                    // Node knows the function of a registration in progress
                    // ('newListener' runs before it is added): it counts 0.
                    None if pending => "0".to_string(),
                    None => "-".to_string(),
                };
                self.log(format!("countOf {event} {label} {n}"));
            }
            "names" => {
                let names = self.e.event_names().join(",");
                self.log(format!("names {names}"));
            }
            "raw" => {
                let raw: Vec<String> = self
                    .e
                    .raw_listeners(rt_name(event))
                    .into_iter()
                    .map(|l| format!("{}{}", self.label(l.id), if l.once { "*" } else { "" }))
                    .collect();
                self.log(format!("raw {event} {}", raw.join(",")));
            }
            other => panic!("unknown op {other}"),
        }
    }
}

fn run_rt(scenario: &Value) -> Vec<String> {
    let ctx = Ctx {
        e: EventEmitter::new(),
        st: Arc::default(),
    };
    let log_ctx = ctx.clone();
    ctx.e.set_warning_hook(move |w| log_ctx.log(format!("warn {w}")));
    for op in scenario["ops"].as_array().unwrap() {
        ctx.exec(op, 0);
    }
    ctx.exec(&json!({"op": "names"}), 0);
    for ev in EVENTS {
        ctx.exec(&json!({"op": "raw", "event": ev}), 0);
    }
    let log = {
        let mut st = ctx.st.lock().unwrap();
        st.closing = true;
        std::mem::take(&mut st.log)
    };
    // Break the emitter <-> listener cycles (listeners hold the context).
    ctx.e.set_warning_hook(|_| {});
    ctx.e.remove_all_listeners(None);
    assert!(ctx.e.event_names().is_empty());
    log
}

// ----- scenarios ----------------------------------------------------------

fn on(kind: &str, event: &str, actions: Value) -> Value {
    json!({"op": kind, "event": event, "actions": actions})
}
fn emit(event: &str, payload: u32) -> Value {
    json!({"op": "emit", "event": event, "payload": payload})
}
fn emit_next(event: &str) -> Value {
    json!({"op": "emit", "event": event})
}
fn off(event: &str, label: &str) -> Value {
    json!({"op": "off", "event": event, "label": label})
}
fn remove_all(event: Option<&str>) -> Value {
    json!({"op": "removeAll", "event": event})
}
fn set_max(n: Value) -> Value {
    json!({"op": "setMax", "n": n})
}
fn count(event: &str) -> Value {
    json!({"op": "count", "event": event})
}
fn count_of(event: &str, label: &str) -> Value {
    json!({"op": "countOf", "event": event, "label": label})
}

fn hand_written() -> Vec<Value> {
    let none = json!([]);
    let s = |name: &str, ops: Vec<Value>| json!({"name": name, "ops": ops});
    vec![
        s(
            "order",
            vec![
                on("on", "a", none.clone()),
                on("on", "a", none.clone()),
                on("prepend", "a", none.clone()),
                emit("a", 1),
                emit("b", 2),
            ],
        ),
        s(
            "once",
            vec![
                on("once", "a", none.clone()),
                on("on", "a", none.clone()),
                emit("a", 1),
                emit("a", 2),
                count("a"),
            ],
        ),
        s(
            "prepend once",
            vec![
                on("on", "a", none.clone()),
                on("prependOnce", "a", none.clone()),
                emit("a", 1),
                emit("a", 2),
            ],
        ),
        s(
            "off during emit keeps snapshot",
            vec![
                on("on", "a", json!([off("a", "L1")])),
                on("on", "a", none.clone()),
                emit("a", 1),
                emit("a", 2),
            ],
        ),
        s(
            "add during emit waits",
            vec![
                on("on", "a", json!([on("on", "a", json!([]))])),
                emit("a", 1),
                emit("a", 2),
                count("a"),
            ],
        ),
        s(
            "once re-entrant",
            vec![
                on("once", "a", json!([emit_next("a")])),
                emit("a", 1),
                emit("a", 5),
            ],
        ),
        s(
            "once inside once",
            vec![
                on("once", "a", json!([on("once", "a", json!([])), emit_next("a")])),
                emit("a", 1),
                emit("a", 10),
            ],
        ),
        s(
            "once removed by earlier listener still runs",
            vec![
                on("on", "a", json!([off("a", "L1")])),
                on("once", "a", none.clone()),
                emit("a", 1),
                emit("a", 2),
            ],
        ),
        s(
            "once removed before emit",
            vec![on("once", "a", none.clone()), off("a", "L0"), emit("a", 1)],
        ),
        s(
            "newListener before adding",
            vec![
                on("on", "newListener", none.clone()),
                on("on", "a", none.clone()),
                on("once", "b", none.clone()),
            ],
        ),
        s(
            "newListener adds same event first",
            vec![
                on("once", "newListener", json!([on("on", "a", json!([]))])),
                on("on", "a", none.clone()),
                emit("a", 1),
            ],
        ),
        s(
            "newListener for newListener",
            vec![
                on("on", "newListener", none.clone()),
                on("on", "newListener", none.clone()),
                on("on", "a", none.clone()),
            ],
        ),
        s(
            "removeListener after removal",
            vec![
                on("on", "removeListener", json!([count("a")])),
                on("on", "a", none.clone()),
                on("once", "a", none.clone()),
                emit("a", 1),
                off("a", "L1"),
            ],
        ),
        s(
            "removeListener own removal",
            vec![
                on("on", "removeListener", none.clone()),
                on("on", "removeListener", none.clone()),
                off("removeListener", "L1"),
                off("removeListener", "L0"),
            ],
        ),
        s(
            "removeAll one",
            vec![
                on("on", "a", none.clone()),
                on("on", "b", none.clone()),
                remove_all(Some("a")),
                emit("a", 1),
                emit("b", 2),
            ],
        ),
        s(
            "removeAll all with removeListener",
            vec![
                on("on", "a", none.clone()),
                on("once", "a", none.clone()),
                on("on", "b", none.clone()),
                on("on", "removeListener", none.clone()),
                on("on", "newListener", none.clone()),
                remove_all(None),
            ],
        ),
        s(
            "removeAll one with removeListener LIFO",
            vec![
                on("on", "removeListener", none.clone()),
                on("on", "a", none.clone()),
                on("once", "a", none.clone()),
                on("prepend", "a", none.clone()),
                remove_all(Some("a")),
            ],
        ),
        s("error unhandled", vec![json!({"op": "emitError", "payload": 1})]),
        s(
            "error handled",
            vec![
                on("on", "error", none.clone()),
                json!({"op": "emitError", "payload": 1}),
            ],
        ),
        s(
            "error monitor",
            vec![
                on("on", "errorMonitor", none.clone()),
                json!({"op": "emitError", "payload": 1}),
                on("once", "error", none.clone()),
                json!({"op": "emitError", "payload": 2}),
                json!({"op": "emitError", "payload": 3}),
            ],
        ),
        s("max listeners warning once per name", {
            let mut v = vec![set_max(json!(2))];
            for _ in 0..4 {
                v.push(on("on", "a", json!([])));
            }
            for _ in 0..3 {
                v.push(on("on", "b", json!([])));
            }
            v
        }),
        s(
            "default max 10",
            (0..12).map(|_| on("on", "c", json!([]))).collect(),
        ),
        s("warning again after dropping to one", {
            let mut v = vec![set_max(json!(1))];
            for _ in 0..3 {
                v.push(on("on", "a", json!([])));
            }
            v.extend([
                off("a", "L0"),
                off("a", "L1"),
                on("on", "a", json!([])),
                on("on", "a", json!([])),
            ]);
            v
        }),
        s("max 0 unlimited", {
            let mut v = vec![set_max(json!(0))];
            for _ in 0..15 {
                v.push(on("on", "a", json!([])));
            }
            v
        }),
        s(
            "max invalid",
            vec![
                set_max(json!(-1)),
                set_max(json!("NaN")),
                set_max(json!(1.5)),
                set_max(json!("Infinity")),
                set_max(json!(-0.5)),
                set_max(json!(3)),
            ],
        ),
        s("fractional max", {
            let mut v = vec![set_max(json!(1.5))];
            for _ in 0..3 {
                v.push(on("on", "a", json!([])));
            }
            v
        }),
        s(
            "event names order",
            vec![
                on("on", "b", none.clone()),
                on("on", "a", none.clone()),
                on("on", "errorMonitor", none.clone()),
                on("on", "c", none.clone()),
                off("b", "L0"),
                on("on", "b", none.clone()),
            ],
        ),
        s(
            "emit from removeListener",
            vec![
                on("on", "removeListener", json!([emit("b", 7)])),
                on("on", "b", none.clone()),
                on("once", "a", none.clone()),
                emit("a", 1),
            ],
        ),
        s(
            "emit nothing",
            vec![emit("a", 1), emit("errorMonitor", 2), count("a")],
        ),
        s(
            "listener removes itself and emits",
            vec![
                on("on", "a", json!([off("a", "L0"), emit_next("a")])),
                on("on", "a", none.clone()),
                emit("a", 1),
            ],
        ),
        s(
            "removeAll from listener",
            vec![
                on("on", "a", json!([remove_all(Some("a"))])),
                on("on", "a", none.clone()),
                emit("a", 1),
                emit("a", 2),
            ],
        ),
        s(
            "off wrong event",
            vec![on("on", "a", none.clone()), off("b", "L0"), emit("a", 1)],
        ),
        // 'removeListener' gets the once wrapper or the function, as Node
        // decides in each removal path (L0 logs the payload).
        s(
            "removeListener payload: off on a once listener",
            vec![
                on("on", "removeListener", none.clone()),
                on("once", "a", none.clone()),
                on("on", "a", none.clone()),
                on("once", "a", none.clone()),
                off("a", "L1"),
                off("a", "L3"),
            ],
        ),
        s(
            "removeListener payload: fired once listeners",
            vec![
                on("on", "removeListener", none.clone()),
                on("once", "a", none.clone()),
                on("on", "a", none.clone()),
                on("once", "a", none.clone()),
                emit("a", 1),
                on("once", "b", none.clone()),
                emit("b", 2),
            ],
        ),
        s(
            "removeListener payload: removeAllListeners(name)",
            vec![
                on("on", "removeListener", none.clone()),
                on("once", "a", none.clone()),
                remove_all(Some("a")),
                on("once", "a", none.clone()),
                on("once", "a", none.clone()),
                on("on", "a", none.clone()),
                remove_all(Some("a")),
            ],
        ),
        s(
            "removeListener payload: removeAllListeners()",
            vec![
                on("on", "removeListener", none.clone()),
                on("once", "a", none.clone()),
                on("on", "a", none.clone()),
                on("once", "b", none.clone()),
                on("once", "removeListener", none.clone()),
                remove_all(None),
            ],
        ),
        s(
            "listenerCount(name, listener)",
            vec![
                on("once", "a", none.clone()),
                on("on", "a", none.clone()),
                on("on", "b", none.clone()),
                count_of("a", "L0"),
                count_of("a", "L1"),
                count_of("a", "L2"),
                count_of("b", "L0"),
                count_of("c", "L0"),
                count_of("a", "L9"),
                emit("a", 1),
                count_of("a", "L0"),
                off("a", "L1"),
                count_of("a", "L1"),
            ],
        ),
    ]
}

const ALL_OPS: [&str; 13] = [
    "on",
    "once",
    "prepend",
    "prependOnce",
    "off",
    "emit",
    "emit",
    "emitError",
    "removeAll",
    "setMax",
    "count",
    "emit",
    "countOf",
];

fn random_op(rng: &mut Rng, labels: usize, depth: usize) -> Value {
    let events = [
        "a",
        "b",
        "c",
        "a",
        "b",
        "newListener",
        "removeListener",
        "error",
        "errorMonitor",
    ];
    let emit_events = ["a", "b", "c", "a", "errorMonitor"];
    let kind = *rng.pick(&ALL_OPS);
    match kind {
        "on" | "once" | "prepend" | "prependOnce" => {
            let event = *rng.pick::<&str>(&events);
            let n = if depth >= 2 { 0 } else { rng.below(3) as usize };
            let actions: Vec<Value> = (0..n).map(|_| random_op(rng, labels + 1, depth + 1)).collect();
            on(kind, event, Value::Array(actions))
        }
        "off" => {
            let label = format!("L{}", rng.below(labels.max(1) as u64 + 1));
            off(rng.pick::<&str>(&events), &label)
        }
        "emit" => {
            if depth > 0 && rng.chance(1, 2) {
                emit_next(rng.pick::<&str>(&emit_events))
            } else {
                emit(rng.pick::<&str>(&emit_events), rng.below(100) as u32)
            }
        }
        "emitError" => json!({"op": "emitError", "payload": rng.below(100)}),
        "removeAll" => {
            if rng.chance(1, 4) {
                remove_all(None)
            } else {
                remove_all(Some(*rng.pick::<&str>(&events)))
            }
        }
        "setMax" => set_max(
            rng.pick(&[
                json!(0),
                json!(1),
                json!(2),
                json!(3),
                json!(1.5),
                json!(-1),
                json!("NaN"),
            ])
            .clone(),
        ),
        "countOf" => {
            let label = format!("L{}", rng.below(labels.max(1) as u64 + 1));
            count_of(rng.pick::<&str>(&events), &label)
        }
        _ => count(rng.pick::<&str>(&events)),
    }
}

fn generated(seed: u64, n: usize) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let len = 6 + rng.below(14) as usize;
            let mut ops = Vec::new();
            for k in 0..len {
                ops.push(random_op(&mut rng, k, 0));
            }
            json!({"name": format!("generated #{i} (seed {seed})"), "ops": ops})
        })
        .collect()
}

#[test]
fn call_logs_match_node() {
    let Some(node) = node_or_skip("rt-events differential test") else {
        return;
    };
    let mut scenarios = hand_written();
    let hand = scenarios.len();
    // RT_DIFF_SEED / RT_DIFF_SCENARIOS explore further (the default run is fixed).
    let seed = std::env::var("RT_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0e7e_e7e5);
    let count = std::env::var("RT_DIFF_SCENARIOS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    scenarios.extend(generated(seed, count));
    assert!(hand >= 30 && scenarios.len() >= 40);

    let input = serde_json::to_vec(&scenarios).unwrap();
    let out = node.run_script(RUNNER, &input);
    let results: Vec<Value> = serde_json::from_slice(&out).expect("runner output");
    assert_eq!(results.len(), scenarios.len());

    let mut failures = Vec::new();
    let mut expected: Vec<Vec<String>> = Vec::new();
    let mut skipped = Vec::new();
    for (i, (scenario, result)) in scenarios.iter().zip(&results).enumerate() {
        if let Some(threw) = result["threw"].as_str() {
            assert!(
                i >= hand,
                "hand-written scenario {} made node throw: {threw}",
                scenario["name"]
            );
            skipped.push(format!("{}: {threw}", scenario["name"]));
            continue;
        }
        let want: Vec<String> = serde_json::from_value(result["log"].clone()).unwrap();
        let got = run_rt(scenario);
        expected.push(want.clone());
        let want = &want;
        if &got != want {
            if std::env::var_os("RT_DIFF_VERBOSE").is_some() {
                eprintln!("{}\nnode: {want:#?}\nrt: {got:#?}", scenario["name"]);
            }
            let at = got
                .iter()
                .zip(want)
                .position(|(g, w)| g != w)
                .unwrap_or(got.len().min(want.len()));
            failures.push(format!(
                "{}: first difference at line {at}\n  ops:  {}\n  node: {:#?}\n  rt:   {:#?}",
                scenario["name"],
                scenario["ops"],
                &want[at.saturating_sub(2)..want.len().min(at + 3)],
                &got[at.saturating_sub(2)..got.len().min(at + 3)],
            ));
        }
    }
    // The generated scenarios must exercise what they are for.
    let all: Vec<&String> = expected.iter().flatten().collect();
    for needle in [
        "warn MaxListenersExceededWarning",
        "call L",
        "newListener",
        "removeListener",
        "ERR_UNHANDLED_ERROR",
        "ERR_OUT_OF_RANGE",
        "-> true",
        "-> false",
    ] {
        assert!(
            all.iter().any(|l| l.contains(needle)),
            "no log line contains {needle:?}"
        );
    }
    // How many of the compared lines check what Node passes to
    // 'removeListener' (wrapper or function) and listenerCount(name, fn).
    let payloads = |wrapper: bool| {
        all.iter()
            .filter(|l| {
                l.starts_with("call ") && l.contains(" removeListener ") && l.ends_with('*') == wrapper
            })
            .count()
    };
    let (wrappers, functions) = (payloads(true), payloads(false));
    let counts_of = all.iter().filter(|l| l.starts_with("countOf ")).count();
    let counts_of_one = all
        .iter()
        .filter(|l| l.starts_with("countOf ") && l.ends_with(" 1"))
        .count();
    eprintln!(
        "{} scenarios compared ({hand} hand-written), {} skipped because node itself threw; \
         'removeListener' payloads: {wrappers} once wrappers, {functions} functions; \
         listenerCount(name, listener): {counts_of} ({counts_of_one} counting 1)",
        expected.len(),
        skipped.len()
    );
    assert!(
        wrappers >= 50 && functions >= 500,
        "too few 'removeListener' payloads compared"
    );
    assert!(
        counts_of >= 300 && counts_of_one >= 30,
        "too few listenerCount(name, listener) compared"
    );
    for s in &skipped {
        eprintln!("  skipped {s}");
    }
    assert!(expected.len() >= 900, "too few scenarios compared");
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ from node:\n{}",
        failures.len(),
        expected.len(),
        failures.join("\n\n")
    );
}

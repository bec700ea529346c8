//! Generated differential suite: thousands of seeded random stream scenarios run
//! by `node` (tests/node/gen.js) and by rt-stream, on both tokio runtime
//! flavours; the logs must be identical.
//!
//! A scenario builds one to three streams (Readable / Writable / Duplex /
//! Transform / PassThrough; byte or object mode; high-water marks;
//! allowHalfOpen; synchronous or manual sinks, writev, final, flush) and runs
//! a random sequence of operations on them: push, push(null), read(n),
//! pause, resume, setEncoding, write (with or without a callback), end (with
//! or without a chunk and a callback), cork / uncork, completing a manual
//! sink's pending write (with or without an error), destroy (with or without
//! an error; also aimed at one end of a pipe the scenario made:
//! destroy-while-piping, counted from node's 'pipe' / 'unpipe' events),
//! pipe / unpipe, pipeline, finished, 'data' / 'readable'
//! listeners added at random points, and state reads. Each step logs its
//! return value, then every event, callback and hook call it caused, in
//! order, after the step has settled (Node: five `setImmediate` turns; rt: no
//! task left to run and no pending `finished` / `pipeline` future ready).
//! The results of `finished` and `pipeline` (callbacks in Node, futures in
//! rt, made at the step as Node's callbacks are registered) come last in
//! the step they complete in, in completion order: each future is polled
//! at once with a waker of its own, and the woken ones are polled in wake
//! order (a result wakes its future when it completes).
//!
//! The multi-thread runtime runs them twice: as a task, and in
//! `rt_stream::runtime::block_on` on the calling thread (not a worker).
//!
//! `RT_GEN_SEED` / `RT_GEN_SCENARIOS` explore further; the default run is fixed.
//! `RT_GEN_ONLY=i,j` runs only those scenarios and prints both logs in full;
//! `RT_GEN_DUMP=path` writes the differing scenarios to `path.<flavour>`.
//! [`FOUND`] keeps scenarios found outside the default run.
//! `RT_GEN_BLOCK_ON=1` runs every flavour in marked `block_on`,
//! `RT_GEN_BLOCK_ON=plain` in plain `Runtime::block_on` (to measure).
#![allow(missing_docs)]

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use rt_stream::*;
use rt_tests::rng::Rng;
use serde_json::{Value, json};
use support::scenario::{Log, S, TestSink, code, ev, show};
use support::{Flavour, node_answers, on_task, runtime};

#[macro_use]
mod support;

const RUNNER: &str = include_str!("node/gen.js");
const DEFAULT_SEED: u64 = 0x57ea_d1ff;
const DEFAULT_SCENARIOS: usize = 3000;

/// The scenarios of the default run (seed and count) that still differ
/// from Node, on every flavour: none. The nine pinned before this session
/// (numbered in the 2,500-scenario run of that time, before `finished` was
/// generated) were fixed at their root: a pipe is a 'data' listener in Node, so a
/// chunk goes to 'data' listeners and pipes in the order they were added
/// (1304, 1853, 1990; a Transform's 'pause' from a full pipe added before
/// its 'data' listener, 859, 1350); Node v20's `emitReadable_` only sets
/// `needReadable`, never clears it, so a `read(0)` after an unread
/// 'readable' emits another (1668, 1867); Node v20's `onwrite` takes the
/// afterWrite tick for every object-mode write (its `state & kDestroyed
/// !== 0` test reads kObjectMode), so an object-mode destination's
/// 'finish' comes a tick after the source's 'close' (1747, 2115).
///
/// The test fails if this list changes either way (a fix must shrink it).
const KNOWN_DIFFERENCES: &[usize] = &[];

// ----- the generator --------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    R,
    W,
    D,
    P,
    T,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::R => "R",
            Kind::W => "W",
            Kind::D => "D",
            Kind::P => "P",
            Kind::T => "T",
        }
    }
    fn readable(self) -> bool {
        self != Kind::W
    }
    fn writable(self) -> bool {
        self != Kind::R
    }
}

struct Gen {
    rng: Rng,
    kinds: Vec<(String, Kind, bool, bool)>, // id, kind, object mode, manual sink
    next_chunk: usize,
    /// The pipes this scenario made and has not unpiped (source, destination):
    /// the destroy-while-piping op picks one end of one of them.
    piped: Vec<(String, String)>,
}

impl Gen {
    fn chunk(&mut self, op: &mut Value) {
        self.next_chunk += 1;
        match self.rng.below(20) {
            0 => op["hex"] = json!("e282"),
            1 => op["hex"] = json!("ac41"),
            2 => op["chunk"] = json!(""),
            _ => {
                let letter = *self.rng.pick(&["a", "b", "d", "x", "a"]);
                op["chunk"] = json!(format!("{letter}{}", self.next_chunk));
            }
        }
    }

    fn pick_where(&mut self, f: impl Fn(Kind) -> bool) -> Option<(String, Kind, bool, bool)> {
        let c: Vec<_> = self.kinds.iter().filter(|k| f(k.1)).cloned().collect();
        if c.is_empty() {
            None
        } else {
            Some(self.rng.pick(&c).clone())
        }
    }

    fn new_stream(&mut self, id: &str) -> Value {
        let kind = *self.rng.pick(&[Kind::R, Kind::W, Kind::D, Kind::P, Kind::T]);
        let obj = self.rng.chance(1, 4);
        let mut op = json!({"op": "new", "id": id, "kind": kind.name(), "obj": obj});
        if self.rng.chance(2, 3) {
            op["hwm"] = json!(*self.rng.pick(&[0u64, 1, 2, 3, 4, 8, 16]));
        }
        let mut manual = false;
        if matches!(kind, Kind::R | Kind::D) && self.rng.chance(1, 3) {
            op["src"] = json!("sync");
            let n = self.rng.below(4);
            let items: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
            op["items"] = json!(items);
        }
        if matches!(kind, Kind::W | Kind::D) {
            manual = self.rng.chance(1, 2);
            op["sink"] = json!(if manual { "manual" } else { "sync" });
            op["final"] = json!(self.rng.chance(1, 3));
        }
        if kind == Kind::W {
            op["writev"] = json!(self.rng.chance(1, 3));
        }
        if matches!(kind, Kind::D | Kind::P | Kind::T) {
            op["half"] = json!(self.rng.chance(1, 2));
        }
        if kind == Kind::T {
            op["flush"] = json!(self.rng.chance(1, 2));
        }
        self.kinds.push((id.to_string(), kind, obj, manual));
        op
    }

    fn op(&mut self) -> Option<Value> {
        let r = |k: Kind| k.readable();
        let w = |k: Kind| k.writable();
        Some(match self.rng.below(28) {
            0 | 1 => {
                let (id, ..) = self.pick_where(r)?;
                json!({"op": "on", "id": id, "ev": if self.rng.chance(2, 3) { "data" } else { "readable" }})
            }
            2..=4 => {
                let (id, ..) = self.pick_where(|k| matches!(k, Kind::R | Kind::D))?;
                let mut op = json!({"op": "push", "id": id});
                self.chunk(&mut op);
                op
            }
            5 => {
                let (id, ..) = self.pick_where(|k| matches!(k, Kind::R | Kind::D))?;
                json!({"op": "push_end", "id": id})
            }
            6 | 7 => {
                let (id, ..) = self.pick_where(r)?;
                let mut op = json!({"op": "read", "id": id});
                if self.rng.chance(1, 2) {
                    op["n"] = json!(*self.rng.pick(&[0u64, 1, 2, 3, 100]));
                }
                op
            }
            8 => {
                let (id, ..) = self.pick_where(r)?;
                json!({"op": if self.rng.chance(1, 2) { "pause" } else { "resume" }, "id": id})
            }
            9 => {
                let (id, _, obj, _) = self.pick_where(r)?;
                if obj {
                    return None;
                }
                json!({"op": "set_encoding", "id": id})
            }
            10..=12 => {
                let (id, ..) = self.pick_where(w)?;
                let mut op = json!({"op": "write", "id": id, "cb": self.rng.chance(1, 2)});
                self.chunk(&mut op);
                op
            }
            13 => {
                let (id, ..) = self.pick_where(w)?;
                let mut op = json!({"op": "end", "id": id, "cb": self.rng.chance(1, 2)});
                if self.rng.chance(1, 3) {
                    self.chunk(&mut op);
                }
                op
            }
            14 => {
                let (id, ..) = self.pick_where(w)?;
                json!({"op": if self.rng.chance(1, 2) { "cork" } else { "uncork" }, "id": id})
            }
            15 | 16 => {
                let c: Vec<_> = self.kinds.iter().filter(|k| k.3).cloned().collect();
                if c.is_empty() {
                    return None;
                }
                let (id, ..) = self.rng.pick(&c).clone();
                let mut op = json!({"op": "complete", "id": id});
                if self.rng.chance(1, 6) {
                    op["err"] = json!("disk");
                }
                op
            }
            17 => {
                let (id, ..) = self.pick_where(|_| true)?;
                let mut op = json!({"op": "destroy", "id": id});
                if self.rng.chance(1, 2) {
                    op["err"] = json!("boom");
                }
                op
            }
            18 | 19 => {
                let (src, ..) = self.pick_where(r)?;
                let (dst, ..) = self.pick_where(w)?;
                // Pipes only go from a stream to a later one: a cycle of
                // pass-throughs would circulate data forever.
                if src >= dst {
                    return None;
                }
                self.piped.push((src.clone(), dst.clone()));
                json!({"op": "pipe", "src": src, "dst": dst, "end": self.rng.chance(3, 4)})
            }
            20 => {
                let (src, ..) = self.pick_where(r)?;
                let mut op = json!({"op": "unpipe", "src": src});
                if self.rng.chance(2, 3) {
                    let (dst, ..) = self.pick_where(w)?;
                    // Node's unpipe(dest) removes the first such pipe.
                    if let Some(i) = self.piped.iter().position(|p| p.0 == src && p.1 == dst) {
                        self.piped.remove(i);
                    }
                    op["dst"] = json!(dst);
                } else {
                    self.piped.retain(|p| p.0 != src);
                }
                op
            }
            21 => {
                let (id, ..) = self.pick_where(|_| true)?;
                json!({"op": "finished", "id": id})
            }
            22 => {
                // A chain: a readable head, duplex middles, a writable tail, all distinct.
                let mut ids: Vec<String> = Vec::new();
                let (head, ..) = self.pick_where(r)?;
                ids.push(head);
                for _ in 0..2 {
                    let (next, kind, ..) = self.pick_where(w)?;
                    if &next <= ids.last().unwrap() {
                        break;
                    }
                    ids.push(next);
                    if !kind.readable() || self.rng.chance(1, 2) {
                        break;
                    }
                }
                let last = self.kinds.iter().find(|k| &k.0 == ids.last().unwrap()).unwrap().1;
                if ids.len() < 2 || !last.writable() {
                    return None;
                }
                json!({"op": "pipeline", "ids": ids})
            }
            23..=26 => {
                // Destroy-while-piping: one end of a pipe this scenario
                // made (the source or the destination), with or without an
                // error. Whether the pipe was still active is read from
                // node's log ('pipe' / 'unpipe' events) when counting.
                if self.piped.is_empty() {
                    return None;
                }
                let (src, dst) = self.rng.pick(&self.piped).clone();
                let id = if self.rng.chance(1, 2) { src } else { dst };
                let mut op = json!({"op": "destroy", "id": id});
                if self.rng.chance(1, 2) {
                    op["err"] = json!("boom");
                }
                op
            }
            _ => {
                let (id, ..) = self.pick_where(|_| true)?;
                json!({"op": "state", "id": id})
            }
        })
    }
}

fn generate(seed: u64, n: usize) -> Vec<Value> {
    let mut g = Gen {
        rng: Rng::new(seed),
        kinds: Vec::new(),
        next_chunk: 0,
        piped: Vec::new(),
    };
    (0..n)
        .map(|_| {
            g.kinds.clear();
            g.next_chunk = 0;
            g.piped.clear();
            let mut ops = Vec::new();
            let streams = g.rng.range(1, 3) as usize;
            for id in ["a", "b", "c"].iter().take(streams) {
                ops.push(g.new_stream(id));
            }
            let len = g.rng.range(3, 18);
            while (ops.len() as i64) < len + streams as i64 {
                if let Some(op) = g.op() {
                    ops.push(op);
                }
            }
            // Most scenarios end by reading every stream's state.
            for id in ["a", "b", "c"].iter().take(streams) {
                if g.rng.chance(2, 3) {
                    ops.push(json!({"op": "state", "id": id}));
                }
            }
            Value::Array(ops)
        })
        .collect()
}

// ----- the rt runner --------------------------------------------------------

/// The streams of a scenario by id, for naming the source a 'pipe' /
/// 'unpipe' listener receives (cleared at the end of the scenario).
type Names = Arc<Mutex<Vec<(String, S)>>>;

fn name_of(names: &Names, src: &PipeSource) -> String {
    let names = names.lock().unwrap();
    let hit = names.iter().find(|(_, s)| any!(s, x => src == x));
    hit.map_or_else(|| "?".to_string(), |(n, _)| n.clone())
}

fn watch(log: &Log, id: &str, s: &S, names: &Names) {
    let evs = [
        StreamEvent::End,
        StreamEvent::Close,
        StreamEvent::Finish,
        StreamEvent::Drain,
        StreamEvent::Pause,
        StreamEvent::Resume,
        StreamEvent::Prefinish,
    ];
    for e in evs {
        let l = log.clone();
        let name = format!("{id} {}", e.name());
        any!(s, x => { x.on(e, move || ev(&l, name.clone())); });
    }
    // 'pipe' / 'unpipe' carry the source: logged by its id, as gen.js does.
    if let S::W(_) | S::D(_) = s {
        let (l, n, i) = (log.clone(), names.clone(), id.to_string());
        wr!(s, x => x.on_pipe(move |src| ev(&l, format!("{i} pipe {}", name_of(&n, src)))));
        let (l, n, i) = (log.clone(), names.clone(), id.to_string());
        wr!(s, x => x.on_unpipe(move |src| ev(&l, format!("{i} unpipe {}", name_of(&n, src)))));
    }
    let l = log.clone();
    let id = id.to_string();
    any!(s, x => { x.on_error(move |e| ev(&l, format!("{id} error {}", e.code()))); });
}

fn chunk(op: &Value) -> Buffer {
    if let Some(h) = op["hex"].as_str() {
        let bytes: Vec<u8> = (0..h.len() / 2)
            .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        Buffer::from(bytes)
    } else {
        Buffer::from(op["chunk"].as_str().unwrap_or(""))
    }
}

fn has_chunk(op: &Value) -> bool {
    op.get("chunk").is_some() || op.get("hex").is_some()
}

fn test_err(op: &Value) -> Option<Error> {
    op["err"].as_str().map(|m| Error::new("ERR_TEST", m))
}

/// The `finished` / `pipeline` results not in yet, each with its number
/// and whether it was polled yet (its waker registered).
type Pending = Vec<(usize, bool, Pin<Box<dyn Future<Output = String> + Send>>)>;

/// The numbers of the pending results whose wakers were woken, in wake
/// order: a result's future is woken when it completes, so polling in
/// this order reports results in completion order, as Node's callbacks
/// come.
type WakeOrder = Arc<Mutex<Vec<usize>>>;

struct Woken {
    id: usize,
    order: WakeOrder,
}

impl std::task::Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.order.lock().unwrap().push(self.id);
    }
}

/// Polls the pending results: the woken ones, in wake order; then the
/// ones never polled (made since the last call), in the order they were
/// made. A result polled once is polled again only when woken: on a
/// multi-thread runtime the results can complete on another thread while
/// this runs, and polling a completed-but-not-yet-woken result out of turn
/// would report it before one completed earlier (a flake seen 1 in 7 under
/// load: scenario 2477's `pipeline` before the second `b finished`).
/// Returns whether one completed.
fn poll_pending(pending: &mut Pending, woken: &WakeOrder, late: &mut Vec<String>) -> bool {
    let mut progress = false;
    let mut ids: Vec<usize> = Vec::new();
    for id in woken.lock().unwrap().drain(..) {
        if !ids.contains(&id) && pending.iter().any(|p| p.0 == id) {
            ids.push(id);
        }
    }
    for p in pending.iter() {
        if !p.1 && !ids.contains(&p.0) {
            ids.push(p.0);
        }
    }
    for id in ids {
        let Some(i) = pending.iter().position(|p| p.0 == id) else {
            continue;
        };
        let waker = Waker::from(Arc::new(Woken {
            id,
            order: woken.clone(),
        }));
        let mut cx = Context::from_waker(&waker);
        pending[i].1 = true;
        if let Poll::Ready(line) = pending[i].2.as_mut().poll(&mut cx) {
            late.push(line);
            drop(pending.remove(i));
            progress = true;
        }
    }
    progress
}

/// Lets the step settle: runs until no other task is alive and no pending
/// `finished` / `pipeline` future is ready, several checks in a row.
/// Bounded: panics naming the step if it does not settle in 10 s.
async fn settle(pending: &mut Pending, woken: &WakeOrder, late: &mut Vec<String>, step: &str) {
    let handle = tokio::runtime::Handle::current();
    let start = std::time::Instant::now();
    let mut quiet = 0;
    // A result made by this step registers its waker before any tick runs
    // (Node's callback is registered at the call).
    let mut progress_now = poll_pending(pending, woken, late);
    while quiet < 4 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "step `{step}` did not settle within 10 s ({} tasks alive)",
            handle.metrics().num_alive_tasks()
        );
        tokio::task::yield_now().await;
        let progress = poll_pending(pending, woken, late) || std::mem::take(&mut progress_now);
        // One task alive is the scenario's own (none when it runs in
        // block_on); parked tick drainers (alive for the runtime's life,
        // nothing to do) do not count.
        let own = usize::from(!IN_BLOCK_ON.with(|b| b.get()));
        let busy = handle
            .metrics()
            .num_alive_tasks()
            .saturating_sub(rt_stream::counters::idle_drainers());
        if progress || busy > own {
            quiet = 0;
            std::thread::yield_now();
        } else {
            quiet += 1;
        }
    }
}

async fn run_scenario(sc: &Value) -> Vec<Vec<String>> {
    let mut streams: HashMap<String, S> = HashMap::new();
    let names: Names = Arc::default();
    let mut sinks: HashMap<String, Arc<Mutex<VecDeque<Completion>>>> = HashMap::new();
    let mut pending: Pending = Vec::new();
    let woken: WakeOrder = Arc::default();
    let mut next_pending = 0;
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let mut steps = Vec::new();
    for op in sc.as_array().unwrap() {
        log.lock().unwrap().clear();
        let id = op["id"].as_str().unwrap_or("").to_string();
        let s = streams.get(&id).cloned();
        let name = op["op"].as_str().unwrap();
        let ret: String = match name {
            "new" => {
                let q = Arc::new(Mutex::new(VecDeque::new()));
                sinks.insert(id.clone(), q.clone());
                let hwm = op["hwm"].as_u64().map(|n| n as usize);
                let obj = op["obj"].as_bool().unwrap_or(false);
                let half = op["half"].as_bool().unwrap_or(true);
                let mut items: VecDeque<String> = op["items"]
                    .as_array()
                    .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default();
                let sync = op["src"].as_str() == Some("sync");
                let (l, rid) = (log.clone(), id.clone());
                let source = move |_n: usize, p: &Pusher<Buffer>| {
                    ev(&l, format!("{rid} _read"));
                    if sync {
                        match items.pop_front() {
                            Some(it) => {
                                // Node pushes the item, a string.
                                p.push_str(&it);
                            }
                            None => p.push_end(),
                        }
                    }
                };
                let sink = TestSink {
                    id: id.clone(),
                    log: log.clone(),
                    manual: op["sink"].as_str() == Some("manual"),
                    writev: op["writev"].as_bool().unwrap_or(false),
                    final_: op["final"].as_bool().unwrap_or(false),
                    pending: q,
                };
                let dopts = {
                    let mut o = DuplexOptions::default().object_mode(obj).allow_half_open(half);
                    o.high_water_mark = hwm;
                    o
                };
                let s = match op["kind"].as_str().unwrap() {
                    "R" => S::R(Readable::from_source(source, {
                        let mut o = ReadableOptions::default().object_mode(obj);
                        o.high_water_mark = hwm;
                        o
                    })),
                    "W" => S::W(Writable::new(sink, {
                        let mut o = WritableOptions::default().object_mode(obj);
                        o.high_water_mark = hwm;
                        o
                    })),
                    "D" => S::D(Duplex::new(dopts, Some(source), Some(sink))),
                    "P" => S::D(PassThrough::new(dopts)),
                    "T" => {
                        let (l, tid) = (log.clone(), id.clone());
                        let f = move |c: Buffer, p: &Pusher<Buffer>| {
                            let t = show(&c);
                            ev(&l, format!("{tid} _transform {t}"));
                            if t.starts_with('d') {
                                return Ok(());
                            }
                            if t.starts_with('x') {
                                p.push(c.clone());
                            }
                            p.push(c);
                            Ok(())
                        };
                        if op["flush"].as_bool() == Some(true) {
                            let (l, tid) = (log.clone(), id.clone());
                            S::D(Transform::with_flush(dopts, f, move |p: &Pusher<Buffer>| {
                                ev(&l, format!("{tid} _flush"));
                                p.push_str("F");
                                Ok(())
                            }))
                        } else {
                            S::D(Transform::new(dopts, f))
                        }
                    }
                    k => panic!("unknown kind {k}"),
                };
                watch(&log, &id, &s, &names);
                names.lock().unwrap().push((id.clone(), s.clone()));
                streams.insert(id.clone(), s);
                "ok".into()
            }
            "on" => {
                let s = s.unwrap();
                let (l, i2) = (log.clone(), id.clone());
                if op["ev"] == "data" {
                    rd!(&s, x => { x.on_data(move |c| ev(&l, format!("{i2} data {}", show(c)))); });
                } else {
                    rd!(&s, x => { x.on(StreamEvent::Readable, move || ev(&l, format!("{i2} readable"))); });
                }
                "ok".into()
            }
            // gen.js pushes a string, or a Buffer for hex.
            "push" => match op["chunk"].as_str() {
                Some(text) => rd!(&s.unwrap(), x => x.push_str(text).to_string()),
                None => rd!(&s.unwrap(), x => x.push(chunk(op)).to_string()),
            },
            "push_end" => {
                rd!(&s.unwrap(), x => x.push_end());
                "false".into()
            }
            "read" => {
                let n = op["n"].as_u64().map(|n| n as usize);
                rd!(&s.unwrap(), x => x.read_now(n))
                    .map(|c| show(&c))
                    .unwrap_or_else(|| "null".into())
            }
            "pause" => {
                rd!(&s.unwrap(), x => x.pause());
                "ok".into()
            }
            "resume" => {
                rd!(&s.unwrap(), x => x.resume());
                "ok".into()
            }
            "set_encoding" => {
                match s.unwrap() {
                    S::R(x) => x.set_encoding("utf8").unwrap(),
                    S::D(x) => x.set_encoding("utf8").unwrap(),
                    S::W(_) => unreachable!(),
                }
                "ok".into()
            }
            "write" => {
                let s = s.unwrap();
                let r = if op["cb"].as_bool() == Some(true) {
                    let (l, i2) = (log.clone(), id.clone());
                    wr!(&s, x => x.write_cb(chunk(op), move |e| ev(&l, format!("{i2} cb {}", code(e)))))
                } else {
                    wr!(&s, x => x.write(chunk(op)))
                };
                r.unwrap_or(false).to_string()
            }
            "end" => {
                let s = s.unwrap();
                if op["cb"].as_bool() == Some(true) {
                    let (l, i2) = (log.clone(), id.clone());
                    let cb = move |e| ev(&l, format!("{i2} endcb {}", code(e)));
                    if has_chunk(op) {
                        wr!(&s, x => x.end_with_cb(chunk(op), cb));
                    } else {
                        wr!(&s, x => x.end_cb(cb));
                    }
                } else if has_chunk(op) {
                    let _ = wr!(&s, x => x.end_with(chunk(op)));
                } else {
                    let _ = wr!(&s, x => x.end());
                }
                "ok".into()
            }
            "cork" => {
                wr!(&s.unwrap(), x => x.cork());
                "ok".into()
            }
            "uncork" => {
                wr!(&s.unwrap(), x => x.uncork());
                "ok".into()
            }
            "complete" => {
                let c = sinks[&id].lock().unwrap().pop_front();
                match c {
                    Some(c) => {
                        c.complete(match test_err(op) {
                            Some(e) => Err(e),
                            None => Ok(()),
                        });
                        "ok".into()
                    }
                    None => "none".into(),
                }
            }
            "destroy" => {
                any!(&s.unwrap(), x => x.destroy(test_err(op)));
                "ok".into()
            }
            "pipe" => {
                let src = streams[op["src"].as_str().unwrap()].clone();
                let dst = streams[op["dst"].as_str().unwrap()].clone();
                let opts = PipeOptions::default().end(op["end"].as_bool() != Some(false));
                match dst {
                    S::W(w) => rd!(&src, x => { x.pipe_with(&w, opts); }),
                    S::D(d) => rd!(&src, x => { x.pipe_with(&d, opts); }),
                    S::R(_) => unreachable!(),
                }
                "ok".into()
            }
            "unpipe" => {
                let src = streams[op["src"].as_str().unwrap()].clone();
                match op["dst"].as_str().map(|d| streams[d].clone()) {
                    Some(S::W(w)) => rd!(&src, x => x.unpipe(Some(&w))),
                    Some(S::D(d)) => rd!(&src, x => x.unpipe(Some(&d))),
                    _ => rd!(&src, x => x.unpipe::<Writable>(None)),
                }
                "ok".into()
            }
            "finished" => {
                let s = s.unwrap();
                let i2 = id.clone();
                // Called here, as Node's finished(stream, cb) is at the step.
                let fut: Pin<Box<dyn Future<Output = Result<(), Error>> + Send>> =
                    any!(&s, x => Box::pin(finished(x)));
                next_pending += 1;
                pending.push((
                    next_pending,
                    false,
                    Box::pin(async move { format!("{i2} finished {}", code(fut.await)) }),
                ));
                "ok".into()
            }
            "pipeline" => {
                let ids: Vec<S> = op["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| streams[i.as_str().unwrap()].clone())
                    .collect();
                let mut p = match &ids[0] {
                    S::R(x) => Pipeline::from(x),
                    S::D(x) => Pipeline::from(x),
                    S::W(_) => unreachable!(),
                };
                for mid in &ids[1..ids.len() - 1] {
                    match mid {
                        S::D(x) => p = p.pipe(x),
                        _ => unreachable!(),
                    }
                }
                let fut: Pin<Box<dyn Future<Output = Result<(), Error>> + Send>> =
                    match ids.last().unwrap().clone() {
                        S::W(x) => Box::pin(p.to(&x)),
                        S::D(x) => Box::pin(p.to(&x)),
                        S::R(_) => unreachable!(),
                    };
                next_pending += 1;
                pending.push((
                    next_pending,
                    false,
                    Box::pin(async move { format!("pipeline {}", code(fut.await)) }),
                ));
                "ok".into()
            }
            "state" => {
                let s = s.unwrap();
                let fl = |f: Option<bool>| match f {
                    None => "null".to_string(),
                    Some(b) => b.to_string(),
                };
                let mut parts = Vec::new();
                if let S::R(_) | S::D(_) = &s {
                    parts.push(rd!(&s, x => format!(
                        "rlen={} flowing={} paused={} ended={} readable={}",
                        x.readable_length(),
                        fl(x.readable_flowing()),
                        x.is_paused(),
                        x.readable_ended(),
                        x.is_readable()
                    )));
                }
                if let S::W(_) | S::D(_) = &s {
                    parts.push(wr!(&s, x => format!(
                        "wlen={} drain={} wended={} finished={} writable={}",
                        x.writable_length(),
                        x.writable_need_drain(),
                        x.writable_ended(),
                        x.writable_finished(),
                        x.is_writable()
                    )));
                }
                parts.push(any!(&s, x => format!(
                    "destroyed={} closed={} errored={}",
                    x.destroyed(),
                    x.closed(),
                    x.errored().map(|e| e.code().to_string()).unwrap_or_else(|| "null".into())
                )));
                parts.join(" ")
            }
            other => panic!("unknown op {other}"),
        };
        let head = format!("{name} {id} -> {ret}");
        let mut late = Vec::new();
        settle(&mut pending, &woken, &mut late, &head).await;
        let mut step = vec![head];
        step.extend(log.lock().unwrap().drain(..));
        step.extend(late);
        steps.push(step);
    }
    // The listeners hold the registry: let go of the streams.
    names.lock().unwrap().clear();
    steps
}

// ----- the test -------------------------------------------------------------

/// Destroy steps that hit a stream while a pipe into or out of it was
/// active, read from node's logs: a pipe is active from its destination's
/// `'pipe'` event to its `'unpipe'` event.
#[derive(Default, Debug)]
struct DestroyWhilePiping {
    steps: usize,
    /// The destroyed stream was an active pipe's source / destination.
    source: usize,
    destination: usize,
    with_error: usize,
}

fn destroy_while_piping(scenarios: &[Value], expected: &[Vec<Vec<String>>]) -> DestroyWhilePiping {
    let mut n = DestroyWhilePiping::default();
    for (sc, log) in scenarios.iter().zip(expected) {
        let ops = sc.as_array().unwrap();
        assert_eq!(ops.len(), log.len(), "node logged one step per operation");
        let mut active: Vec<(String, String)> = Vec::new(); // (source, destination)
        for (op, step) in ops.iter().zip(log) {
            if op["op"] == "destroy" {
                let id = op["id"].as_str().unwrap();
                let src = active.iter().any(|p| p.0 == id);
                let dst = active.iter().any(|p| p.1 == id);
                if src || dst {
                    n.steps += 1;
                    n.source += usize::from(src);
                    n.destination += usize::from(dst);
                    n.with_error += usize::from(op.get("err").is_some());
                }
            }
            for line in &step[1..] {
                let w: Vec<&str> = line.split(' ').collect();
                match w.as_slice() {
                    [d, "pipe", s] => active.push((s.to_string(), d.to_string())),
                    [d, "unpipe", s] => {
                        if let Some(i) = active.iter().position(|p| p.0 == *s && p.1 == *d) {
                            active.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    n
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

thread_local! {
    /// The scenario runs in `block_on` on this thread (not as a task).
    static IN_BLOCK_ON: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Where a scenario's code runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// As a spawned task (on a worker of the multi-thread runtime), as user
    /// code usually does.
    Task,
    /// In `rt_stream::runtime::block_on` itself (the calling thread, not a
    /// worker, on a multi-thread runtime; its polls are marked so ticks wait
    /// for its synchronous code).
    BlockOn,
    /// In plain `Runtime::block_on` (unmarked: on a multi-thread runtime its
    /// ticks run on a worker at once; `RT_GEN_BLOCK_ON=plain`, to measure).
    PlainBlockOn,
}

/// Runs every scenario on `rt` and compares with node's logs; returns the failures.
fn compare(
    rt: &tokio::runtime::Runtime,
    scenarios: &[Value],
    expected: &[Vec<Vec<String>>],
    mode: Mode,
) -> Vec<(usize, String)> {
    assert_eq!(
        scenarios.len(),
        expected.len(),
        "node returned a log per scenario"
    );
    IN_BLOCK_ON.with(|b| b.set(mode != Mode::Task));
    let mut failures = Vec::new();
    // `RT_GEN_ONLY=76,2109` runs only those scenarios and prints both logs
    // in full when they differ (to debug one difference).
    let only: Option<Vec<usize>> = std::env::var("RT_GEN_ONLY")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    for (i, (sc, exp)) in scenarios.iter().zip(expected).enumerate() {
        if only.as_ref().is_some_and(|o| !o.contains(&i)) {
            continue;
        }
        if std::env::var_os("RT_GEN_TRACE").is_some() {
            eprintln!("scenario {i}: {sc}");
        }
        let sc2 = sc.clone();
        let got = match mode {
            Mode::BlockOn => rt_stream::runtime::block_on(rt, async move { run_scenario(&sc2).await }),
            Mode::PlainBlockOn => rt.block_on(async move { run_scenario(&sc2).await }),
            Mode::Task => on_task(rt, || format!("scenario {i} (ops: {sc})"), async move {
                run_scenario(&sc2).await
            }),
        };
        if &got != exp {
            if only.is_some() {
                for (k, (g, e)) in got.iter().zip(exp).enumerate() {
                    let mark = if g == e { " " } else { "*" };
                    eprintln!("{mark}{k} node: {e:?}\n{mark}{k} rt:   {g:?}");
                }
            }
            let first = got
                .iter()
                .zip(exp)
                .position(|(g, e)| g != e)
                .unwrap_or(got.len().min(exp.len()));
            failures.push((
                i,
                format!(
                    "scenario {i}: first difference at step {first}\n  ops:  {sc}\n  node: {:?}\n  rt:   {:?}",
                    exp.get(first),
                    got.get(first)
                ),
            ));
        }
    }
    failures
}

fn run_flavour(flavour: Flavour, mode: Mode) {
    // `RT_GEN_BLOCK_ON=1` runs the task-mode tests in marked block_on,
    // `RT_GEN_BLOCK_ON=plain` in plain `Runtime::block_on`.
    let mode = match std::env::var("RT_GEN_BLOCK_ON").as_deref() {
        Ok("plain") => Mode::PlainBlockOn,
        Ok(_) if mode == Mode::Task => Mode::BlockOn,
        _ => mode,
    };
    let rt = runtime(flavour);
    let flavour = match (flavour, mode) {
        (_, Mode::Task) => flavour.name().to_string(),
        (Flavour::CurrentThread, _) | (_, Mode::BlockOn) => format!("{}_block_on", flavour.name()),
        (_, Mode::PlainBlockOn) => format!("{}_plain_block_on", flavour.name()),
    };
    let seed = env_or("RT_GEN_SEED", DEFAULT_SEED);
    let count = env_or("RT_GEN_SCENARIOS", DEFAULT_SCENARIOS);
    let scenarios = generate(seed, count);
    let Some(expected) = node_answers::<Vec<Vec<String>>>(
        &format!("rt-stream generated differential ({flavour})"),
        RUNNER,
        &scenarios,
    ) else {
        return;
    };
    let failures = compare(&rt, &scenarios, &expected, mode);
    let steps: usize = expected.iter().map(|s| s.len()).sum();
    // 'pipe' / 'unpipe' events compared, each naming its source.
    let piping = expected
        .iter()
        .flatten()
        .flatten()
        .filter(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            w.len() == 3 && (w[1] == "pipe" || w[1] == "unpipe")
        })
        .count();
    // `finished` results compared (the future's result against Node's callback).
    let finished_results = expected
        .iter()
        .flatten()
        .flatten()
        .filter(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            w.len() == 3 && w[1] == "finished"
        })
        .count();
    // `setEncoding` steps compared.
    let set_encodings = expected
        .iter()
        .flatten()
        .filter(|st| st.first().is_some_and(|h| h.starts_with("set_encoding ")))
        .count();
    let dwp = destroy_while_piping(&scenarios, &expected);
    // `pipeline(...)` calls compared, and their results (the future's
    // result against Node's callback: ok, or the error's code).
    let pipeline_calls = scenarios
        .iter()
        .flat_map(|sc| sc.as_array().unwrap())
        .filter(|op| op["op"] == "pipeline")
        .count();
    let pipeline_results = expected
        .iter()
        .flatten()
        .flatten()
        .filter(|l| l.starts_with("pipeline ") && !l.contains("->"))
        .count();
    let default_run = count == DEFAULT_SCENARIOS && seed == DEFAULT_SEED;
    let known: &[usize] = if default_run { KNOWN_DIFFERENCES } else { &[] };
    println!(
        "rt-stream generated differential ({flavour}): {} scenarios, {steps} steps compared ({piping} 'pipe' / 'unpipe' events with their source, {finished_results} `finished` results, {set_encodings} `setEncoding` steps, {pipeline_calls} `pipeline` calls with {pipeline_results} results, {} destroy-while-piping steps: {} of a source, {} of a destination, {} with an error), {} differ ({} known)",
        scenarios.len(),
        dwp.steps,
        dwp.source,
        dwp.destination,
        dwp.with_error,
        failures.len(),
        known.len()
    );
    if let Ok(path) = std::env::var("RT_GEN_DUMP") {
        let text: Vec<&str> = failures.iter().map(|f| f.1.as_str()).collect();
        std::fs::write(format!("{path}.{flavour}"), text.join("\n")).expect("write RT_GEN_DUMP");
    }
    if default_run {
        assert_eq!(scenarios.len(), DEFAULT_SCENARIOS);
        assert!(steps > 30_000, "only {steps} steps compared");
        assert!(piping > 400, "only {piping} 'pipe' / 'unpipe' events compared");
        assert!(
            finished_results > 1000,
            "only {finished_results} `finished` results compared"
        );
        assert!(
            set_encodings > 1000,
            "only {set_encodings} `setEncoding` steps compared"
        );
        assert!(
            pipeline_calls > 250 && pipeline_results > 150,
            "only {pipeline_calls} `pipeline` calls ({pipeline_results} results) compared"
        );
        assert!(
            dwp.steps > 300 && dwp.source > 100 && dwp.destination > 100,
            "too few destroy-while-piping steps compared: {dwp:?}"
        );
        assert!(
            dwp.with_error > 100 && dwp.steps - dwp.with_error > 100,
            "too few destroy-while-piping steps with and without an error: {dwp:?}"
        );
    }
    let unexpected: Vec<&str> = failures
        .iter()
        .filter(|f| !known.contains(&f.0))
        .take(20)
        .map(|f| f.1.as_str())
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} of {} scenarios differ from node ({flavour}); first unexpected ones:\n{}",
        failures.len(),
        scenarios.len(),
        unexpected.join("\n")
    );
    let fixed: Vec<usize> = known
        .iter()
        .copied()
        .filter(|k| !failures.iter().any(|f| f.0 == *k))
        .collect();
    assert!(
        fixed.is_empty(),
        "scenarios {fixed:?} match node now: remove them from KNOWN_DIFFERENCES"
    );
}

#[test]
fn generated_scenarios_match_node_current_thread() {
    run_flavour(Flavour::CurrentThread, Mode::Task);
}

#[test]
fn generated_scenarios_match_node_multi_thread() {
    run_flavour(Flavour::MultiThread, Mode::Task);
}

/// The scenarios run in `rt_stream::runtime::block_on` on a multi-thread
/// runtime: the `block_on` thread is no worker, and its marked polls hold
/// their ticks as a task's are held (plain `Runtime::block_on` there differs
/// in 45-598 scenarios per run: its ticks run on a worker at once).
#[test]
fn generated_scenarios_match_node_multi_thread_block_on() {
    run_flavour(Flavour::MultiThread, Mode::BlockOn);
}

/// Scenarios the generator found outside the default run (other seeds,
/// 10,000 scenarios each, or an earlier weighting of the generator), kept
/// as fixed cases so their fixes stay proven. Each failed before its fix.
const FOUND: &[(&str, &str)] = &[
    (
        // Node's kBuffered stays set while clearBuffer writes the buffered
        // chunks: a PassThrough's end chunk completing inside clearBuffer
        // does not emit 'prefinish' before the first write's callback.
        "buffered writes complete before 'prefinish'",
        r#"[{"half":false,"hwm":1,"id":"a","kind":"P","obj":false,"op":"new"},{"id":"a","n":0,"op":"read"},{"cb":true,"chunk":"b1","id":"a","op":"write"},{"cb":true,"chunk":"","id":"a","op":"write"},{"id":"a","n":1,"op":"read"},{"cb":true,"chunk":"d3","id":"a","op":"write"},{"id":"a","op":"finished"},{"id":"a","op":"state"},{"cb":true,"chunk":"a4","id":"a","op":"end"},{"id":"a","op":"read"},{"err":"boom","id":"a","op":"destroy"},{"id":"a","op":"state"}]"#,
    ),
    (
        // A pipe added after the source's 'end' ends (or unpipes) only its
        // own destination on the next tick: the earlier pipe's end() is not
        // run again (it would uncork the destination).
        "a pipe from an ended source ends only its own destination",
        r#"[{"hwm":3,"id":"a","items":["s0","s1","s2"],"kind":"R","obj":true,"op":"new","src":"sync"},{"final":false,"id":"b","kind":"W","obj":false,"op":"new","sink":"manual","writev":true},{"cb":false,"chunk":"a1","id":"b","op":"write"},{"id":"a","op":"read"},{"id":"b","op":"complete"},{"dst":"b","end":true,"op":"pipe","src":"a"},{"ev":"data","id":"a","op":"on"},{"id":"b","op":"cork"},{"dst":"b","end":false,"op":"pipe","src":"a"},{"id":"a","n":3,"op":"read"},{"id":"b","op":"complete"},{"id":"a","op":"state"},{"id":"b","op":"state"}]"#,
    ),
    (
        // A destination piped twice: the pipe that paused the source owns
        // the drain listener; unpiping the other one does not resume it,
        // unpiping the paused one does (Node's per-pipe ondrain and its
        // multiAwaitDrain Set).
        "a destination piped twice: unpipe resumes per pipe",
        r#"[{"half":false,"hwm":0,"id":"a","kind":"P","obj":true,"op":"new"},{"final":true,"hwm":4,"id":"b","kind":"W","obj":false,"op":"new","sink":"manual","writev":false},{"dst":"b","end":true,"op":"pipe","src":"a"},{"id":"b","op":"complete"},{"ev":"data","id":"a","op":"on"},{"id":"b","op":"complete"},{"dst":"b","end":true,"op":"pipe","src":"a"},{"cb":false,"chunk":"x1","id":"a","op":"end"},{"id":"b","op":"complete"},{"cb":true,"chunk":"d2","id":"b","op":"write"},{"cb":false,"chunk":"d3","id":"b","op":"write"},{"dst":"b","op":"unpipe","src":"a"},{"op":"unpipe","src":"a"},{"err":"disk","id":"b","op":"complete"},{"cb":false,"chunk":"a4","id":"a","op":"write"},{"id":"b","op":"complete"},{"id":"a","op":"state"}]"#,
    ),
    (
        // Destroying the destination of two pipes from one source with an
        // error: the source resumes for its 'data' listener.
        "destroying a destination piped twice",
        r#"[{"final":true,"half":true,"hwm":16,"id":"a","kind":"D","obj":false,"op":"new","sink":"sync"},{"flush":true,"half":false,"hwm":0,"id":"b","kind":"T","obj":false,"op":"new"},{"id":"a","n":100,"op":"read"},{"dst":"b","end":false,"op":"pipe","src":"a"},{"dst":"a","op":"unpipe","src":"a"},{"chunk":"a1","id":"a","op":"push"},{"id":"a","op":"uncork"},{"cb":false,"chunk":"b2","id":"a","op":"write"},{"hex":"ac41","id":"a","op":"push"},{"dst":"b","end":false,"op":"pipe","src":"a"},{"ev":"data","id":"a","op":"on"},{"id":"a","op":"set_encoding"},{"err":"boom","id":"b","op":"destroy"},{"id":"a","op":"push_end"},{"id":"b","op":"destroy"},{"chunk":"b4","id":"a","op":"push"},{"id":"a","op":"state"},{"id":"b","op":"state"}]"#,
    ),
];

/// The [`FOUND`] scenarios match node on every flavour.
#[test]
fn found_scenarios_match_node() {
    let scenarios: Vec<Value> = FOUND
        .iter()
        .map(|(what, text)| serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}")))
        .collect();
    let Some(expected) = node_answers::<Vec<Vec<String>>>(
        "rt-stream generated differential (found scenarios)",
        RUNNER,
        &scenarios,
    ) else {
        return;
    };
    assert_eq!(expected.len(), FOUND.len(), "node ran every found scenario");
    let mut compared = 0;
    for (flavour, mode) in [
        (Flavour::CurrentThread, Mode::Task),
        (Flavour::MultiThread, Mode::Task),
        (Flavour::MultiThread, Mode::BlockOn),
    ] {
        let rt = runtime(flavour);
        let failures = compare(&rt, &scenarios, &expected, mode);
        let text: Vec<String> = failures
            .iter()
            .map(|(i, f)| format!("{}: {f}", FOUND[*i].0))
            .collect();
        assert!(
            failures.is_empty(),
            "found scenarios differ from node ({mode:?}, {}):\n{}",
            flavour.name(),
            text.join("\n")
        );
        compared += scenarios.len();
    }
    assert_eq!(compared, 3 * FOUND.len());
    println!(
        "rt-stream found scenarios: {} scenarios x 3 flavours compared, 0 differ",
        FOUND.len()
    );
}

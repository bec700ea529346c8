//! Differential test: scripted stream scenarios run by `node` (tests/node/scenario.js)
//! and by rt-stream; the logs must match.
//!
//! A scenario is a list of steps in a small operation language (create a
//! readable / writable / passthrough with options and behaviours, write, end,
//! cork, uncork, push, read, pause, resume, pipe, unpipe, destroy, complete a
//! pending write, query state). Each step's log is its return value followed
//! by the events it caused, taken after the step has settled (Node: five
//! `setImmediate` turns; rt: the current-thread runtime runs its tasks until
//! idle). Node's `process.nextTick` work corresponds to rt's tick queue; see
//! the crate docs.
#![allow(missing_docs)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rt_stream::*;
use serde_json::{Value, json};
use support::scenario::{Log, S, TestSink, ev, show};
use support::{Flavour, node_answers, runtime};

#[macro_use]
mod support;

fn watch(log: &Log, id: &str, s: &S) {
    let evs = [
        StreamEvent::End,
        StreamEvent::Close,
        StreamEvent::Finish,
        StreamEvent::Drain,
        StreamEvent::Pause,
        StreamEvent::Resume,
        StreamEvent::Prefinish,
        StreamEvent::Pipe,
        StreamEvent::Unpipe,
    ];
    for e in evs {
        let l = log.clone();
        let name = format!("{id} {}", e.name());
        any!(s, x => { x.on(e, move || ev(&l, name.clone())); });
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

fn err(op: &Value) -> Option<Error> {
    op["err"].as_str().map(|m| Error::new("ERR_TEST", m))
}

async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

async fn run_scenario(sc: &Value) -> Vec<Vec<String>> {
    let mut streams: HashMap<String, S> = HashMap::new();
    let mut pending: HashMap<String, Arc<Mutex<VecDeque<Completion>>>> = HashMap::new();
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let mut steps = Vec::new();
    for op in sc.as_array().unwrap() {
        log.lock().unwrap().clear();
        let id = op["id"].as_str().unwrap_or("").to_string();
        let s = streams.get(&id).cloned();
        let hwm = op["hwm"].as_u64().map(|n| n as usize);
        let obj = op["obj"].as_bool().unwrap_or(false);
        let name = op["op"].as_str().unwrap();
        let ret: String = match name {
            "readable" => {
                let opts = {
                    let mut o = ReadableOptions::default().object_mode(obj);
                    o.high_water_mark = hwm;
                    o
                };
                let mut items: VecDeque<String> = op["items"]
                    .as_array()
                    .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default();
                let sync = op["src"].as_str() == Some("sync");
                let l = log.clone();
                let rid = id.clone();
                let r = Readable::from_source(
                    move |_n: usize, p: &Pusher<Buffer>| {
                        ev(&l, format!("{rid} _read"));
                        if sync {
                            match items.pop_front() {
                                Some(it) => {
                                    p.push(it.as_str());
                                }
                                None => p.push_end(),
                            }
                        }
                    },
                    opts,
                );
                let s = S::R(r);
                watch(&log, &id, &s);
                streams.insert(id.clone(), s);
                "ok".into()
            }
            "writable" => {
                let q = Arc::new(Mutex::new(VecDeque::new()));
                pending.insert(id.clone(), q.clone());
                let sink = TestSink {
                    id: id.clone(),
                    log: log.clone(),
                    manual: op["sink"].as_str() == Some("manual"),
                    writev: op["writev"].as_bool().unwrap_or(false),
                    final_: op["final"].as_bool().unwrap_or(false),
                    pending: q,
                };
                let w = Writable::new(sink, {
                    let mut o = WritableOptions::default().object_mode(obj);
                    o.high_water_mark = hwm;
                    o
                });
                let s = S::W(w);
                watch(&log, &id, &s);
                streams.insert(id.clone(), s);
                "ok".into()
            }
            "passthrough" => {
                let d = PassThrough::new({
                    let mut o = DuplexOptions::default().object_mode(obj);
                    o.high_water_mark = hwm;
                    o
                });
                let s = S::D(d);
                watch(&log, &id, &s);
                streams.insert(id.clone(), s);
                "ok".into()
            }
            "on" => {
                let s = s.unwrap();
                let l = log.clone();
                let i2 = id.clone();
                if op["ev"] == "data" {
                    rd!(&s, x => { x.on_data(move |c| ev(&l, format!("{i2} data {}", show(c)))); });
                } else {
                    rd!(&s, x => { x.on(StreamEvent::Readable, move || ev(&l, format!("{i2} readable"))); });
                }
                "ok".into()
            }
            "push" => rd!(&s.unwrap(), x => x.push(chunk(op)).to_string()),
            "push_end" => {
                rd!(&s.unwrap(), x => x.push_end());
                "ok".into()
            }
            "unshift" => rd!(&s.unwrap(), x => x.unshift(chunk(op)).to_string()),
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
                rd!(&s.unwrap(), x => x.set_encoding("utf8").unwrap());
                "ok".into()
            }
            "write" => {
                let s = s.unwrap();
                let r = if op["cb"].as_bool() == Some(true) {
                    let l = log.clone();
                    let i2 = id.clone();
                    wr!(&s, x => x.write_cb(chunk(op), move |e| ev(&l, format!("{i2} cb {}", e.err().map(|e| e.code().to_string()).unwrap_or_else(|| "ok".into())))))
                } else {
                    wr!(&s, x => x.write(chunk(op)))
                };
                r.unwrap_or(false).to_string()
            }
            "end" => {
                let s = s.unwrap();
                let c = if op.get("chunk").is_some() || op.get("hex").is_some() {
                    Some(chunk(op))
                } else {
                    None
                };
                if op["cb"].as_bool() == Some(true) {
                    let l = log.clone();
                    let i2 = id.clone();
                    if let Some(c) = c {
                        let _ = wr!(&s, x => x.write(c));
                    }
                    wr!(&s, x => x.end_cb(move |e| ev(&l, format!("{i2} endcb {}", e.err().map(|e| e.code().to_string()).unwrap_or_else(|| "ok".into())))));
                } else if let Some(c) = c {
                    let _ = wr!(&s, x => x.end_with(c));
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
                let c = pending[&id].lock().unwrap().pop_front();
                match c {
                    Some(c) => {
                        c.complete(match err(op) {
                            Some(e) => Err(e),
                            None => Ok(()),
                        });
                        "ok".into()
                    }
                    None => "none".into(),
                }
            }
            "destroy" => {
                any!(&s.unwrap(), x => x.destroy(err(op)));
                "ok".into()
            }
            "pipe" => {
                let src = streams[op["src"].as_str().unwrap()].clone();
                let dst = streams[op["dst"].as_str().unwrap()].clone();
                let opts = PipeOptions::default().end(op["end"].as_bool() != Some(false));
                match dst {
                    S::W(w) => {
                        rd!(&src, x => { x.pipe_with(&w, opts); });
                    }
                    S::D(d) => {
                        rd!(&src, x => { x.pipe_with(&d, opts); });
                    }
                    S::R(_) => panic!("pipe into readable"),
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
            "state" => {
                let s = s.unwrap();
                let mut parts = Vec::new();
                let fl = |f: Option<bool>| match f {
                    None => "null".to_string(),
                    Some(b) => b.to_string(),
                };
                match &s {
                    S::R(x) => parts.push(format!(
                        "rlen={} flowing={} paused={} ended={}",
                        x.readable_length(),
                        fl(x.readable_flowing()),
                        x.is_paused(),
                        x.readable_ended()
                    )),
                    S::D(x) => parts.push(format!(
                        "rlen={} flowing={} paused={} ended={}",
                        x.readable_length(),
                        fl(x.readable_flowing()),
                        x.is_paused(),
                        x.readable_ended()
                    )),
                    S::W(_) => {}
                }
                match &s {
                    S::W(x) => parts.push(format!(
                        "wlen={} drain={} wended={} finished={}",
                        x.writable_length(),
                        x.writable_need_drain(),
                        x.writable_ended(),
                        x.writable_finished()
                    )),
                    S::D(x) => parts.push(format!(
                        "wlen={} drain={} wended={} finished={}",
                        x.writable_length(),
                        x.writable_need_drain(),
                        x.writable_ended(),
                        x.writable_finished()
                    )),
                    S::R(_) => {}
                }
                parts.push(format!("destroyed={}", any!(&s, x => x.destroyed())));
                parts.join(" ")
            }
            other => panic!("unknown op {other}"),
        };
        settle().await;
        let mut step = vec![format!("{name} -> {ret}")];
        step.extend(log.lock().unwrap().drain(..));
        steps.push(step);
    }
    steps
}

fn w(id: &str, hwm: u64, sink: &str) -> Value {
    json!({"op": "writable", "id": id, "hwm": hwm, "sink": sink})
}
fn wr(id: &str, c: &str) -> Value {
    json!({"op": "write", "id": id, "chunk": c})
}
fn op(o: &str, id: &str) -> Value {
    json!({"op": o, "id": id})
}
fn push(id: &str, c: &str) -> Value {
    json!({"op": "push", "id": id, "chunk": c})
}
fn r(id: &str, hwm: u64) -> Value {
    json!({"op": "readable", "id": id, "hwm": hwm})
}
fn read(id: &str, n: Option<u64>) -> Value {
    match n {
        Some(n) => json!({"op": "read", "id": id, "n": n}),
        None => json!({"op": "read", "id": id}),
    }
}

fn scenarios() -> Vec<Value> {
    let mut v = vec![
        // 1. write() return values and 'drain' with a synchronous sink
        json!([
            w("w", 4, "sync"),
            wr("w", "ab"),
            wr("w", "cdef"),
            wr("w", "g"),
            op("state", "w"),
            op("end", "w")
        ]),
        // 2. backpressure with a slow (manual) sink
        json!([
            w("w", 4, "manual"),
            json!({"op":"write","id":"w","chunk":"ab","cb":true}),
            wr("w", "cd"),
            op("state", "w"),
            op("complete", "w"),
            op("state", "w"),
            op("complete", "w"),
            op("end", "w")
        ]),
        // 3. end(chunk): finish then close
        json!([
            w("w", 16, "sync"),
            json!({"op":"end","id":"w","chunk":"last"}),
            op("state", "w")
        ]),
        // 4. write after end: error, then close
        json!([
            w("w", 16, "sync"),
            op("end", "w"),
            json!({"op":"write","id":"w","chunk":"x","cb":true}),
            op("state", "w")
        ]),
        // 5. end twice, end after finish
        json!([
            w("w", 16, "manual"),
            wr("w", "a"),
            json!({"op":"end","id":"w","cb":true}),
            json!({"op":"end","id":"w","cb":true}),
            op("complete", "w"),
            json!({"op":"end","id":"w","cb":true})
        ]),
        // 6. cork/uncork flushes as one writev batch
        json!([
            json!({"op":"writable","id":"w","hwm":16,"sink":"sync","writev":true}),
            op("cork", "w"),
            wr("w", "a"),
            wr("w", "b"),
            wr("w", "c"),
            op("state", "w"),
            op("uncork", "w"),
            op("end", "w")
        ]),
        // 7. nested cork
        json!([
            json!({"op":"writable","id":"w","hwm":16,"sink":"sync","writev":true}),
            op("cork", "w"),
            op("cork", "w"),
            wr("w", "a"),
            wr("w", "b"),
            op("uncork", "w"),
            op("state", "w"),
            op("uncork", "w")
        ]),
        // 8. cork without writev: one write per chunk
        json!([
            w("w", 16, "sync"),
            op("cork", "w"),
            wr("w", "a"),
            wr("w", "b"),
            op("uncork", "w")
        ]),
        // 9. end while corked flushes
        json!([
            json!({"op":"writable","id":"w","hwm":16,"sink":"sync","writev":true}),
            op("cork", "w"),
            wr("w", "a"),
            wr("w", "b"),
            op("end", "w")
        ]),
        // 10. destroy while writes are in flight
        json!([
            w("w", 16, "manual"),
            json!({"op":"write","id":"w","chunk":"a","cb":true}),
            json!({"op":"write","id":"w","chunk":"b","cb":true}),
            op("destroy", "w"),
            op("complete", "w"),
            op("state", "w"),
            wr("w", "c")
        ]),
        // 11. destroy(err): error then close
        json!([
            w("w", 16, "sync"),
            json!({"op":"destroy","id":"w","err":"boom"}),
            op("state", "w")
        ]),
        // 12. a failing write
        json!([
            w("w", 16, "manual"),
            json!({"op":"write","id":"w","chunk":"a","cb":true}),
            wr("w", "b"),
            json!({"op":"complete","id":"w","err":"disk"}),
            op("state", "w")
        ]),
        // 13. final hook: _final, prefinish, finish, close
        json!([
            json!({"op":"writable","id":"w","hwm":16,"sink":"sync","final":true}),
            wr("w", "a"),
            op("end", "w")
        ]),
        // 14. flowing with a data listener
        json!([
            r("r", 16),
            json!({"op":"on","id":"r","ev":"data"}),
            push("r", "a"),
            push("r", "b"),
            op("push_end", "r"),
            op("state", "r")
        ]),
        // 15. paused mode: read() concatenates
        json!([
            r("r", 16),
            push("r", "a"),
            push("r", "b"),
            op("state", "r"),
            read("r", None),
            op("push_end", "r"),
            read("r", None)
        ]),
        // 16. read(n) rules
        json!([
            r("r", 16),
            push("r", "hello"),
            read("r", Some(2)),
            read("r", Some(10)),
            op("push_end", "r"),
            read("r", Some(10)),
            read("r", None)
        ]),
        // 17. a readable listener
        json!([
            r("r", 16),
            json!({"op":"on","id":"r","ev":"readable"}),
            push("r", "x"),
            read("r", None),
            read("r", None),
            op("push_end", "r"),
            read("r", None)
        ]),
        // 18. pause/resume with a data listener
        json!([
            r("r", 16),
            json!({"op":"on","id":"r","ev":"data"}),
            push("r", "a"),
            op("pause", "r"),
            push("r", "b"),
            op("state", "r"),
            op("resume", "r"),
            op("state", "r")
        ]),
        // 19. push after EOF
        json!([
            r("r", 16),
            op("push_end", "r"),
            push("r", "late"),
            op("state", "r")
        ]),
        // 20. unshift
        json!([
            r("r", 16),
            push("r", "world"),
            json!({"op":"unshift","id":"r","chunk":"hello "}),
            read("r", None)
        ]),
        // 21. object mode marks
        json!([
            json!({"op":"readable","id":"r","hwm":2,"obj":true}),
            push("r", "a"),
            push("r", "b"),
            push("r", "c"),
            op("state", "r"),
            read("r", None),
            read("r", None)
        ]),
        // 22. a synchronous source, flowing
        json!([
            json!({"op":"readable","id":"r","hwm":16,"src":"sync","items":["a","b","c"]}),
            json!({"op":"on","id":"r","ev":"data"}),
            op("state", "r")
        ]),
        // 23. a synchronous source, paused reads
        json!([
            json!({"op":"readable","id":"r","hwm":2,"src":"sync","items":["aa","bb","cc"]}),
            read("r", None),
            read("r", Some(1)),
            read("r", None),
            read("r", None),
            read("r", None)
        ]),
        // 24. setEncoding never splits a character
        json!([
            r("r", 16),
            op("set_encoding", "r"),
            json!({"op":"push","id":"r","hex":"e282"}),
            read("r", None),
            json!({"op":"push","id":"r","hex":"ac41"}),
            read("r", None)
        ]),
        // 25. destroying a readable
        json!([
            r("r", 16),
            push("r", "a"),
            op("destroy", "r"),
            op("state", "r"),
            push("r", "b")
        ]),
        // 26. pipe into a synchronous sink
        json!([
            r("r", 16),
            w("w", 16, "sync"),
            json!({"op":"pipe","src":"r","dst":"w"}),
            push("r", "a"),
            push("r", "b"),
            op("push_end", "r"),
            op("state", "w")
        ]),
        // 27. pipe with backpressure (slow destination)
        json!([
            r("r", 16),
            w("w", 1, "manual"),
            push("r", "a"),
            push("r", "b"),
            json!({"op":"pipe","src":"r","dst":"w"}),
            op("state", "r"),
            op("complete", "w"),
            op("complete", "w"),
            op("push_end", "r"),
            op("state", "w")
        ]),
        // 28. pipe with end: false
        json!([
            r("r", 16),
            w("w", 16, "sync"),
            json!({"op":"pipe","src":"r","dst":"w","end":false}),
            push("r", "a"),
            op("push_end", "r"),
            op("state", "w")
        ]),
        // 29. unpipe
        json!([
            r("r", 16),
            w("w", 16, "sync"),
            json!({"op":"pipe","src":"r","dst":"w"}),
            push("r", "a"),
            json!({"op":"unpipe","src":"r","dst":"w"}),
            push("r", "b"),
            op("state", "r"),
            op("state", "w")
        ]),
        // 30. passthrough: write then read
        json!([
            json!({"op":"passthrough","id":"t","hwm":16}),
            json!({"op":"write","id":"t","chunk":"x"}),
            read("t", None),
            op("end", "t"),
            read("t", None),
            op("state", "t")
        ]),
        // 31. chain through a passthrough
        json!([
            r("r", 16),
            json!({"op":"passthrough","id":"t","hwm":16}),
            w("w", 16, "sync"),
            json!({"op":"pipe","src":"r","dst":"t"}),
            json!({"op":"pipe","src":"t","dst":"w"}),
            push("r", "a"),
            push("r", "b"),
            op("push_end", "r"),
            op("state", "w")
        ]),
        // 32. resume without a data listener discards, then ends
        json!([
            r("r", 16),
            push("r", "a"),
            op("resume", "r"),
            op("push_end", "r"),
            op("state", "r")
        ]),
        // 33. write callbacks and drain order
        json!([
            w("w", 2, "sync"),
            json!({"op":"write","id":"w","chunk":"abc","cb":true}),
            json!({"op":"write","id":"w","chunk":"d","cb":true}),
            op("end", "w")
        ]),
        // 34. destroy a readable with an error
        json!([
            r("r", 16),
            json!({"op":"on","id":"r","ev":"data"}),
            json!({"op":"destroy","id":"r","err":"bad"}),
            op("state", "r")
        ]),
        // 35. hwm 0 readable
        json!([
            r("r", 0),
            push("r", "a"),
            read("r", None),
            op("push_end", "r"),
            read("r", None)
        ]),
        // 36. manual writev batches that piled up
        json!([
            json!({"op":"writable","id":"w","hwm":16,"sink":"manual","writev":true}),
            wr("w", "a"),
            wr("w", "b"),
            wr("w", "c"),
            op("complete", "w"),
            op("complete", "w"),
            op("end", "w")
        ]),
    ];
    // Seeded random write/complete/cork sequences against a manual sink.
    let mut rng = rt_tests::rng::Rng::new(0x5eed_57ea);
    for _ in 0..12 {
        let hwm = rng.range(1, 8) as u64;
        let writev = rng.chance(1, 2);
        let mut ops = vec![json!({"op":"writable","id":"w","hwm":hwm,"sink":"manual","writev":writev})];
        for i in 0..rng.range(4, 14) {
            let o = match rng.below(6) {
                0 | 1 => {
                    json!({"op":"write","id":"w","chunk": "x".repeat(rng.range(1, 5) as usize) + &i.to_string(), "cb": rng.chance(1, 2)})
                }
                2 => op("complete", "w"),
                3 => op("cork", "w"),
                4 => op("uncork", "w"),
                _ => op("state", "w"),
            };
            ops.push(o);
        }
        ops.push(json!({"op":"end","id":"w","cb":true}));
        for _ in 0..6 {
            ops.push(op("complete", "w"));
        }
        v.push(Value::Array(ops));
    }
    v
}

#[test]
fn scenarios_match_node() {
    let scenarios = scenarios();
    // 36 hand-written scenarios + 12 seeded random write/cork sequences.
    assert_eq!(scenarios.len(), 48, "scenario list changed size");
    // One event log per scenario (node_answers asserts it).
    let Some(expected) = node_answers::<Vec<Vec<String>>>(
        "rt-stream differential scenarios",
        include_str!("node/scenario.js"),
        &scenarios,
    ) else {
        return;
    };
    let rt = runtime(Flavour::CurrentThread);
    let mut failures = Vec::new();
    for (i, (sc, exp)) in scenarios.iter().zip(expected.iter()).enumerate() {
        let got = rt.block_on(run_scenario(sc));
        if &got != exp {
            failures.push(format!(
                "scenario {}:\n  ops:  {}\n  node: {:?}\n  rt:   {:?}",
                i + 1,
                sc,
                exp,
                got
            ));
        }
    }
    println!("rt-stream differential: {} scenarios compared", scenarios.len());
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
    println!("compared {} scenarios with node", scenarios.len());
}

//! `rt_stream::runtime::next_tick` (Node's `process.nextTick`): it runs
//! after the section that queued it, in order with the streams' own ticks
//! (compared with what node prints for the same code), and at once outside
//! a runtime.
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rt_stream::{Buffer, Readable, StreamEvent};
use rt_tests::node::node_or_skip;
use rt_tests::wait::within;
use support::scenario::{Log, ev};
use support::{Flavour, runtime};

mod support;

fn push(l: &Log, s: &str) {
    ev(l, s.to_string());
}

fn rt() -> tokio::runtime::Runtime {
    runtime(Flavour::MultiThread)
}

/// Ticks queued by the closure and by a stream's flow, interleaved, and a
/// tick queued by a tick: the order node prints for the same code.
#[test]
fn next_tick_runs_in_order_with_the_streams_ticks_as_node() {
    let Some(node) = node_or_skip("next_tick_runs_in_order_with_the_streams_ticks_as_node") else {
        return;
    };
    let script = r#"
const { Readable } = require('stream');
const log = [];
const r = new Readable({ read() {} });
r.push('a'); r.push(null);
process.nextTick(() => log.push('tick1'));
r.on('data', (c) => log.push('data ' + c));
process.nextTick(() => { log.push('tick2'); process.nextTick(() => log.push('tick3')); });
r.on('end', () => { log.push('end'); setImmediate(() => console.log(JSON.stringify(log))); });
"#;
    let node_saw: Vec<String> =
        serde_json::from_slice(&node.run_script(script, b"")).expect("node printed JSON");
    let log: Log = Arc::default();
    let l = log.clone();
    rt().block_on(rt_stream::runtime::sections(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let r = Readable::new(Default::default());
        r.push(Buffer::from("a"));
        r.push_end();
        let l1 = l.clone();
        rt_stream::runtime::next_tick(move || push(&l1, "tick1"));
        let l2 = l.clone();
        r.on_data(move |c| push(&l2, &format!("data {}", String::from_utf8_lossy(c))));
        let l3 = l.clone();
        rt_stream::runtime::next_tick(move || {
            push(&l3, "tick2");
            let l4 = l3.clone();
            rt_stream::runtime::next_tick(move || push(&l4, "tick3"));
        });
        let l5 = l.clone();
        r.on(StreamEvent::End, move || {
            push(&l5, "end");
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        });
        within(20, "the stream's 'end'", rx)
            .await
            .expect("'end' listener");
    }));
    // tick3 was queued by tick2, before 'end': let the queue settle.
    rt_tests::wait::wait_until(20, "tick3", || log.lock().unwrap().len() == node_saw.len());
    let rt_saw = log.lock().unwrap().clone();
    assert_eq!(node_saw.len(), 5, "node's entries");
    assert_eq!(rt_saw, node_saw, "rt vs node");
    println!("next_tick order: {} entries compared with node", rt_saw.len());
}

/// In a marked section the tick waits for the section's poll to end, however
/// long the synchronous code runs (the sleep gives a tick run early the time
/// to show). Mutation: running `f` at once in `next_tick` fails here.
#[test]
fn next_tick_waits_for_the_section_that_queued_it() {
    let ran = Arc::new(Mutex::new(false));
    let r = ran.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let before = rt_stream::runtime::block_on(&rt(), async move {
        let r2 = r.clone();
        rt_stream::runtime::next_tick(move || {
            *r2.lock().unwrap() = true;
            let _ = tx.send(());
        });
        std::thread::sleep(Duration::from_millis(30));
        let before = *r.lock().unwrap();
        within(20, "the tick", rx).await.expect("the tick ran");
        before
    });
    assert!(!before, "the tick ran inside the section that queued it");
    assert!(*ran.lock().unwrap());
}

/// Outside any runtime there is no queue: `f` runs at once.
#[test]
fn next_tick_outside_a_runtime_runs_at_once() {
    let ran = Arc::new(Mutex::new(false));
    let r = ran.clone();
    rt_stream::runtime::next_tick(move || *r.lock().unwrap() = true);
    assert!(*ran.lock().unwrap());
}

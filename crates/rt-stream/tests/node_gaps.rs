//! Regression tests for Node behaviours rt-stream got wrong (issue 8's list),
//! each checked against `node` v20 (the expected values are what node prints).
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use rt_stream::*;

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push_log(l: &Log, s: impl Into<String>) {
    l.lock().unwrap().push(s.into());
}

fn taken(l: &Log) -> Vec<String> {
    std::mem::take(&mut *l.lock().unwrap())
}

/// A sink that takes every chunk at once and logs it as hex.
fn logging_sink(l: &Log) -> impl Sink<Buffer> {
    struct S(Log);
    impl Sink<Buffer> for S {
        fn write(&mut self, chunk: Buffer) -> WriteOutcome {
            let hex: String = chunk.iter().map(|b| format!("{b:02x}")).collect();
            push_log(&self.0, format!("_write {hex}"));
            WriteOutcome::ok()
        }
    }
    S(l.clone())
}

fn cb_logger(l: &Log, name: &'static str) -> impl FnOnce(Result<(), Error>) + Send + 'static {
    let l = l.clone();
    move |r| {
        push_log(
            &l,
            format!(
                "{name} {}",
                r.err().map(|e| e.code().to_string()).unwrap_or("ok".into())
            ),
        )
    }
}

/// node: const d = new Duplex({read(){}, write(c,e,cb){cb()}}); d.write('a');
/// d.cork(); d.write('b', cb); d.destroy();
/// -> cb(ERR_STREAM_DESTROYED) on the next tick, writableLength 1 right
/// after destroy and 0 after the tick. (Node's Duplex uses Writable's
/// destroy, which fails the buffered writes: errorBuffer.) rt did this for
/// a Writable only: a Duplex kept the write (length 1, no callback).
#[test]
fn destroy_after_cork_fails_a_duplex_buffered_writes() {
    let l = log();
    let d = Duplex::new(
        DuplexOptions::default(),
        Some(|_: usize, _: &Pusher<Buffer>| {}),
        Some(logging_sink(&l)),
    );
    d.write("a").unwrap();
    d.cork();
    d.write_cb("b", cb_logger(&l, "cb")).unwrap();
    assert_eq!(d.writable_length(), 1);
    d.destroy(None);
    assert_eq!(taken(&l), ["_write 61", "cb ERR_STREAM_DESTROYED"]);
    assert_eq!(d.writable_length(), 0);
    assert!(!d.writable_need_drain());
}

/// node: const w = new Writable({decodeStrings: true, defaultEncoding: 'hex',
/// write(c,e,cb){log(c.toString('hex')); cb()}}); w.write('ff00', cb)
/// -> _write ff00, then cb (the string in the default encoding, with a callback).
#[test]
fn write_str_cb_uses_the_default_encoding() {
    let l = log();
    let w = Writable::new(
        logging_sink(&l),
        WritableOptions::default().default_encoding("hex"),
    );
    assert!(w.write_str_cb("ff00", cb_logger(&l, "cb")).unwrap());
    assert_eq!(taken(&l), ["_write ff00", "cb ok"]);
    w.set_default_encoding("latin1").unwrap();
    assert!(w.write_str_cb("\u{e9}", cb_logger(&l, "cb")).unwrap());
    assert_eq!(taken(&l), ["_write e9", "cb ok"]);
}

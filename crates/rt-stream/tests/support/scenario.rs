//! The rt side of a scenario, shared by the hand-written and the
//! generated differential suites: the log, a sink that logs what it is
//! given (completing at once or when the scenario says), and a scenario's
//! streams with the `rd!` / `wr!` / `any!` macros that reach them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rt_stream::*;

pub(crate) type Log = Arc<Mutex<Vec<String>>>;

pub(crate) fn ev(log: &Log, s: String) {
    log.lock().unwrap().push(s);
}

pub(crate) fn show(c: &Buffer) -> String {
    String::from_utf8_lossy(c).into_owned()
}

pub(crate) fn code(r: Result<(), Error>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => e.code().to_string(),
    }
}

pub(crate) struct TestSink {
    pub(crate) id: String,
    pub(crate) log: Log,
    pub(crate) manual: bool,
    pub(crate) writev: bool,
    pub(crate) final_: bool,
    pub(crate) pending: Arc<Mutex<VecDeque<Completion>>>,
}

impl TestSink {
    fn outcome(&self) -> WriteOutcome {
        if self.manual {
            let (c, o) = WriteOutcome::deferred();
            self.pending.lock().unwrap().push_back(c);
            o
        } else {
            WriteOutcome::ok()
        }
    }
}

impl Sink<Buffer> for TestSink {
    fn write(&mut self, chunk: Buffer) -> WriteOutcome {
        ev(&self.log, format!("{} _write {}", self.id, show(&chunk)));
        self.outcome()
    }
    fn writev(&mut self, chunks: Vec<Buffer>) -> WriteOutcome {
        let s: Vec<String> = chunks.iter().map(show).collect();
        ev(&self.log, format!("{} _writev {}", self.id, s.join(",")));
        self.outcome()
    }
    fn has_writev(&self) -> bool {
        self.writev
    }
    fn finish(&mut self) -> Option<WriteOutcome> {
        if self.final_ {
            ev(&self.log, format!("{} _final", self.id));
            Some(WriteOutcome::ok())
        } else {
            None
        }
    }
}

#[derive(Clone)]
pub(crate) enum S {
    R(Readable),
    W(Writable),
    D(Duplex),
}

/// `$e` with `$x` bound to the `$side` stream of `$s` (`S::$side`, or a
/// duplex, which is both); a stream of the `$other` kind is a mistake in the
/// scenario (`$what`: the side a step wanted, for the message). `rd!` and
/// `wr!` are its two uses.
macro_rules! side {
    ($s:expr, $side:ident, not $other:ident, $what:literal, $x:ident => $e:expr) => {
        match $s {
            S::$side($x) => $e,
            S::D($x) => $e,
            S::$other(_) => unreachable!(concat!("a scenario step takes a ", $what, " stream here")),
        }
    };
}
macro_rules! rd {
    ($s:expr, $x:ident => $e:expr) => {
        side!($s, R, not W, "readable", $x => $e)
    };
}
macro_rules! wr {
    ($s:expr, $x:ident => $e:expr) => {
        side!($s, W, not R, "writable", $x => $e)
    };
}
macro_rules! any {
    ($s:expr, $x:ident => $e:expr) => {
        match $s {
            S::W($x) => $e,
            S::D($x) => $e,
            S::R($x) => $e,
        }
    };
}

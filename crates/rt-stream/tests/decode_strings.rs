//! `decodeStrings`: what a byte writable's `_write` receives for strings in
//! every encoding, with `decodeStrings: false` (the string and its
//! encoding) and `true` (bytes, `'buffer'`), and the `writableLength` each
//! write adds (a string's `length`, or its bytes), compared with `node`.
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use rt_stream::*;
use serde_json::{Value, json};
use support::node_answers;

mod support;

/// For each case: a Writable with `decodeStrings` and `defaultEncoding`,
/// corked; `setDefaultEncoding(set)` if given; one write of a string (in
/// `enc`, or the default) or of bytes (`hex`); `writableLength`; uncork;
/// what `_write` saw. Encoding names are printed in Node's canonical
/// spelling (rt types them; Node passes them as written).
const RUNNER: &str = r#"
const { Writable } = require('stream');
const canon = (e) => e === 'buffer' ? e : ({ 'utf-8': 'utf8', binary: 'latin1', ucs2: 'utf16le', 'ucs-2': 'utf16le', 'utf-16le': 'utf16le' })[e.toLowerCase()] || e.toLowerCase();
runCases((c) => {
  const seen = [];
  const w = new Writable({ decodeStrings: c.decode, defaultEncoding: c.def, write(chunk, enc, cb) {
    seen.push(typeof chunk === 'string' ? `str ${JSON.stringify(chunk)} ${canon(enc)}` : `buf ${chunk.toString('hex')} ${enc}`); cb();
  } });
  if (c.set) w.setDefaultEncoding(c.set);
  w.cork();
  if (c.hex !== undefined) w.write(Buffer.from(c.hex, 'hex'));
  else if (c.enc) w.write(c.s, c.enc);
  else w.write(c.s);
  const len = w.writableLength;
  w.uncork();
  return `${seen.join(';')} len ${len}`;
});
"#;

fn cases() -> Vec<Value> {
    let strings = ["héllo", "😀x", "", "ff00", "aGk=", "ab\u{7f}\u{ff}"];
    let encodings = [
        None,
        Some("utf8"),
        Some("utf-8"),
        Some("UTF8"),
        Some("hex"),
        Some("HEX"),
        Some("base64"),
        Some("base64url"),
        Some("latin1"),
        Some("binary"),
        Some("ascii"),
        Some("ucs2"),
        Some("ucs-2"),
        Some("utf16le"),
        Some("utf-16le"),
    ];
    let mut out = Vec::new();
    for decode in [false, true] {
        for s in strings {
            for enc in encodings {
                let mut c = json!({ "decode": decode, "s": s, "def": "utf8" });
                if let Some(e) = enc {
                    c["enc"] = json!(e);
                }
                out.push(c);
            }
            // The default encoding from the options (as written) and from
            // setDefaultEncoding (Node lowercases that one).
            for def in ["latin1", "HEX", "base64", "ucs2"] {
                out.push(json!({ "decode": decode, "s": s, "def": def }));
                out.push(json!({ "decode": decode, "s": s, "def": "utf8", "set": def }));
            }
        }
        for hex in ["", "00ff", "e282ac"] {
            out.push(json!({ "decode": decode, "hex": hex, "def": "hex" }));
        }
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn from_hex(h: &str) -> Vec<u8> {
    (0..h.len() / 2)
        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn run_rt(c: &Value) -> String {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let s2 = seen.clone();
    let w = Writable::encoded_from_fn(
        WritableOptions::default()
            .decode_strings(c["decode"].as_bool().unwrap())
            .default_encoding(c["def"].as_str().unwrap()),
        move |chunk| {
            let line = match &chunk {
                EncodedChunk::Str(s, _) => format!("str {} {}", json!(s), chunk.encoding()),
                EncodedChunk::Buffer(b) => format!("buf {} {}", hex(b), chunk.encoding()),
            };
            s2.lock().unwrap().push(line);
            Ok(())
        },
    );
    if let Some(set) = c["set"].as_str() {
        w.set_default_encoding(set).unwrap();
    }
    w.cork();
    if let Some(h) = c["hex"].as_str() {
        w.write(Buffer::from(from_hex(h))).unwrap();
    } else if let Some(enc) = c["enc"].as_str() {
        w.write_str_in(c["s"].as_str().unwrap(), enc).unwrap();
    } else {
        w.write_str(c["s"].as_str().unwrap()).unwrap();
    }
    let len = w.writable_length();
    w.uncork();
    let seen = seen.lock().unwrap().join(";");
    format!("{seen} len {len}")
}

#[test]
fn write_receives_strings_as_node_with_decode_strings() {
    let cases = cases();
    let Some(expected) = node_answers::<String>("decode_strings", RUNNER, &cases) else {
        return;
    };
    assert_eq!(cases.len(), 2 * (6 * (15 + 8) + 3));
    let mut failures = Vec::new();
    for (c, exp) in cases.iter().zip(&expected) {
        let got = run_rt(c);
        if &got != exp {
            failures.push(format!("{c}\n  node: {exp}\n  rt:   {got}"));
        }
    }
    // Some cases must show the difference the option makes.
    assert!(expected.iter().any(|e| e.starts_with("str \"héllo\" latin1")));
    assert!(expected.iter().any(|e| e.starts_with("buf 68c3a96c6c6f buffer")));
    rt_tests::diff::assert_none_differ("decode_strings", &failures, cases.len());
}

/// Node: `write('abc', 'bogus')` throws ERR_UNKNOWN_ENCODING and writes
/// nothing; an unknown default encoding fails the stream.
#[test]
fn an_unknown_encoding_is_err_unknown_encoding() {
    let seen = Arc::new(Mutex::new(0));
    let s2 = seen.clone();
    let w = Writable::encoded_from_fn(WritableOptions::default().decode_strings(false), move |_| {
        *s2.lock().unwrap() += 1;
        Ok(())
    });
    let e = w.write_str_in("abc", "bogus").unwrap_err();
    assert_eq!(e.code(), "ERR_UNKNOWN_ENCODING");
    assert_eq!(
        w.set_default_encoding("bogus").unwrap_err().code(),
        "ERR_UNKNOWN_ENCODING"
    );
    assert_eq!(*seen.lock().unwrap(), 0);
    assert_eq!(w.writable_length(), 0);
    let w = Writable::encoded_from_fn(WritableOptions::default().default_encoding("bogus"), |_| Ok(()));
    assert_eq!(
        w.errored().map(|e| e.code().to_string()).as_deref(),
        Some("ERR_UNKNOWN_ENCODING")
    );
}

/// node: `const w = new Writable({ decodeStrings: false, highWaterMark: 4, writev(chunks, cb) {..}, write(c, e, cb) {..} })`,
/// `w.cork()`, `w.write('abc')` -> true, `w.write('😀')` -> false (a
/// string counts its UTF-16 length: 5), `w.write('6263', 'hex')`,
/// `w.write(Buffer.from('d'))`, `w.uncork()` -> writev gets
/// `"abc" utf8 | "😀" utf8 | "6263" hex | <64> buffer`.
#[test]
fn lengths_and_writev_see_strings() {
    struct V(Arc<Mutex<Vec<String>>>);
    impl Sink<EncodedChunk> for V {
        fn write(&mut self, c: EncodedChunk) -> WriteOutcome {
            self.0.lock().unwrap().push(format!("write {c:?}"));
            WriteOutcome::ok()
        }
        fn writev(&mut self, chunks: Vec<EncodedChunk>) -> WriteOutcome {
            let parts: Vec<String> = chunks
                .iter()
                .map(|c| match c {
                    EncodedChunk::Str(s, _) => format!("{s:?} {}", c.encoding()),
                    EncodedChunk::Buffer(b) => format!("<{}> {}", hex(b), c.encoding()),
                })
                .collect();
            self.0
                .lock()
                .unwrap()
                .push(format!("writev {}", parts.join(" | ")));
            WriteOutcome::ok()
        }
        fn has_writev(&self) -> bool {
            true
        }
    }
    let log = Arc::new(Mutex::new(Vec::new()));
    let w = Writable::encoded(
        V(log.clone()),
        WritableOptions::default()
            .decode_strings(false)
            .high_water_mark(4),
    );
    w.cork();
    assert!(w.write_str("abc").unwrap());
    assert!(!w.write_str("😀").unwrap());
    assert_eq!(w.writable_length(), 5);
    w.write_str_in("6263", "hex").unwrap();
    w.write(Buffer::from("d")).unwrap();
    assert_eq!(w.writable_length(), 10);
    w.uncork();
    assert_eq!(
        *log.lock().unwrap(),
        [r#"writev "abc" utf8 | "😀" utf8 | "6263" hex | <64> buffer"#]
    );
}

/// The same cases through a Duplex (`_write`) and a Transform
/// (`_transform`) built with `decodeStrings` and `defaultEncoding`.
const RUNNER_DUPLEX: &str = r#"
const { Duplex, Transform } = require('stream');
const canon = (e) => e === 'buffer' ? e : ({ 'utf-8': 'utf8', binary: 'latin1', ucs2: 'utf16le', 'ucs-2': 'utf16le', 'utf-16le': 'utf16le' })[e.toLowerCase()] || e.toLowerCase();
runCases((c) => {
  const seen = [];
  const take = (chunk, enc, cb) => {
    seen.push(typeof chunk === 'string' ? `str ${JSON.stringify(chunk)} ${canon(enc)}` : `buf ${chunk.toString('hex')} ${enc}`); cb();
  };
  const opts = { decodeStrings: c.decode, defaultEncoding: c.def };
  const w = c.kind === 'D' ? new Duplex({ ...opts, read() {}, write: take }) : new Transform({ ...opts, transform: take });
  if (c.set) w.setDefaultEncoding(c.set);
  w.cork();
  if (c.hex !== undefined) w.write(Buffer.from(c.hex, 'hex'));
  else if (c.enc) w.write(c.s, c.enc);
  else w.write(c.s);
  const len = w.writableLength;
  w.uncork();
  return `${seen.join(';')} len ${len}`;
});
"#;

fn show_encoded(chunk: &EncodedChunk) -> String {
    match chunk {
        EncodedChunk::Str(s, _) => format!("str {} {}", json!(s), chunk.encoding()),
        EncodedChunk::Buffer(b) => format!("buf {} {}", hex(b), chunk.encoding()),
    }
}

/// A sink for a duplex: logs what `_write` receives.
struct Seen(Arc<Mutex<Vec<String>>>);

impl Sink<EncodedChunk> for Seen {
    fn write(&mut self, chunk: EncodedChunk) -> WriteOutcome {
        self.0.lock().unwrap().push(show_encoded(&chunk));
        WriteOutcome::ok()
    }
}

fn run_rt_duplex(c: &Value) -> String {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let opts = DuplexOptions::default()
        .decode_strings(c["decode"].as_bool().unwrap())
        .default_encoding(c["def"].as_str().unwrap());
    let s2 = seen.clone();
    let w = if c["kind"] == "D" {
        Duplex::encoded(
            opts,
            Some(|_: usize, _: &Pusher<Buffer>| {}),
            Some(Seen(seen.clone())),
        )
    } else {
        Transform::encoded(opts, move |chunk, _push| {
            s2.lock().unwrap().push(show_encoded(&chunk));
            Ok(())
        })
    };
    if let Some(set) = c["set"].as_str() {
        w.set_default_encoding(set).unwrap();
    }
    w.cork();
    if let Some(h) = c["hex"].as_str() {
        w.write(Buffer::from(from_hex(h))).unwrap();
    } else if let Some(enc) = c["enc"].as_str() {
        w.write_str_in(c["s"].as_str().unwrap(), enc).unwrap();
    } else {
        w.write_str(c["s"].as_str().unwrap()).unwrap();
    }
    let len = w.writable_length();
    w.uncork();
    let seen = seen.lock().unwrap().join(";");
    format!("{seen} len {len}")
}

#[test]
fn duplex_and_transform_receive_strings_as_node_with_decode_strings() {
    let mut cases = Vec::new();
    for kind in ["D", "T"] {
        for mut c in self::cases() {
            c["kind"] = json!(kind);
            cases.push(c);
        }
    }
    let Some(expected) = node_answers::<String>("decode_strings duplex / transform", RUNNER_DUPLEX, &cases)
    else {
        return;
    };
    assert_eq!(cases.len(), 2 * 2 * (6 * (15 + 8) + 3));
    let mut failures = Vec::new();
    for (c, exp) in cases.iter().zip(&expected) {
        let got = run_rt_duplex(c);
        if &got != exp {
            failures.push(format!("{c}\n  node: {exp}\n  rt:   {got}"));
        }
    }
    assert!(expected.iter().any(|e| e.starts_with("str \"héllo\" latin1")));
    assert!(expected.iter().any(|e| e.starts_with("buf 68c3a96c6c6f buffer")));
    rt_tests::diff::assert_none_differ("decode_strings duplex / transform", &failures, cases.len());
}

//! Helpers shared by rt-buffer's conformance tests: seeded generators of hard
//! inputs, and running a batch through node as JSON.
#![allow(dead_code)]

use rt_tests::node::Node;
use rt_tests::rng::Rng;
use serde_json::Value;

/// Runs `script` with `input` (JSON) on stdin and parses its stdout as JSON.
pub(crate) fn node_json(node: &Node, script: &str, input: &Value) -> Value {
    let out = node.run_script(script, input.to_string().as_bytes());
    serde_json::from_slice(&out).expect("node printed JSON")
}

/// `v` as an array of exactly `expected` answers from node, one per case sent;
/// panics saying how many came back otherwise (a script that printed nothing,
/// or stopped halfway, must fail the test instead of comparing nothing).
#[track_caller]
pub(crate) fn node_answers<'a>(v: &'a Value, expected: usize, what: &str) -> &'a [Value] {
    let got = v
        .as_array()
        .unwrap_or_else(|| panic!("node's {what}: expected a JSON array, got {v}"));
    assert_eq!(
        got.len(),
        expected,
        "node returned {} {what} answers for {expected} cases",
        got.len()
    );
    got
}

pub(crate) fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(b.len() * 2);
    for &x in b {
        out.push(char::from(DIGITS[usize::from(x >> 4)]));
        out.push(char::from(DIGITS[usize::from(x & 15)]));
    }
    out
}

pub(crate) fn unhex(s: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("hex from node: bad digit {:?}", char::from(c)),
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| digit(p[0]) << 4 | digit(p[1]))
        .collect()
}

/// Byte strings that favour the hard parts of every decoder: invalid UTF-8 of
/// every kind, truncated and overlong sequences, surrogates, astral
/// characters, odd lengths, high bytes.
pub(crate) fn hard_bytes(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"a",
        b"Z",
        b" ",
        b"\0",
        b"\x7f",
        b"\x80",
        b"\xbf",
        b"\xc0",
        b"\xc1",
        b"\xc2",
        b"\xc2\x80",
        b"\xdf\xbf",
        b"\xe0",
        b"\xe0\x80",
        b"\xe0\xa0",
        b"\xe0\xa0\x80",
        b"\xe2\x82",
        b"\xe2\x82\xac",
        b"\xed\x9f\xbf",
        b"\xed\xa0\x80",
        b"\xed\xbf\xbf",
        b"\xef\xbf\xbd",
        b"\xef\xbf\xbf",
        b"\xf0",
        b"\xf0\x90",
        b"\xf0\x90\x80",
        b"\xf0\x9f\x98\x80",
        b"\xf0\x80\x80\x80",
        b"\xf4\x8f\xbf\xbf",
        b"\xf4\x90\x80\x80",
        b"\xf5\x80\x80\x80",
        b"\xf8\x88\x80\x80\x80",
        b"\xfe",
        b"\xff",
        b"\x3d\xd8",
        b"\x00\xdc",
        b"\x3d\xd8\x00\xde",
        b"\x00\xd8\x00\xd8",
    ];
    let len = match rng.below(10) {
        0 => 0,
        1..=6 => rng.below(12) as usize,
        7 | 8 => rng.below(80) as usize,
        _ => rng.below(400) as usize,
    };
    let mut out = Vec::new();
    while out.len() < len {
        match rng.below(4) {
            0 => {
                let n = 1 + rng.below(4) as usize;
                out.extend(rng.bytes(n))
            }
            1 => out.extend("héllo€😀世界".as_bytes()[..rng.below(20) as usize].iter()),
            _ => {
                let p: &[u8] = rng.pick::<&[u8]>(PIECES);
                out.extend_from_slice(p)
            }
        }
    }
    out
}

/// Strings that favour the hard parts of every encoder: ASCII, latin1, BMP
/// and astral characters, base64 and hex alphabets with whitespace, garbage,
/// and padding in odd places, characters whose UTF-16 low byte is meaningful.
pub(crate) fn hard_string(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "A",
        "z",
        "0",
        "9",
        "+",
        "/",
        "-",
        "_",
        "=",
        "==",
        " ",
        "\n",
        "\t",
        "\r",
        "\u{b}",
        "\u{c}",
        "!",
        "*",
        ".",
        "%",
        "é",
        "ÿ",
        "\u{80}",
        "€",
        "世",
        "Ł",
        "Ľ",
        "\u{130}",
        "\u{166}",
        "😀",
        "\u{10000}",
        "\u{10ffff}",
        "\u{ffff}",
        "\u{fffd}",
        "\0",
        "ab",
        "AB",
        "fF",
        "0g",
        "QUJD",
        "QQ",
        "Q",
        "YWJj",
        "ZA==",
        "ZGV",
        "-_8",
    ];
    let len = match rng.below(10) {
        0 => 0,
        1..=6 => rng.below(12) as usize,
        7 | 8 => rng.below(60) as usize,
        _ => rng.below(300) as usize,
    };
    let mut s = String::new();
    for _ in 0..len {
        match rng.below(5) {
            0 => {
                let c = rng.below(0x80) as u32;
                s.push(char::from_u32(c).unwrap_or('a'));
            }
            1 => {
                // Any scalar value.
                let c = loop {
                    let v = rng.below(0x11_0000) as u32;
                    if let Some(c) = char::from_u32(v) {
                        break c;
                    }
                };
                s.push(c);
            }
            _ => {
                let p: &str = rng.pick::<&str>(PIECES);
                s.push_str(p)
            }
        }
    }
    s
}

/// A base64 (or base64url) text of random bytes, then roughed up: whitespace
/// and garbage inserted, padding removed or misplaced, alphabets mixed.
pub(crate) fn rough_base64(rng: &mut Rng) -> String {
    let n = rng.below(64) as usize;
    let data = rng.bytes(n);
    let mut s = if rng.chance(1, 2) {
        rt_buffer::Buffer::from(data).to_string(rt_buffer::Encoding::Base64)
    } else {
        rt_buffer::Buffer::from(data).to_string(rt_buffer::Encoding::Base64url)
    };
    let edits = rng.below(4);
    for _ in 0..edits {
        let at = rng.below(s.len() as u64 + 1) as usize;
        let at = (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        match rng.below(6) {
            0 => s.insert(at, *rng.pick(&[' ', '\n', '\t', '\r'])),
            1 => s.insert(at, '='),
            2 => s.insert(at, *rng.pick(&['!', '.', '*', 'é', 'Ł', '😀'])),
            3 => {
                while s.ends_with('=') {
                    s.pop();
                }
            }
            4 => s.push_str("=="),
            _ => {
                if at < s.len() {
                    s.remove(at);
                }
            }
        }
    }
    s
}

/// A hex text of random bytes, then roughed up (odd length, bad digits, case).
pub(crate) fn rough_hex(rng: &mut Rng) -> String {
    let n = rng.below(40) as usize;
    let data = rng.bytes(n);
    let mut s = rt_buffer::Buffer::from(data).to_string(rt_buffer::Encoding::Hex);
    if rng.chance(1, 2) {
        s = s.to_uppercase();
    }
    match rng.below(4) {
        0 => s.push('a'),
        1 => {
            let at = rng.below(s.len() as u64 + 1) as usize;
            s.insert(at, *rng.pick(&['g', ' ', 'Ţ', 'x']));
        }
        _ => {}
    }
    s
}

//! A fixed-count loop of one of the buffer bench's 64 B codec figures, for
//! instruction-count profiles:
//!
//! ```sh
//! cargo build --release -p rt-buffer --example profile_codec
//! RT_BUFFER_NO_AVX512=1 valgrind --tool=callgrind \
//!     target/release/examples/profile_codec latin1-encode 100000
//! ```
//!
//! Figures: `latin1-encode`, `utf16le-encode`, `base64url-encode`,
//! `base64url-decode`, `latin1-decode`, `utf16le-decode` (the bench's inputs).
//! Run it with two counts and divide the difference in instructions by the
//! difference in counts to get instructions per call without the setup.
//! Valgrind cannot run AVX-512, hence `RT_BUFFER_NO_AVX512=1` under it: the
//! counts are those of the scalar twins, and the per-call overhead
//! (allocation, dispatch, the `Buffer`) is the same on both paths.

use std::hint::black_box;

use rt_buffer::{Buffer, Encoding};

const CJK: &str = "前端开发，Node.js 的 Buffer 用于处理二进制数据；字符串与缓冲区互转时，一个中文字符在 UTF-8 下占用 3 个字节。";
const LATIN1: &str = "Größe, café, naïve, façade, déjà vu, señor, Ålborg, smørrebrød. ";

/// The first `n` bytes of `sample`, cut at a character boundary (the bench's `text`).
fn text(sample: &str, n: usize) -> String {
    let mut end = n.min(sample.len());
    while !sample.is_char_boundary(end) {
        end -= 1;
    }
    sample[..end].to_string()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let figure = args.next().unwrap_or_else(|| "latin1-encode".into());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let latin1 = text(LATIN1, 64);
    let cjk = text(CJK, 64);
    let raw: Vec<u8> = (0..64u32).map(|i| (i * 37 + 11) as u8).collect();
    let raw = Buffer::from(raw);
    let b64 = raw.to_string(Encoding::Base64url);
    let latin1_bytes = Buffer::from_str(&latin1, Encoding::Latin1);
    let utf16_bytes = Buffer::from_str(&cjk, Encoding::Utf16le);
    match figure.as_str() {
        "latin1-encode" => (0..n).for_each(|_| {
            black_box(Buffer::from_str(black_box(&latin1), Encoding::Latin1));
        }),
        "utf16le-encode" => (0..n).for_each(|_| {
            black_box(Buffer::from_str(black_box(&cjk), Encoding::Utf16le));
        }),
        "base64url-encode" => (0..n).for_each(|_| {
            black_box(black_box(&raw).to_string(Encoding::Base64url));
        }),
        "base64url-decode" => (0..n).for_each(|_| {
            black_box(Buffer::from_str(black_box(&b64), Encoding::Base64url));
        }),
        "latin1-decode" => (0..n).for_each(|_| {
            black_box(black_box(&latin1_bytes).to_string(Encoding::Latin1));
        }),
        "utf16le-decode" => (0..n).for_each(|_| {
            black_box(black_box(&utf16_bytes).to_string(Encoding::Utf16le));
        }),
        other => {
            eprintln!("unknown figure {other}");
            std::process::exit(2);
        }
    }
}

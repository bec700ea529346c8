//! `cargo xtask bench buffer`: rt-buffer's codecs and operations against
//! Node's Buffer (twin: benches/node/buffer.js). Each figure at 64 B (ns/op)
//! and 1 MiB (GB/s).

use std::hint::black_box;

use rt_buffer::{Buffer, Encoding};
use rt_tests::bench::{per_op, throughput};

const SIZES: [usize; 2] = [64, 1 << 20];

/// The same xorshift32 as the Node twin: identical random bytes on both sides.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

const ASCII: &str = "The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. ";
const CJK: &str = "前端开发，Node.js 的 Buffer 用于处理二进制数据；字符串与缓冲区互转时，一个中文字符在 UTF-8 下占用 3 个字节。";
const LATIN1: &str = "Größe, café, naïve, façade, déjà vu, señor, Ålborg, smørrebrød. ";

/// `sample` repeated to `n` bytes of UTF-8, cut at a character boundary.
fn text(sample: &str, n: usize) -> String {
    let mut s = String::with_capacity(n + sample.len());
    while s.len() < n {
        s.push_str(sample);
    }
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

/// Runs `f` as a figure at `size`: ns/op at 64 B, GB/s (of `size` bytes) at 1 MiB.
///
/// `RT_BENCH_FILTER=substring` runs only the matching figures (for quick looks).
fn figure(name: &str, size: usize, f: impl FnMut()) {
    figure_in(name, size, false, f)
}

/// Like [`figure`], but in ns/op at every size (for operations whose cost does
/// not scale with the bytes, so a GB/s figure would be meaningless).
fn figure_ns(name: &str, size: usize, f: impl FnMut()) {
    figure_in(name, size, true, f)
}

fn figure_in(name: &str, size: usize, ns_only: bool, mut f: impl FnMut()) {
    if let Ok(filter) = std::env::var("RT_BENCH_FILTER")
        && !name.contains(filter.as_str())
    {
        return;
    }
    let run = |n: u64| {
        for _ in 0..n {
            f();
        }
    };
    if size == 64 {
        per_op(&format!("{name} 64 B"), run);
    } else if ns_only {
        per_op(&format!("{name} 1 MiB"), run);
    } else {
        throughput(&format!("{name} 1 MiB"), size, run);
    }
}

fn main() {
    for size in SIZES {
        let raw = Buffer::from(random_bytes(size));
        for (enc, name) in [
            (Encoding::Base64, "base64"),
            (Encoding::Base64url, "base64url"),
            (Encoding::Hex, "hex"),
        ] {
            figure(&format!("{name} encode"), size, || {
                black_box(black_box(&raw).to_string(enc));
            });
            let text = raw.to_string(enc);
            figure(&format!("{name} decode"), size, || {
                black_box(Buffer::from_str(black_box(&text), enc));
            });
        }
        for (sample, name) in [(ASCII, "utf8 ascii"), (CJK, "utf8 cjk")] {
            let s = text(sample, size);
            let bytes = Buffer::from(s.as_str());
            figure(&format!("{name} encode"), size, || {
                black_box(Buffer::from_str(black_box(&s), Encoding::Utf8));
            });
            figure(&format!("{name} decode"), size, || {
                black_box(black_box(&bytes).to_string(Encoding::Utf8));
            });
        }
        let s = text(LATIN1, size);
        let bytes = Buffer::from_str(&s, Encoding::Latin1);
        figure("latin1 encode", size, || {
            black_box(Buffer::from_str(black_box(&s), Encoding::Latin1));
        });
        figure("latin1 decode", size, || {
            black_box(black_box(&bytes).to_string(Encoding::Latin1));
        });
        let s = text(CJK, size);
        let bytes = Buffer::from_str(&s, Encoding::Utf16le);
        figure("utf16le encode", size, || {
            black_box(Buffer::from_str(black_box(&s), Encoding::Utf16le));
        });
        figure("utf16le decode", size, || {
            black_box(black_box(&bytes).to_string(Encoding::Utf16le));
        });
        // A Rust `&str` knows its UTF-8 length, so this is O(1) in rt while
        // Node counts: reported in ns/op at both sizes, never as GB/s of bytes
        // that are not touched.
        figure_ns("byte_length utf8", size, || {
            black_box(Encoding::Utf8.byte_length(black_box(&s)));
        });
        let mut hay = text(ASCII, size).into_bytes();
        let needle = b"0123456789abcdef";
        let at = hay.len() - needle.len();
        hay[at..].copy_from_slice(needle);
        let hay = Buffer::from(hay);
        figure("index_of 16 B needle", size, || {
            black_box(black_box(&hay).index_of(&needle[..]));
        });
        let piece = size.div_ceil(100);
        let list: Vec<Buffer> = (0..100).map(|i| Buffer::from(vec![i as u8; piece])).collect();
        figure("concat 100 buffers", size, || {
            black_box(Buffer::concat(black_box(&list), None).ok());
        });
        figure("alloc_unsafe", size, || {
            black_box(Buffer::alloc_unsafe(black_box(size)).ok());
        });
    }
}

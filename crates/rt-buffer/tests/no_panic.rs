//! No panic on any input: a large number of seeded random cases over every
//! decoder and every offset-taking operation, with arguments from anywhere in
//! i64 (biased to the boundaries). Every failure must be an error value
//! carrying one of Node's codes.

mod common;

use common::{hard_bytes, hard_string};
use rt_buffer::{Buffer, Encoding, Error, LegacyEncoding, StringDecoder};
use rt_tests::rng::Rng;

const CODES: &[&str] = &[
    "ERR_OUT_OF_RANGE",
    "ERR_BUFFER_OUT_OF_BOUNDS",
    "ERR_INVALID_ARG_VALUE",
    "ERR_UNKNOWN_ENCODING",
    "ERR_INVALID_BUFFER_SIZE",
];

fn arg(rng: &mut Rng, len: usize) -> i64 {
    let len = len as i64;
    match rng.below(8) {
        0 => *rng.pick(&[i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1, -1, 0, 1]),
        1 => *rng.pick(&[1 << 31, -(1 << 31), 1 << 32, (1 << 32) + 1, 1 << 53, -(1 << 53)]),
        2 => rng.next_u64() as i64,
        _ => rng.range(-len - 9, len + 9),
    }
}

static ERRORS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn check<T>(r: Result<T, Error>) {
    if let Err(e) = r {
        assert!(CODES.contains(&e.code()), "unexpected code {}", e.code());
        assert!(!e.to_string().is_empty());
        ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn random_operations_never_panic() {
    let mut rng = Rng::new(0x0bad_5eed);
    let legacy: Vec<LegacyEncoding> = [
        "gbk",
        "gb18030",
        "big5",
        "shift_jis",
        "euc-jp",
        "iso-2022-jp",
        "euc-kr",
        "koi8-r",
        "utf-16be",
    ]
    .iter()
    .map(|l| LegacyEncoding::for_label(l).expect("label"))
    .collect();
    for i in 0..60_000u32 {
        let bytes = hard_bytes(&mut rng);
        let mut buf = Buffer::from(bytes.clone());
        let len = buf.len();
        let enc = *rng.pick(&Encoding::ALL);
        match i % 16 {
            0 => {
                let s = buf.to_string(enc);
                let _ = Buffer::from_str(&s, enc);
                let _ = buf.to_string_range(enc, arg(&mut rng, len), arg(&mut rng, len));
            }
            1 => {
                let s = hard_string(&mut rng);
                let _ = Buffer::from_str(&s, enc);
                let _ = enc.byte_length(&s);
                check(buf.write(
                    &s,
                    arg(&mut rng, len),
                    rng.chance(1, 2).then(|| arg(&mut rng, len)),
                    enc,
                ));
            }
            2 => {
                let mut d = StringDecoder::new(enc);
                let mut rest = &bytes[..];
                while !rest.is_empty() {
                    let n = 1 + rng.below(rest.len() as u64) as usize;
                    let _ = d.write(&rest[..n]);
                    rest = &rest[n..];
                }
                let _ = d.end();
            }
            3 => {
                let l = *rng.pick(&legacy);
                let _ = l.decode(&bytes);
                let _ = l.encode(&hard_string(&mut rng));
                let mut d = l.decoder();
                for chunk in bytes.chunks(1 + rng.below(4) as usize) {
                    let _ = d.write(chunk);
                }
                let _ = d.end();
            }
            4 => {
                let _ = buf.subarray(arg(&mut rng, len), arg(&mut rng, len));
                let _ = buf.slice(arg(&mut rng, len), arg(&mut rng, len));
            }
            5 => {
                let o = arg(&mut rng, len);
                check(buf.read_u8(o));
                check(buf.read_i16_be(o));
                check(buf.read_u32_le(o));
                check(buf.read_f32_be(o));
                check(buf.read_f64_le(o));
                check(buf.read_i64_be(o));
                check(buf.read_u64_le(o));
            }
            6 => {
                let o = arg(&mut rng, len);
                let bl = rng.below(10) as usize;
                check(buf.read_uint_le(o, bl));
                check(buf.read_int_be(o, bl));
                check(buf.write_uint_be(rng.next_u64() >> rng.below(64), o, bl));
                check(buf.write_int_le(arg(&mut rng, len), o, bl));
            }
            7 => {
                let o = arg(&mut rng, len);
                check(buf.write_u16_le(rng.next_u64() as u16, o));
                check(buf.write_i32_be(rng.next_u64() as i32, o));
                check(buf.write_f64_be(f64::from_bits(rng.next_u64()), o));
                check(buf.write_u64_be(rng.next_u64(), o));
            }
            8 => {
                let s = hard_string(&mut rng);
                let end = rng.chance(1, 2).then(|| arg(&mut rng, len));
                check(buf.fill_with(s.as_str(), arg(&mut rng, len), end, enc));
                check(buf.fill_with(&bytes[..bytes.len().min(3)], arg(&mut rng, len), end, enc));
                check(buf.fill_with(rng.next_u64() as u8, arg(&mut rng, len), end, enc));
                check(Buffer::alloc_fill(rng.below(64) as usize, s.as_str(), enc));
            }
            9 => {
                let s = hard_string(&mut rng);
                let o = arg(&mut rng, len);
                let _ = buf.index_of_from(s.as_str(), o, enc);
                let _ = buf.last_index_of_from(s.as_str(), o, enc);
                let _ = buf.index_of_from(&bytes[rng.below(len as u64 + 1) as usize..], o, enc);
                let _ = buf.last_index_of_from(rng.next_u64() as u8, o, enc);
                let _ = buf.includes_from(&bytes[..len / 2], o, enc);
            }
            10 => {
                let other = Buffer::from(hard_bytes(&mut rng));
                let tl = other.len();
                check(buf.compare_range(
                    &other,
                    arg(&mut rng, tl),
                    arg(&mut rng, tl),
                    arg(&mut rng, len),
                    arg(&mut rng, len),
                ));
                let mut t = other.clone();
                check(buf.copy(&mut t, arg(&mut rng, tl), arg(&mut rng, len), arg(&mut rng, len)));
                check(buf.copy_within(arg(&mut rng, len), arg(&mut rng, len), arg(&mut rng, len)));
            }
            11 => {
                check(buf.swap16());
                check(buf.swap32());
                check(buf.swap64());
            }
            12 => {
                let list: Vec<Buffer> = (0..rng.below(5))
                    .map(|_| Buffer::from(hard_bytes(&mut rng)))
                    .collect();
                let total = rng.chance(1, 2).then(|| rng.below(600) as usize);
                check(Buffer::concat(&list, total));
                check(Buffer::alloc_unsafe(rng.below(9000) as usize));
            }
            13 => {
                let mut json = buf.to_json();
                if rng.chance(1, 2) && !json.is_empty() {
                    let at = rng.below(json.len() as u64) as usize;
                    json.replace_range(at..at + 1, "x");
                }
                check(Buffer::from_json(&json));
                check(Buffer::from_json(&String::from_utf8_lossy(&bytes)));
            }
            14 => {
                let label = String::from_utf8_lossy(&bytes[..bytes.len().min(12)]).into_owned();
                check(Encoding::from_name(&label));
                check(LegacyEncoding::for_label(&label));
                check(Buffer::from_str_in("text", &label));
                check(buf.to_string_in(&label));
            }
            _ => {
                let _ = format!("{buf:?}");
                let _ = buf.to_utf16();
                let mut shared = buf.clone();
                check(shared.write_u8(1, arg(&mut rng, len)));
            }
        }
    }
    let errors = ERRORS.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        errors > 20_000,
        "the cases should reach the error paths often ({errors})"
    );
}

//! The crate's only `unsafe` code: AVX-512 transcoding kernels, each behind
//! a safe function, and ([`pool_block`]) `alloc_unsafe`'s pool: blocks
//! refilled without zeroing, pieces counted without atomics on their own
//! thread (biased reference counting).
//!
//! Why it is here (perf profiles of `cargo xtask bench buffer`, issue 9):
//! latin1 encode ran a per-character scalar loop, latin1 / utf16le decode
//! went through encoding_rs's per-character paths and std's scalar UTF-8
//! check, base64 decode and encode ran base64-simd's AVX2 against Node's
//! simdutf. Rust's `std::arch` kernels need `unsafe` for their loads and
//! stores.
//!
//! Rules kept here:
//! - every kernel is an `unsafe fn` with `#[target_feature]`, reached only
//!   through a safe wrapper that checks [`avx512`] first and whose loop
//!   bounds keep every load and store inside the slices it was given;
//! - each wrapper has a scalar twin (the reference its tests compare with);
//! - `RT_BUFFER_NO_AVX512=1` turns the kernels off (scalar paths only), which
//!   `cargo xtask ci` sets for its valgrind run: valgrind cannot execute
//!   AVX-512 instructions.
#![allow(unsafe_code)]

pub(crate) mod pool_block;

use std::sync::atomic::{AtomicU8, Ordering};

/// The environment variable that turns the AVX-512 kernels off.
pub(crate) const NO_AVX512_ENV: &str = "RT_BUFFER_NO_AVX512";

/// Whether the AVX-512 kernels (F, BW, VL, VBMI, VBMI2, with BMI2 and POPCNT) may run: the
/// CPU has them (and VL) and `RT_BUFFER_NO_AVX512` is not set. Decided once.
pub(crate) fn avx512() -> bool {
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let yes = detect();
            STATE.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn detect() -> bool {
    std::env::var_os(NO_AVX512_ENV).is_none()
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512vbmi")
        && is_x86_feature_detected!("avx512vbmi2")
        && is_x86_feature_detected!("bmi2")
        && is_x86_feature_detected!("popcnt")
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> bool {
    false
}

/// The mask of the low `n` bits (`n` <= 64).
fn low_mask(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// Stores the first `n` bytes of `v` at `dst`, which may be written for
/// `room` bytes (`n <= room`): one whole 64-byte store when there is room
/// for it (the bytes past `n` are scratch, which the next store overwrites or
/// the caller cuts off), a byte-masked store only near the end.
///
/// Why (perf, issue 9): on this machine's AMD EPYC (Zen 4) a byte-masked
/// store stalls when it overlaps recent stores: 75% of the utf16le encode
/// kernel's samples sat on it at 64 B, 82% of the latin1 decode kernel's.
///
/// # Safety
/// `dst` is valid for writes of `room` bytes, and `n <= room`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
unsafe fn store_prefix(dst: *mut u8, room: usize, n: usize, v: std::arch::x86_64::__m512i) {
    use std::arch::x86_64::*;
    // SAFETY: a whole store only when 64 <= room; else `n` <= room bytes.
    unsafe {
        if room >= 64 {
            _mm512_storeu_epi8(dst.cast(), v);
        } else {
            _mm512_mask_storeu_epi8(dst.cast(), low_mask(n as u32), v);
        }
    }
}

/// Runs `kernel` on the spare capacity of `out` and appends the bytes it
/// wrote there; returns how many input bytes it read. The codecs' outputs
/// are allocated uninitialised this way rather than zeroed first: a zeroing
/// `memset` followed by the kernel's stores to the same bytes stalled (perf,
/// issue 9: most of a 64 B utf16le encode).
///
/// # Safety
/// `kernel` returns `(read, written)` where `written` is at most the length
/// of the slice it was given and it initialised that slice's first
/// `written` bytes.
unsafe fn append(
    out: &mut Vec<u8>,
    kernel: impl FnOnce(&mut [std::mem::MaybeUninit<u8>]) -> (usize, usize),
) -> usize {
    let start = out.len();
    let (read, written) = kernel(out.spare_capacity_mut());
    // SAFETY: the caller's promise: the first `written` bytes of the spare
    // capacity are initialised, and they fit in it.
    unsafe { out.set_len(start + written) };
    read
}

// ---------------------------------------------------------------------------
// UTF-16 length of UTF-8 text

/// The number of UTF-16 code units of the UTF-8 text `src` (JavaScript's
/// `s.length`): one per byte that is not a continuation byte, plus one per
/// four-byte lead. `None` without AVX-512 (the caller counts).
pub(crate) fn utf16_len(src: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has the features the kernel is compiled for (checked above).
        return Some(unsafe { utf16_len_avx512(src) });
    }
    let _ = src;
    None
}

/// # Safety
/// Only for a CPU with the target features enabled below: the callers check
/// `avx512()` first. Every memory access inside stays within the slices given.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
unsafe fn utf16_len_avx512(src: &[u8]) -> usize {
    use std::arch::x86_64::*;
    let (mut i, mut n) = (0usize, 0usize);
    let len = src.len();
    let p = src.as_ptr();
    let c0 = _mm512_set1_epi8(0xc0u8 as i8);
    let f0 = _mm512_set1_epi8(0xf0u8 as i8);
    // Units per byte, indexed by byte >> 2: 1 below 0x80, 0 for a
    // continuation byte (0x80..=0xBF), 1 for a lead up to 0xEF, 2 from 0xF0.
    let units = _mm512_set_epi64(
        0x0202_0202_0101_0101,
        0x0101_0101_0101_0101,
        0,
        0,
        0x0101_0101_0101_0101,
        0x0101_0101_0101_0101,
        0x0101_0101_0101_0101,
        0x0101_0101_0101_0101,
    );
    // Whole blocks: per-byte counters in vector lanes (a lookup and an add
    // per block: no mask moves or popcounts in the loop), summed every 127
    // blocks (at most 2 a block, so at most 254 in a byte).
    while i + 64 <= len {
        let blocks = ((len - i) / 64).min(127);
        let mut acc = _mm512_setzero_si512();
        for _ in 0..blocks {
            // SAFETY: i + 64 <= len: a full load inside `src`.
            let v = unsafe { _mm512_loadu_epi8(p.add(i).cast()) };
            // vpermb reads the low 6 bits of each index byte: byte >> 2
            // (the bits shifted in from the next byte fall above them).
            acc = _mm512_add_epi8(acc, _mm512_permutexvar_epi8(_mm512_srli_epi16::<2>(v), units));
            i += 64;
        }
        let sums = _mm512_sad_epu8(acc, _mm512_setzero_si512());
        n += _mm512_reduce_add_epi64(sums) as usize;
    }
    if i < len {
        let rem = len - i;
        // SAFETY: a masked load of src[i..len].
        let v = unsafe { _mm512_maskz_loadu_epi8(low_mask(rem as u32), p.add(i).cast()) };
        let starts = _mm512_cmpge_epi8_mask(v, c0) & low_mask(rem as u32);
        let astral = _mm512_cmpge_epu8_mask(v, f0);
        n += (starts.count_ones() + astral.count_ones()) as usize;
    }
    n
}

// ---------------------------------------------------------------------------
// UTF-8 (Latin-1 characters only) -> latin1

/// Narrows the Latin-1-only prefix of the UTF-8 text `src`, appending one
/// byte per character of `src[..read]` to `out` (in its spare capacity: it
/// never grows `out`); returns `read`, where the kernel stopped (it may be
/// just after a two-byte character's lead: skip continuation bytes there).
/// Stops before a 64-byte block holding a byte >= 0xC4 (a character above
/// U+00FF) or one whose characters do not fit in the spare capacity.
pub(crate) fn latin1_from_utf8_prefix(src: &[u8], out: &mut Vec<u8>) -> usize {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has the features the kernel is compiled for
        // (checked above); the kernel returns how many bytes it wrote at the
        // start of the slice it is given, within it.
        return unsafe { append(out, |spare| latin1_from_utf8_avx512(src, spare)) };
    }
    let _ = (src, out);
    0
}

/// # Safety
/// Only for a CPU with the target features enabled below: the callers check
/// `avx512()` first. Every memory access inside stays within the slices given.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
unsafe fn latin1_from_utf8_avx512(src: &[u8], out: &mut [std::mem::MaybeUninit<u8>]) -> (usize, usize) {
    use std::arch::x86_64::*;
    let (mut i, mut o) = (0usize, 0usize);
    let c4 = _mm512_set1_epi8(0xc4u8 as i8);
    let c0 = _mm512_set1_epi8(0xc0u8 as i8);
    let three = _mm512_set1_epi8(0x03);
    let low6 = _mm512_set1_epi8(0x3f);
    let len = src.len();
    while i < len {
        let p = src.as_ptr();
        // SAFETY: full loads only when they end inside `src` (i + 64 <= len,
        // i + 65 <= len); otherwise masked loads read only src[i..len] and
        // src[i + 1..len] (masked-off lanes are never read, and i + 1 <= len).
        let (v, next) = unsafe {
            let v = if i + 64 <= len {
                _mm512_loadu_epi8(p.add(i).cast())
            } else {
                _mm512_maskz_loadu_epi8(low_mask((len - i) as u32), p.add(i).cast())
            };
            let next = if i + 65 <= len {
                _mm512_loadu_epi8(p.add(i + 1).cast())
            } else {
                _mm512_maskz_loadu_epi8(low_mask((len - i - 1) as u32), p.add(i + 1).cast())
            };
            (v, next)
        };
        if _mm512_cmpge_epu8_mask(v, c4) != 0 {
            break;
        }
        // Continuation bytes (0x80..=0xBF) go; a lead (0xC2 / 0xC3) becomes
        // its character: (lead & 3) << 6 | (next & 0x3F).
        let cont = _mm512_cmplt_epi8_mask(v, c0);
        let lead = _mm512_cmpge_epu8_mask(v, c0);
        let ch = _mm512_or_si512(
            _mm512_slli_epi16::<6>(_mm512_and_si512(v, three)),
            _mm512_and_si512(next, low6),
        );
        let bytes = _mm512_mask_blend_epi8(lead, v, ch);
        let keep = !cont & low_mask((len - i).min(64) as u32);
        let n = keep.count_ones();
        if o + n as usize > out.len() {
            break;
        }
        let packed = _mm512_maskz_compress_epi8(keep, bytes);
        // SAFETY: o + n <= out.len(): out[o..] has room for the n bytes.
        unsafe { store_prefix(out.as_mut_ptr().add(o).cast(), out.len() - o, n as usize, packed) };
        i = (i + 64).min(len);
        o += n as usize;
    }
    (i, o)
}

// ---------------------------------------------------------------------------
// UTF-8 -> UTF-16LE

/// Widens a prefix of the UTF-8 text `src`, appending its UTF-16LE bytes
/// to `out` (in its spare capacity: it never grows `out`); returns how many
/// bytes it read, which may fall inside a character whose units were
/// written (skip continuation bytes there). Stops before a 64-byte block
/// holding a four-byte character, or whose units do not fit.
///
/// On bytes that are not UTF-8 it writes some units and stops or goes on
/// (no panic, never outside the spare capacity); the encoder calls it on a
/// `&str` only.
pub(crate) fn utf16le_from_utf8_prefix(src: &[u8], out: &mut Vec<u8>) -> usize {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has the features the kernel is compiled for
        // (checked above); the kernel returns how many bytes it wrote at the
        // start of the slice it is given, within it.
        return unsafe { append(out, |spare| utf16le_from_utf8_avx512(src, spare)) };
    }
    let _ = (src, out);
    0
}

/// 64 input bytes per step, one load each (the next block, which the
/// step also needs). The positions of the block's leads are packed to the
/// front (`vpcompressb` of 0..63); then for each group of 32 characters two
/// two-source byte permutations (`vpermt2b` over the block and the next)
/// fetch each character's bytes into its own 16-bit lane (`second | lead <<
/// 8`, and `third`), where a multiply-add (`vpmaddubsw`), a shift and a
/// ternary-logic op make its unit. The units come out dense (no compress of
/// the output), and a block of mostly three-byte characters (CJK) makes its
/// ~21 units with one group. A character whose lead is near the block's end
/// takes its other bytes from the next block, so every step advances 64
/// bytes (no step waits on the previous one's data). Four blocks go in one
/// step while they are whole and have room: one four-byte check for the
/// four, no tail masks or room checks (~5.4 -> ~4.2 ns a block).
///
/// Why (issue 9): the former kernel computed a unit at each of 32 byte
/// positions from three overlapping loads widened to 16 bits, then packed
/// the units at the leads: for CJK, 32 lanes of work for ~11 units.
///
/// # Safety
/// Only for a CPU with the target features enabled below: the callers check
/// `avx512()` first. Every memory access inside stays within the slices given.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
unsafe fn utf16le_from_utf8_avx512(src: &[u8], out: &mut [std::mem::MaybeUninit<u8>]) -> (usize, usize) {
    use std::arch::x86_64::*;
    let (mut i, mut o) = (0usize, 0usize);
    let len = src.len();
    let p = src.as_ptr();
    // Byte lane k holds k.
    let iota = _mm512_set_epi64(
        0x3f3e_3d3c_3b3a_3938,
        0x3736_3534_3332_3130,
        0x2f2e_2d2c_2b2a_2928,
        0x2726_2524_2322_2120,
        0x1f1e_1d1c_1b1a_1918,
        0x1716_1514_1312_1110,
        0x0f0e_0d0c_0b0a_0908,
        0x0706_0504_0302_0100,
    );
    let xc0 = _mm512_set1_epi8(0xc0u8 as i8);
    let xf0 = _mm512_set1_epi8(0xf0u8 as i8);
    // Byte 2j and 2j + 1 take lane j (spread0) or 32 + j (spread1) of `pos`.
    let spread0 = _mm512_srli_epi16::<1>(_mm512_and_si512(iota, _mm512_set1_epi8(0x7e)));
    let spread1 = _mm512_add_epi8(spread0, _mm512_set1_epi8(32));
    // Added to those: [q + 1, q] and [q + 2, -].
    let next = _mm512_set1_epi16(0x0001);
    let two = _mm512_set1_epi16(0x0002);
    let x8000 = _mm512_set1_epi16(0x8000u16 as i16);
    let xe000 = _mm512_set1_epi16(0xe000u16 as i16);
    let x1f3f = _mm512_set1_epi16(0x1f3f);
    // maddubs weights: second * 1 + lead * 64.
    let x4001 = _mm512_set1_epi16(0x4001);
    let x3f = _mm512_set1_epi16(0x3f);
    // 64 bytes from `at` (zeros past the end of `src`; `at` <= len).
    let load = |at: usize| {
        // SAFETY: a full load only when at + 64 <= len; else a masked load
        // of src[at..len] (a mask of 0 reads nothing).
        unsafe {
            if at + 64 <= len {
                _mm512_loadu_epi8(p.add(at).cast())
            } else {
                _mm512_maskz_loadu_epi8(low_mask((len - at) as u32), p.add(at).cast())
            }
        }
    };
    // The units of group g (characters 32g.. of the block `x`, `y` the
    // bytes after it) whose lead positions `pos` holds, packed to the front.
    let units = |x: __m512i, y: __m512i, pos: __m512i, g: usize| {
        // 16-bit lane j: bytes [q + 1, q] where q is the position of the
        // group's j-th lead, so that the permutation below fetches the
        // character's [second, lead] bytes; and [q + 2, -] its third.
        let q = _mm512_permutexvar_epi8(if g == 0 { spread0 } else { spread1 }, pos);
        // Positions 64 and 65 are the first bytes of `y`.
        let w = _mm512_permutex2var_epi8(x, _mm512_add_epi8(q, next), y);
        let c = _mm512_maskz_permutex2var_epi8(0x5555_5555_5555_5555, x, _mm512_add_epi8(q, two), y);
        // lead << 8 | second: ASCII below 0x8000, three-byte leads from 0xE000.
        let ascii = _mm512_cmplt_epu16_mask(w, x8000);
        let lead3 = _mm512_cmpge_epu16_mask(w, xe000);
        // (lead & 0x1F) << 6 | (second & 0x3F): a two-byte character's
        // unit, and a three-byte one's top ten bits.
        let top = _mm512_maddubs_epi16(_mm512_and_si512(w, x1f3f), x4001);
        // top << 6 | (third & 0x3F)
        let u3 = _mm512_ternarylogic_epi32::<0xf8>(_mm512_slli_epi16::<6>(top), c, x3f);
        _mm512_mask_blend_epi16(
            ascii,
            _mm512_mask_blend_epi16(lead3, top, u3),
            _mm512_srli_epi16::<8>(w),
        )
    };
    let mut v = load(0);
    // Four blocks a step while they, the block after them and the most
    // units they can make (128 bytes a block) are whole: no tail masks, no
    // room checks, one four-byte check for the four. (Unrolled: ~5.4 ->
    // ~4.2 ns a block on CJK here.)
    while i + 320 <= len && o + 512 <= out.len() {
        // SAFETY: i + 320 <= len: full loads inside `src`.
        let (b, c, d, after) = unsafe {
            (
                _mm512_loadu_epi8(p.add(i + 64).cast()),
                _mm512_loadu_epi8(p.add(i + 128).cast()),
                _mm512_loadu_epi8(p.add(i + 192).cast()),
                _mm512_loadu_epi8(p.add(i + 256).cast()),
            )
        };
        let top = _mm512_max_epu8(_mm512_max_epu8(v, b), _mm512_max_epu8(c, d));
        if _mm512_cmpge_epu8_mask(top, xf0) != 0 {
            // A four-byte character: the loop below finds its block.
            break;
        }
        for (x, y) in [(v, b), (b, c), (c, d), (d, after)] {
            let take = _mm512_cmpge_epi8_mask(x, xc0);
            let n = take.count_ones() as usize;
            let pos = _mm512_maskz_compress_epi8(take, iota);
            // SAFETY: o + 512 <= out.len() at the step's start, and each
            // block moves `o` by at most 128 after storing at most 128
            // bytes from it: every store ends by the step's o + 512.
            unsafe {
                let at = out.as_mut_ptr().add(o).cast::<u8>();
                _mm512_storeu_epi8(at.cast(), units(x, y, pos, 0));
                if n > 32 {
                    _mm512_storeu_epi8(at.add(64).cast(), units(x, y, pos, 1));
                }
            }
            o += 2 * n;
        }
        i += 256;
        v = after;
    }
    // One block a step: the last blocks, a block with a four-byte
    // character (the scalar path takes it), and near the end of the room.
    while i < len {
        let rem = (len - i).min(64);
        let live = low_mask(rem as u32);
        // A four-byte character (lead >= 0xF0): the scalar path takes this block.
        if _mm512_cmpge_epu8_mask(v, xf0) != 0 {
            break;
        }
        // The bytes after the block: a character whose lead is near its end
        // takes its other bytes from there.
        let after = load(i + rem);
        if _mm512_movepi8_mask(v) == 0 {
            // ASCII: every byte is its unit.
            let n = rem;
            if o + 2 * n > out.len() {
                break;
            }
            let lo = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(v));
            let hi = _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64::<1>(v));
            let room = out.len() - o;
            // SAFETY: o + 2n <= out.len(): out[o..] has room for the 2n
            // bytes, the first min(2n, 64) from o and the rest from o + 64.
            unsafe {
                let at = out.as_mut_ptr().add(o).cast::<u8>();
                store_prefix(at, room, (2 * n).min(64), lo);
                if n > 32 {
                    store_prefix(at.add(64), room - 64, 2 * n - 64, hi);
                }
            }
            i += n;
            o += 2 * n;
            v = after;
            continue;
        }
        // Leads: every byte that is not a continuation (signed: those are
        // below -64).
        let take = _mm512_cmpge_epi8_mask(v, xc0) & live;
        let n = take.count_ones() as usize;
        if o + 2 * n > out.len() {
            break;
        }
        // The leads' positions, packed to the front.
        let pos = _mm512_maskz_compress_epi8(take, iota);
        let room = out.len() - o;
        for g in 0..n.div_ceil(32) {
            let (k, at) = ((n - 32 * g).min(32), o + 64 * g);
            // SAFETY: at + 2k <= o + 2n <= out.len() (checked above), and
            // room - 64g is the room from `at`.
            unsafe {
                store_prefix(
                    out.as_mut_ptr().add(at).cast(),
                    room - 64 * g,
                    2 * k,
                    units(v, after, pos, g),
                )
            };
        }
        i += rem;
        o += 2 * n;
        v = after;
    }
    (i, o)
}

// ---------------------------------------------------------------------------
// latin1 -> UTF-8

/// `buf.toString('latin1')`: each byte as the character U+00XX, in UTF-8.
pub(crate) fn utf8_from_latin1(src: &[u8]) -> String {
    let high = count_high(src);
    if high == 0 {
        return into_string(src.to_vec());
    }
    // 64 bytes of slack: the kernel then stores whole vectors only (a
    // String need not fill its allocation), see `store_prefix`.
    let mut out = Vec::with_capacity(src.len() + high + 64);
    #[allow(unused_mut)]
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has the features the kernel is compiled for
        // (checked above); the kernel returns how many bytes it wrote at the
        // start of the slice it is given, within it.
        i = unsafe { append(&mut out, |spare| utf8_from_latin1_avx512(src, spare)) };
    }
    utf8_from_latin1_scalar(&src[i..], &mut out);
    into_string(out)
}

/// The scalar twin: appends `src` as UTF-8 to `out`.
pub(crate) fn utf8_from_latin1_scalar(src: &[u8], out: &mut Vec<u8>) {
    for &b in src {
        if b < 0x80 {
            out.push(b);
        } else {
            out.extend_from_slice(&[0xc0 | (b >> 6), 0x80 | (b & 0x3f)]);
        }
    }
}

/// # Safety
/// Only for a CPU with the target features enabled below: the callers check
/// `avx512()` first. Every memory access inside stays within the slices given.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
unsafe fn utf8_from_latin1_avx512(src: &[u8], out: &mut [std::mem::MaybeUninit<u8>]) -> (usize, usize) {
    use std::arch::x86_64::*;
    let (mut i, mut o) = (0usize, 0usize);
    let x80 = _mm512_set1_epi16(0x80);
    let xc0 = _mm512_set1_epi16(0xc0);
    let x3f = _mm512_set1_epi16(0x3f);
    let len = src.len();
    while i < len {
        let rem = (len - i).min(32);
        // SAFETY: a full load only when i + 32 <= len; else a masked load of src[i..len].
        let v = unsafe {
            if rem == 32 {
                _mm256_loadu_si256(src.as_ptr().add(i).cast())
            } else {
                _mm256_maskz_loadu_epi8(low_mask(rem as u32) as u32, src.as_ptr().add(i).cast())
            }
        };
        let w = _mm512_cvtepu8_epi16(v);
        let ascii = _mm512_cmplt_epu16_mask(w, x80);
        // Each 16-bit lane: [0xC0 | x >> 6, 0x80 | x & 0x3F], or [x, -] for ASCII.
        let two = _mm512_or_si512(
            _mm512_or_si512(xc0, _mm512_srli_epi16::<6>(w)),
            _mm512_slli_epi16::<8>(_mm512_or_si512(x80, _mm512_and_si512(w, x3f))),
        );
        let words = _mm512_mask_blend_epi16(ascii, two, w);
        // Keep every low byte, and the high byte of non-ASCII lanes.
        let keep = (0x5555_5555_5555_5555u64 | _pdep_u64(u64::from(!ascii), 0xaaaa_aaaa_aaaa_aaaa))
            & low_mask(2 * rem as u32);
        let n = keep.count_ones();
        if o + n as usize > out.len() {
            break;
        }
        let packed = _mm512_maskz_compress_epi8(keep, words);
        // SAFETY: o + n <= out.len(): out[o..] has room for the n bytes.
        unsafe { store_prefix(out.as_mut_ptr().add(o).cast(), out.len() - o, n as usize, packed) };
        i += rem;
        o += n as usize;
    }
    (i, o)
}

// ---------------------------------------------------------------------------
// UTF-16LE -> UTF-8

/// `buf.toString('utf16le')` (an odd last byte dropped; a lone surrogate becomes U+FFFD).
pub(crate) fn utf8_from_utf16le(src: &[u8]) -> String {
    let src = &src[..src.len() & !1];
    // At most 3 bytes per unit (a pair's 4 bytes come from 2 units), and 64
    // bytes of slack: the kernel then stores whole vectors only (a String
    // need not fill its allocation), see `store_prefix`.
    let mut out = Vec::with_capacity(src.len() / 2 * 3 + 64);
    let mut i = 0;
    loop {
        #[cfg(target_arch = "x86_64")]
        if avx512() {
            let rest = &src[i..];
            // SAFETY: the CPU has the features the kernel is compiled for
            // (checked above); the kernel returns how many bytes it wrote at
            // the start of the slice it is given, within it.
            i += unsafe { append(&mut out, |spare| utf8_from_utf16le_avx512(rest, spare)) };
        }
        if i >= src.len() {
            break;
        }
        // A block with a surrogate (or the tail): 16 units the slow way, and
        // the low half of a pair that straddles the block's end.
        let end = (i + 32).min(src.len());
        i += utf8_from_utf16le_scalar(&src[i..], end - i, &mut out);
    }
    into_string(out)
}

/// The scalar twin: decodes at least `min_bytes` bytes of `src` (whole
/// units, plus the low half of a pair that starts before `min_bytes`),
/// appending the UTF-8 to `out`; returns how many bytes it read.
pub(crate) fn utf8_from_utf16le_scalar(src: &[u8], min_bytes: usize, out: &mut Vec<u8>) -> usize {
    let unit = |i: usize| u16::from_le_bytes([src[i], src[i + 1]]);
    let mut i = 0;
    while i + 1 < src.len() && i < min_bytes {
        let u = unit(i);
        i += 2;
        let c = if (0xd800..0xdc00).contains(&u) && i + 1 < src.len() && (0xdc00..0xe000).contains(&unit(i)) {
            let lo = unit(i);
            i += 2;
            0x1_0000 + ((u32::from(u) - 0xd800) << 10) + (u32::from(lo) - 0xdc00)
        } else if (0xd800..0xe000).contains(&u) {
            0xfffd
        } else {
            u32::from(u)
        };
        let ch = char::from_u32(c).unwrap_or('\u{fffd}');
        out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
    }
    i
}

/// # Safety
/// Only for a CPU with the target features enabled below: the callers check
/// `avx512()` first. Every memory access inside stays within the slices given.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
unsafe fn utf8_from_utf16le_avx512(src: &[u8], out: &mut [std::mem::MaybeUninit<u8>]) -> (usize, usize) {
    use std::arch::x86_64::*;
    let (mut i, mut o) = (0usize, 0usize);
    let x80 = _mm512_set1_epi32(0x80);
    let x800 = _mm512_set1_epi32(0x800);
    let xc0 = _mm512_set1_epi32(0xc0);
    let xe0 = _mm512_set1_epi32(0xe0);
    let x3f = _mm512_set1_epi32(0x3f);
    let xf800 = _mm512_set1_epi32(0xf800);
    let xd800 = _mm512_set1_epi32(0xd800);
    // Whole units only.
    let len = src.len() & !1;
    while i < len {
        let rem = (len - i).min(32);
        // SAFETY: a full load only when i + 32 <= len; else a masked load of
        // the units in src[i..len].
        let v = unsafe {
            if rem == 32 {
                _mm256_loadu_si256(src.as_ptr().add(i).cast())
            } else {
                _mm256_maskz_loadu_epi16(low_mask(rem as u32 / 2) as u16, src.as_ptr().add(i).cast())
            }
        };
        let w = _mm512_cvtepu16_epi32(v);
        if _mm512_cmpeq_epi32_mask(_mm512_and_si512(w, xf800), xd800) != 0 {
            break;
        }
        let ascii = _mm512_cmplt_epu32_mask(w, x80);
        let lt800 = _mm512_cmplt_epu32_mask(w, x800);
        // Byte 0: x, 0xC0 | x >> 6, or 0xE0 | x >> 12.
        let b0 = _mm512_mask_blend_epi32(
            lt800,
            _mm512_or_si512(xe0, _mm512_srli_epi32::<12>(w)),
            _mm512_mask_blend_epi32(ascii, _mm512_or_si512(xc0, _mm512_srli_epi32::<6>(w)), w),
        );
        let last = _mm512_or_si512(x80, _mm512_and_si512(w, x3f));
        let mid = _mm512_or_si512(x80, _mm512_and_si512(_mm512_srli_epi32::<6>(w), x3f));
        // Byte 1: the last byte of a two-byte character, the middle one of a three-byte one.
        let b1 = _mm512_mask_blend_epi32(lt800, mid, last);
        let lanes = _mm512_or_si512(
            _mm512_or_si512(b0, _mm512_slli_epi32::<8>(b1)),
            _mm512_slli_epi32::<16>(last),
        );
        let keep = (0x1111_1111_1111_1111u64
            | _pdep_u64(u64::from(!ascii), 0x2222_2222_2222_2222)
            | _pdep_u64(u64::from(!lt800), 0x4444_4444_4444_4444))
            & low_mask(2 * rem as u32);
        let n = keep.count_ones();
        if o + n as usize > out.len() {
            break;
        }
        let packed = _mm512_maskz_compress_epi8(keep, lanes);
        // SAFETY: o + n <= out.len(): out[o..] has room for the n bytes.
        unsafe { store_prefix(out.as_mut_ptr().add(o).cast(), out.len() - o, n as usize, packed) };
        i += rem;
        o += n as usize;
    }
    (i, o)
}

// ---------------------------------------------------------------------------
// base64 / base64url decode

/// Both alphabets at once (`+` and `-` are 62, `/` and `_` are 63), 0x80 for
/// every other ASCII character.
static BASE64_LUT: [u8; 128] = {
    let mut t = [0x80u8; 128];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t[b'-' as usize] = 62;
    t[b'_' as usize] = 63;
    t
};

/// Byte k of the 48 output bytes: lane k / 3, its byte 2, 1, 0.
static BASE64_PACK: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut k = 0;
    while k < 48 {
        t[k] = (4 * (k / 3) + 2 - k % 3) as u8;
        k += 1;
    }
    t
};

/// Decodes the longest prefix of `src` made of whole 64-character blocks of
/// base64 / base64url characters (no padding, no whitespace), appending the
/// bytes to `out`; returns how many characters it read (a multiple of 64).
/// Node's lenient decoder gives the same bytes for such a prefix and starts
/// the rest afresh, so the caller decodes `src[read..]` on its own.
pub(crate) fn base64_decode_prefix(src: &[u8], out: &mut Vec<u8>) -> usize {
    #[cfg(target_arch = "x86_64")]
    if avx512() && src.len() >= 64 {
        let blocks = src.len() / 64;
        let start = out.len();
        out.reserve(blocks * 48 + 16);
        let spare = out.spare_capacity_mut();
        // SAFETY: the CPU has the features the kernel is compiled for (checked above).
        let (read, written) = unsafe { base64_decode_avx512(src, spare) };
        // SAFETY: the kernel wrote (initialised) exactly `written` bytes at
        // the start of the spare capacity, which `reserve` made large enough.
        unsafe { out.set_len(start + written) };
        return read;
    }
    let _ = (src, out);
    0
}

/// The scalar twin of [`base64_decode_prefix`] (for tests).
#[cfg(test)]
pub(crate) fn base64_decode_prefix_scalar(src: &[u8], out: &mut Vec<u8>) -> usize {
    let mut read = 0;
    for block in src.chunks_exact(64) {
        if block
            .iter()
            .any(|&c| c >= 0x80 || BASE64_LUT[usize::from(c)] == 0x80)
        {
            break;
        }
        for g in block.chunks_exact(4) {
            let v = g
                .iter()
                .fold(0u32, |acc, &c| (acc << 6) | u32::from(BASE64_LUT[usize::from(c)]));
            out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
        }
        read += 64;
    }
    read
}

/// # Safety
/// Only for a CPU with the target features enabled below: the callers check
/// `avx512()` first. Every memory access inside stays within the slices given.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
unsafe fn base64_decode_avx512(src: &[u8], out: &mut [std::mem::MaybeUninit<u8>]) -> (usize, usize) {
    use std::arch::x86_64::*;
    // SAFETY: each static is 64 bytes or more: the loads are in bounds.
    let (lut_lo, lut_hi, pack) = unsafe {
        (
            _mm512_loadu_epi8(BASE64_LUT.as_ptr().cast()),
            _mm512_loadu_epi8(BASE64_LUT.as_ptr().add(64).cast()),
            _mm512_loadu_epi8(BASE64_PACK.as_ptr().cast()),
        )
    };
    let pairs = _mm512_set1_epi32(0x0140_0140);
    let quads = _mm512_set1_epi32(0x0001_1000);
    let (mut i, mut o) = (0usize, 0usize);
    while i + 64 <= src.len() && o + 48 <= out.len() {
        // SAFETY: i + 64 <= src.len(): the load is in bounds.
        let v = unsafe { _mm512_loadu_epi8(src.as_ptr().add(i).cast()) };
        let t = _mm512_permutex2var_epi8(lut_lo, v, lut_hi);
        // A byte >= 0x80 or a character outside both alphabets ends the prefix.
        if _mm512_movepi8_mask(_mm512_or_si512(v, t)) != 0 {
            break;
        }
        let merged = _mm512_madd_epi16(_mm512_maddubs_epi16(t, pairs), quads);
        let packed = _mm512_permutexvar_epi8(pack, merged);
        // SAFETY: o + 48 <= out.len(): out[o..] has room for the 48 bytes
        // (writing spare capacity, which `set_len` later counts only up to
        // what was written, is allowed for `MaybeUninit` bytes).
        unsafe { store_prefix(out.as_mut_ptr().add(o).cast(), out.len() - o, 48, packed) };
        i += 64;
        o += 48;
    }
    (i, o)
}

// ---------------------------------------------------------------------------
// base64 / base64url encode

/// For each 32-bit lane k of a block: input bytes 3k + 1, 3k, 3k + 2, 3k + 1
/// (so each lane's six-bit groups sit at bit offsets 10, 4, 22, 16).
static BASE64_SPREAD: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut k = 0;
    while k < 16 {
        t[4 * k] = (3 * k + 1) as u8;
        t[4 * k + 1] = (3 * k) as u8;
        t[4 * k + 2] = (3 * k + 2) as u8;
        t[4 * k + 3] = (3 * k + 1) as u8;
        k += 1;
    }
    t
};

/// Encodes the whole 48-byte blocks at the start of `src` with `alphabet`
/// (64 ASCII characters: base64's or base64url's), appending 64 characters
/// per block to `out`; returns how many bytes it read (a multiple of 48, 0
/// without AVX-512). The base64 of `src` is this prefix's followed by that of
/// `src[read..]` (a split at a multiple of 3 bytes), which the caller encodes.
///
/// Why (issue 9): base64-simd's AVX2 encoder measured 3 GB/s at 1 MiB against
/// Node's 5-8.5 GB/s (simdutf); this is the AVX-512 VBMI encoder of Muła and
/// Lemire (one byte shuffle, one multishift, one table lookup per 64 characters).
pub(crate) fn base64_encode_prefix(src: &[u8], alphabet: &[u8; 64], out: &mut String) -> usize {
    #[cfg(target_arch = "x86_64")]
    if avx512() && src.len() >= 48 {
        if !alphabet.is_ascii() {
            return 0;
        }
        let blocks = src.len() / 48;
        let start = out.len();
        // SAFETY: only ASCII is added to the vector (the kernel writes only
        // bytes of `alphabet`, checked ASCII above), so the String stays UTF-8.
        let v = unsafe { out.as_mut_vec() };
        v.reserve(blocks * 64);
        // SAFETY: the CPU has the features the kernel is compiled for (checked above).
        let (read, written) = unsafe { base64_encode_avx512(src, alphabet, v.spare_capacity_mut()) };
        // SAFETY: the kernel wrote (initialised) exactly `written` bytes at
        // the start of the spare capacity, which `reserve` made large enough.
        unsafe { v.set_len(start + written) };
        return read;
    }
    let _ = (src, alphabet, out);
    0
}

/// # Safety
/// Only for a CPU with the target features enabled below: the callers check
/// `avx512()` first. Every memory access inside stays within the slices given.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
unsafe fn base64_encode_avx512(
    src: &[u8],
    alphabet: &[u8; 64],
    out: &mut [std::mem::MaybeUninit<u8>],
) -> (usize, usize) {
    use std::arch::x86_64::*;
    // SAFETY: both arrays are 64 bytes: the loads are in bounds.
    let (lut, spread) = unsafe {
        (
            _mm512_loadu_epi8(alphabet.as_ptr().cast()),
            _mm512_loadu_epi8(BASE64_SPREAD.as_ptr().cast()),
        )
    };
    // Per 64-bit lane (two 32-bit lanes): the bit offsets of the eight groups.
    let shifts = _mm512_set1_epi64(0x3036_242a_1016_040a);
    let (mut i, mut o) = (0usize, 0usize);
    while i + 48 <= src.len() && o + 64 <= out.len() {
        // SAFETY: i + 48 <= src.len(): the masked load reads only src[i..i + 48].
        let v = unsafe { _mm512_maskz_loadu_epi8(low_mask(48), src.as_ptr().add(i).cast()) };
        let lanes = _mm512_permutexvar_epi8(spread, v);
        // Each byte: its group in the low six bits (the lookup ignores the top two).
        let groups = _mm512_multishift_epi64_epi8(shifts, lanes);
        let chars = _mm512_permutexvar_epi8(groups, lut);
        // SAFETY: o + 64 <= out.len(): the store writes only out[o..o + 64].
        unsafe { _mm512_storeu_epi8(out.as_mut_ptr().add(o).cast(), chars) };
        i += 48;
        o += 64;
    }
    (i, o)
}

// ---------------------------------------------------------------------------

/// A `String` from the bytes [`utf8_from_latin1`] or [`utf8_from_utf16le`]
/// made. Not checked again in release builds: the check cost more than the
/// transcode at 64 bytes (std's `from_utf8` is scalar on non-ASCII text).
fn into_string(v: Vec<u8>) -> String {
    debug_assert!(
        simdutf8::basic::from_utf8(&v).is_ok(),
        "a kernel wrote invalid UTF-8"
    );
    // SAFETY: both callers write only whole UTF-8 encodings of scalar values:
    // the latin1 kernel and its scalar twin write a byte < 0x80 alone or the
    // pair [0xC2 | 0xC3, 0x80..=0xBF]; the utf16le kernel takes only blocks
    // without surrogates and writes each unit's 1-, 2- or 3-byte encoding;
    // the scalar utf16le path writes `char::encode_utf8` of a `char` (U+FFFD
    // for a lone surrogate); and `out` holds exactly what was written
    // (`append` counts only the bytes a kernel reports).
    // The kernels are checked against their scalar twins and node in tests,
    // where the debug assertion above also runs.
    unsafe { String::from_utf8_unchecked(v) }
}

/// How many bytes of `src` are >= 0x80 (counted in u8 lanes over 128-byte
/// chunks, which LLVM vectorises).
fn count_high(src: &[u8]) -> usize {
    src.chunks(128)
        .map(|c| usize::from(c.iter().fold(0u8, |k, &b| k + (b >> 7))))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn latin1_decode_kernel_matches_scalar() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        for n in 0..600 {
            let len = n % 300;
            let src: Vec<u8> = (0..len).map(|_| rng(&mut seed) as u8).collect();
            let high = src.iter().filter(|&&b| b >= 0x80).count();
            let mut want = Vec::new();
            utf8_from_latin1_scalar(&src, &mut want);
            assert_eq!(want.len(), len + high);
            assert_eq!(utf8_from_latin1(&src).as_bytes(), &want[..]);
            let std: String = src.iter().map(|&b| char::from(b)).collect();
            assert_eq!(utf8_from_latin1(&src), std);
        }
    }

    #[test]
    fn utf16_decode_kernel_matches_scalar() {
        let mut seed = 0x0bad_cafe_dead_beefu64;
        for n in 0..600 {
            let units = n % 200;
            let src: Vec<u8> = (0..units)
                .flat_map(|_| {
                    let r = rng(&mut seed);
                    let u = match r % 8 {
                        0 => (r >> 8) as u16 & 0x7f,
                        1 => 0x80 + ((r >> 8) as u16 % 0x780),
                        2 => 0xd800 + ((r >> 8) as u16 & 0x7ff),
                        _ => (r >> 8) as u16,
                    };
                    u.to_le_bytes()
                })
                .chain((n % 3 == 0).then_some(0x41))
                .collect();
            let mut want = Vec::new();
            utf8_from_utf16le_scalar(&src, src.len(), &mut want);
            assert_eq!(utf8_from_utf16le(&src).as_bytes(), &want[..]);
            let units: Vec<u16> = src
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            let std: String = char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{fffd}'))
                .collect();
            assert_eq!(utf8_from_utf16le(&src), std);
        }
    }

    #[test]
    fn latin1_encode_kernel_matches_scalar() {
        let mut seed = 0x5555_aaaa_1234_4321u64;
        for n in 0..400 {
            let chars = n % 300;
            let s: String = (0..chars)
                .map(|_| {
                    let r = rng(&mut seed);
                    match r % 16 {
                        0 => '€',
                        1 => '😀',
                        _ => char::from((r >> 8) as u8),
                    }
                })
                .collect();
            let mut out = Vec::with_capacity(s.chars().count());
            let read = latin1_from_utf8_prefix(s.as_bytes(), &mut out);
            let written = out.len();
            assert!(read <= s.len() && written <= s.chars().count());
            let mut at = read;
            while at < s.len() && !s.is_char_boundary(at) {
                at += 1;
            }
            let want: Vec<u8> = s[..at].chars().map(|c| c as u32 as u8).collect();
            assert_eq!(&out[..written], &want[..]);
        }
    }

    #[test]
    fn utf16_encode_kernel_matches_scalar() {
        let mut seed = 0x7777_1234_aaaa_5555u64;
        for n in 0..400 {
            let chars = n % 200;
            let s: String = (0..chars)
                .map(|_| {
                    let r = rng(&mut seed);
                    match r % 8 {
                        0 => '😀',
                        1 => char::from_u32(0x800 + (r >> 8) as u32 % 0xd000).unwrap_or('€'),
                        2 => char::from_u32(0x80 + (r >> 8) as u32 % 0x780).unwrap_or('é'),
                        _ => char::from((r >> 8) as u8 & 0x7f),
                    }
                })
                .collect();
            let mut out = Vec::with_capacity(s.encode_utf16().count() * 2);
            let read = utf16le_from_utf8_prefix(s.as_bytes(), &mut out);
            let written = out.len();
            assert!(read <= s.len() && written <= s.encode_utf16().count() * 2);
            let mut at = read;
            while at < s.len() && !s.is_char_boundary(at) {
                at += 1;
            }
            let want: Vec<u8> = s[..at].encode_utf16().flat_map(u16::to_le_bytes).collect();
            assert_eq!(&out[..written], &want[..], "{s:?}");
        }
    }

    /// Characters of every UTF-8 length, picked by `r`: ASCII, two-byte,
    /// three-byte (CJK and the edges U+0800 / U+FFFF, the neighbours of the
    /// surrogate range U+D7FF / U+E000) and four-byte (a surrogate pair in
    /// UTF-16).
    fn mixed_char(r: u64) -> char {
        match r % 12 {
            0 => '😀',
            1 => char::from_u32(0x1_0000 + (r >> 8) as u32 % 0xf_ffff).unwrap_or('\u{10ffff}'),
            2 => char::from_u32(0x80 + (r >> 8) as u32 % 0x780).unwrap_or('é'),
            3 => ['\u{800}', '\u{ffff}', '\u{d7ff}', '\u{e000}'][(r >> 8) as usize % 4],
            4..=7 => char::from_u32(0x4e00 + (r >> 8) as u32 % 0x5000).unwrap_or('中'),
            _ => char::from((r >> 8) as u8 & 0x7f),
        }
    }

    #[test]
    fn utf16_encode_every_length_matches_std() {
        // Every byte length 0..=400 (every tail of the 64-byte blocks, and
        // blocks ending inside a character), with and without four-byte
        // characters, through the whole encoder (kernel + scalar path).
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut compared = 0;
        // And longer ones, through the four-block steps: their ends, and a
        // four-byte character in each block of a step.
        let lengths = (0..=400usize).chain((0..40).map(|k| 1000 + 37 * k));
        for target in lengths {
            for astral in [false, true] {
                let mut s = String::new();
                while s.len() < target {
                    let c = match mixed_char(rng(&mut seed)) {
                        c if c.len_utf8() == 4 && !astral => '中',
                        c => c,
                    };
                    if s.len() + c.len_utf8() > target {
                        break;
                    }
                    s.push(c);
                }
                let want: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
                let got = crate::encoding::encode_utf16le(&s);
                assert_eq!(got.len(), want.len(), "{s:?}");
                assert_eq!(got, want, "{s:?}");
                compared += 1;
            }
        }
        // Long text with one four-byte character at a varying place: the
        // four-block steps run, then stop before it.
        let base: String = (0..600)
            .map(|_| match mixed_char(rng(&mut seed)) {
                c if c.len_utf8() == 4 => 'é',
                c => c,
            })
            .collect();
        for k in 0..40 {
            let mut at = (k * 97) % base.len();
            while !base.is_char_boundary(at) {
                at += 1;
            }
            let s = format!("{}😀{}", &base[..at], &base[at..]);
            let want: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
            assert_eq!(
                crate::encoding::encode_utf16le(&s),
                want,
                "four-byte character at {at}"
            );
            compared += 1;
        }
        println!("utf16le encode: {compared} strings compared with std");
        assert_eq!(compared, 922);
    }

    #[test]
    fn utf16_encode_kernel_stays_in_its_room_on_any_bytes() {
        // Bytes that are not UTF-8 (lone continuation bytes, cut sequences,
        // 0xC0 / 0xC1 / 0xF5.. leads, UTF-8-encoded surrogates ED A0 80),
        // and UTF-8 into too little room: no panic, and nothing written
        // past the spare capacity (a sentinel past it stays as it was).
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let pieces: [&[u8]; 10] = [
            b"\x80",
            b"\xbf\xbf",
            b"\xe4\xb8",
            b"\xc0\x80",
            b"\xed\xa0\x80",
            b"\xf0\x9f\x98",
            b"\xff",
            b"\xe4\xb8\xad",
            b"a",
            b"\xc3\xa9",
        ];
        let mut runs = 0;
        for n in 0..600usize {
            // Short (every tail) and long (the four-block steps, and their
            // room check).
            let len = if n % 5 == 4 { 300 + n * 3 } else { n % 300 };
            let mut src = Vec::with_capacity(len + 3);
            while src.len() < len {
                let r = rng(&mut seed);
                if r.is_multiple_of(3) {
                    src.push(r as u8);
                } else {
                    src.extend_from_slice(pieces[(r >> 8) as usize % pieces.len()]);
                }
            }
            let room = match n % 4 {
                0 => 2 * src.len(),
                1 => src.len(),
                2 => (n * 7) % 97 + (n % 3) * 500,
                _ => 2 * src.len() + 64,
            };
            // Through the safe wrapper: a vector with exactly `room` spare.
            let mut out = Vec::with_capacity(room);
            let read = utf16le_from_utf8_prefix(&src, &mut out);
            assert!(read <= src.len() && out.len() <= room && out.len().is_multiple_of(2));
            // And the kernel itself, on a slice with a sentinel after it.
            #[cfg(target_arch = "x86_64")]
            if avx512() {
                let mut buf = vec![std::mem::MaybeUninit::new(0xa5u8); room + 128];
                // SAFETY: the CPU has the kernel's features (checked above).
                let (read, written) = unsafe { utf16le_from_utf8_avx512(&src, &mut buf[..room]) };
                assert!(read <= src.len() && written <= room, "{read} {written} {room}");
                // SAFETY: every byte of `buf` was initialised (the sentinel, or the kernel).
                let tail: Vec<u8> = buf[room..].iter().map(|b| unsafe { b.assume_init() }).collect();
                assert!(tail.iter().all(|&b| b == 0xa5), "wrote past its room: {src:x?}");
            }
            // Valid UTF-8 into the same room: what it wrote is right.
            let s = String::from_utf8_lossy(&src);
            let mut out = Vec::with_capacity(room);
            let read = utf16le_from_utf8_prefix(s.as_bytes(), &mut out);
            let mut at = read;
            while !s.is_char_boundary(at) {
                at += 1;
            }
            let want: Vec<u8> = s[..at].encode_utf16().flat_map(u16::to_le_bytes).collect();
            assert_eq!(out, want, "{s:?}");
            runs += 1;
        }
        assert_eq!(runs, 600);
        // Dense units (mostly ASCII: up to 128 output bytes a block) into
        // exactly the room they need, at lengths around the four-block
        // steps: the last steps must not store past it.
        #[cfg(target_arch = "x86_64")]
        if avx512() {
            for len in [320usize, 321, 383, 400, 511, 512, 575, 640, 1000, 1024, 1300] {
                let s: String = (0..len).map(|k| if k % 50 == 7 { 'é' } else { 'a' }).collect();
                let want: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
                // Exactly the room, and less (the kernel stops short).
                for room in [want.len(), want.len() - 100, want.len() - 300, want.len() / 2] {
                    let mut buf = vec![std::mem::MaybeUninit::new(0xa5u8); room + 128];
                    // SAFETY: the CPU has the kernel's features (checked above).
                    let (read, written) = unsafe { utf16le_from_utf8_avx512(s.as_bytes(), &mut buf[..room]) };
                    // SAFETY: every byte of `buf` was initialised (the sentinel, or the kernel).
                    let all: Vec<u8> = buf.iter().map(|b| unsafe { b.assume_init() }).collect();
                    assert!(
                        all[room..].iter().all(|&b| b == 0xa5),
                        "wrote past its room at {len}, {room}"
                    );
                    let mut at = read;
                    while !s.is_char_boundary(at) {
                        at += 1;
                    }
                    let want: Vec<u8> = s[..at].encode_utf16().flat_map(u16::to_le_bytes).collect();
                    assert_eq!(&all[..written], &want[..], "{len}, {room}");
                    assert!(room < 2 * s.len() || read == s.len());
                    runs += 1;
                }
            }
            assert_eq!(runs, 644);
        }
    }

    #[test]
    fn utf16_len_kernel_matches_std() {
        let mut seed = 0x3141_5926_5358_9793u64;
        for n in 0..300 {
            let s: String = (0..n % 150)
                .map(|_| {
                    let r = rng(&mut seed);
                    char::from_u32((r >> 8) as u32 % 0x11_0000).unwrap_or('😀')
                })
                .collect();
            let want = s.encode_utf16().count();
            assert_eq!(utf16_len(s.as_bytes()).unwrap_or(want), want, "{s:?}");
        }
    }

    #[test]
    fn utf16_len_kernel_long_texts() {
        // Past the 127 blocks summed at a time, with four-byte characters
        // only (two units in one byte's counter each block) and mixed text,
        // at lengths around the flush.
        let mut checked = 0;
        for (k, sample) in ["😀", "a😀中é", "中"].iter().enumerate() {
            for blocks in [126usize, 127, 128, 254, 255, 300] {
                let n = blocks * 64 + k * 13;
                let s: String = sample
                    .chars()
                    .cycle()
                    .scan(0, |len, c| {
                        *len += c.len_utf8();
                        (*len <= n).then_some(c)
                    })
                    .collect();
                let want = s.encode_utf16().count();
                assert_eq!(utf16_len(s.as_bytes()).unwrap_or(want), want, "{k} {blocks}");
                assert_eq!(crate::encoding::utf16_len(&s), want);
                checked += 1;
            }
        }
        assert_eq!(checked, 18);
    }

    /// Base64 the plain way: three bytes to four characters, `alphabet`.
    fn base64_reference(src: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
        let mut out = String::new();
        for g in src.chunks(3) {
            let v = g
                .iter()
                .enumerate()
                .fold(0u32, |acc, (k, &b)| acc | u32::from(b) << (16 - 8 * k));
            for k in 0..=g.len() {
                out.push(char::from(alphabet[(v >> (18 - 6 * k) & 63) as usize]));
            }
            if pad {
                out.extend(std::iter::repeat_n('=', 3 - g.len()));
            }
        }
        out
    }

    #[test]
    fn base64_encode_kernel_matches_scalar() {
        let standard = base64_simd::STANDARD.charset();
        let url = base64_simd::URL_SAFE_NO_PAD.charset();
        let mut seed = 0x6a09_e667_f3bc_c908u64;
        let mut checked = 0;
        for n in 0..500 {
            // Around multiples of the 48-byte block, and some long ones.
            let len = match n % 3 {
                0 => n,
                1 => 48 * (n % 40) + n % 5,
                _ => (n * 97) % 5000,
            };
            let src: Vec<u8> = (0..len).map(|_| rng(&mut seed) as u8).collect();
            for (alphabet, pad) in [(standard, true), (url, false)] {
                let mut out = String::from("x");
                let read = base64_encode_prefix(&src, alphabet, &mut out);
                if avx512() {
                    assert_eq!(read, len / 48 * 48, "{len}");
                } else {
                    assert_eq!(read, 0);
                }
                assert_eq!(out[1..], base64_reference(&src[..read], alphabet, false), "{len}");
                let whole = if pad {
                    crate::encoding::encode_base64(&src)
                } else {
                    crate::encoding::encode_base64url(&src)
                };
                assert_eq!(whole, base64_reference(&src, alphabet, pad), "{len}");
                checked += 1;
            }
        }
        assert_eq!(checked, 1000);
    }

    #[test]
    fn base64_kernel_matches_scalar() {
        let mut seed = 0x0123_4567_89ab_cdefu64;
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_";
        for n in 0..400 {
            let len = n * 7 % 700;
            let mut src: Vec<u8> = (0..len)
                .map(|_| alphabet[(rng(&mut seed) % alphabet.len() as u64) as usize])
                .collect();
            if n % 3 == 0 && len > 0 {
                let at = (rng(&mut seed) % len as u64) as usize;
                src[at] = *[b'=', b' ', 0xc3, b'!'].get(n % 4).unwrap_or(&b'=');
            }
            let (mut a, mut b) = (vec![9u8], vec![9u8]);
            let ra = base64_decode_prefix(&src, &mut a);
            let rb = base64_decode_prefix_scalar(&src, &mut b);
            if avx512() {
                assert_eq!((ra, &a), (rb, &b), "{}", String::from_utf8_lossy(&src));
            } else {
                assert_eq!((ra, a.len()), (0, 1));
            }
        }
    }
}

//! No panic, no hang, bounded work: the request parser and the chunked decoder
//! on millions of seeded inputs (random bytes from the parser's alphabet, and
//! mutations of valid requests), on stable Rust without a fuzzer.

use rt_http::parser::{
    ChunkEvent, ChunkedDecoder, DEFAULT_MAX_HEADER_SIZE, Parsed, parse_request, parse_response,
};
use rt_tests::rng::Rng;

const VALID: &[&[u8]] = &[
    b"GET /a?b#c HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: ws\r\n\r\n",
    b"POST http://u@h:1/p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
    b"PUT * HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;a=\"b\\\"\";c\r\nxyz\r\n0\r\nT: 1\r\n\r\n",
    b"CONNECT h:443 HTTP/1.1\r\n\r\n",
    b"M-SEARCH * HTTP/1.1\r\nProxy-Connection: close\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
    b"HTTP/1.0 101 Switching\r\nUpgrade: ws\r\nConnection: upgrade\r\n\r\n",
];

const ALPHABET: &[u8] = b"GETPOSH /?#:;,=\"\\\r\n\t\x00\x7f\x80\xff0123456789abcdefABCDEF-chunked";

fn input(rng: &mut Rng) -> Vec<u8> {
    if rng.below(2) == 0 {
        let n = rng.below(96) as usize;
        (0..n)
            .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
            .collect()
    } else {
        let mut v = VALID[rng.below(VALID.len() as u64) as usize].to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(v.len() as u64 + 1) as usize;
            let b = ALPHABET[rng.below(ALPHABET.len() as u64) as usize];
            match rng.below(3) {
                0 if at < v.len() => v[at] = b,
                1 if at < v.len() => {
                    v.remove(at);
                }
                _ => v.insert(at, b),
            }
        }
        v
    }
}

/// Runs the chunked decoder over `body` fed in pieces of random sizes, as a
/// connection's reads would; checks that every call makes progress or asks
/// for more, and that no range points outside the input.
fn decode_in_pieces(rng: &mut Rng, body: &[u8]) {
    let mut dec = ChunkedDecoder::new(DEFAULT_MAX_HEADER_SIZE);
    let mut start = 0; // first unconsumed byte
    let mut end = 0; // bytes "received" so far
    let mut calls = 0;
    while start < body.len() || end < body.len() {
        calls += 1;
        assert!(calls < 10_000, "decoder made no progress on {body:?}");
        if end < body.len() {
            end = (end + 1 + rng.below(8) as usize).min(body.len());
        }
        let window = &body[start..end];
        match dec.decode(window) {
            Err(e) => {
                assert!(e.at <= window.len() + 1, "error offset {} past the input", e.at);
                return;
            }
            Ok((n, ev)) => {
                assert!(n <= window.len());
                if let Some(ChunkEvent::Data(r)) = &ev {
                    assert!(r.end <= window.len() && r.start < r.end, "bad data range {r:?}");
                }
                if let Some(ChunkEvent::End(trailers)) = &ev {
                    for t in trailers {
                        assert!(t.name.end <= window.len() && t.value.end <= window.len());
                    }
                    assert!(dec.is_done());
                    return;
                }
                start += n;
                if n == 0 && ev.is_none() && end == body.len() {
                    return; // needs bytes that will never come
                }
            }
        }
    }
}

#[test]
fn parser_never_panics_and_prefixes_agree() {
    let mut rng = Rng::new(0xbad_c0de);
    let mut complete = 0u64;
    let mut errors = 0u64;
    const N: usize = 1_000_000;
    for i in 0..N {
        let case = input(&mut rng);
        let full = parse_request(&case, DEFAULT_MAX_HEADER_SIZE);
        match &full {
            Ok(Parsed::Complete(h)) => {
                complete += 1;
                assert!(h.len <= case.len());
                assert!(h.url.end <= h.len);
                for hd in &h.fields.headers {
                    assert!(hd.name.end <= h.len && hd.value.end <= h.len && hd.value.start <= hd.value.end);
                }
                let _ = h.body();
                let _ = h.should_keep_alive();
                decode_in_pieces(&mut rng, &case[h.len..]);
            }
            Ok(Parsed::Partial) => {}
            Err(e) => {
                errors += 1;
                assert!(e.at <= case.len() + 1);
            }
        }
        match parse_response(&case, DEFAULT_MAX_HEADER_SIZE) {
            Ok(Parsed::Complete(h)) => {
                assert!(h.len <= case.len() && h.reason.end <= h.len);
                for head_request in [false, true] {
                    let _ = h.body(head_request);
                    let _ = h.should_keep_alive(head_request);
                }
            }
            Ok(Parsed::Partial) => {}
            Err(e) => assert!(e.at <= case.len() + 1),
        }
        // Restartable: every prefix is "need more" or the verdict the whole
        // input gets once the deciding byte is in (checked on a sample).
        if i % 50 == 0 {
            for cut in 0..case.len() {
                match parse_request(&case[..cut], DEFAULT_MAX_HEADER_SIZE) {
                    Ok(Parsed::Partial) => {}
                    Ok(Parsed::Complete(h)) => {
                        assert_eq!(
                            Ok(Parsed::Complete(h)),
                            full,
                            "prefix {cut} of {case:?} completed differently"
                        )
                    }
                    Err(e) => assert_eq!(Err(e), full, "prefix {cut} of {case:?} failed differently"),
                }
            }
        }
    }
    println!("{N} inputs: {complete} complete heads, {errors} errors, no panic");
    assert!(
        complete > 10_000 && errors > 10_000,
        "the generator must reach both outcomes"
    );
}

#[test]
fn chunked_decoder_never_panics_on_random_bodies() {
    let mut rng = Rng::new(0xc4_0c4e);
    const N: usize = 300_000;
    for _ in 0..N {
        let n = rng.below(64) as usize;
        let body: Vec<u8> = (0..n)
            .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
            .collect();
        decode_in_pieces(&mut rng, &body);
    }
    println!("{N} random chunked bodies decoded without a panic");
}

#[test]
fn oversized_heads_stop_at_the_limit() {
    // A head that never ends is refused once it passes max_header_size, so
    // a connection buffers at most that much.
    let mut head = b"GET / HTTP/1.1\r\nX: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 64 * 1024));
    let e = parse_request(&head, DEFAULT_MAX_HEADER_SIZE).unwrap_err();
    assert_eq!(e.code.as_str(), "HPE_HEADER_OVERFLOW");
    // Chunk extensions that never end are refused at Node's limit too.
    let mut line = b"1;".to_vec();
    line.extend(std::iter::repeat_n(b'a', 20 * 1024));
    let e = ChunkedDecoder::new(DEFAULT_MAX_HEADER_SIZE)
        .decode(&line)
        .unwrap_err();
    assert_eq!(e.code.as_str(), "HPE_CHUNK_EXTENSIONS_OVERFLOW");
}

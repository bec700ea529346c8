//! The hand-written strictness requests (line endings, obs-fold, header
//! names and values, Content-Length / Transfer-Encoding shapes, limits)
//! that both the parser test and the server's wire differential send to
//! Node.

/// Every strictness request, as raw bytes.
pub fn strictness_requests() -> Vec<Vec<u8>> {
    let cases: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\nHost: a\n\n",
        b"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length : 1\r\n\r\nx",
        b"GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nX(: a\r\n\r\n",
        b"GET / HTTP/1.1\r\n: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nX:\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: \r\n \r\n\r\n",
        b"GET / HTTP/1.1\r\nHost:a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost:\ta\t \r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\x7fb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\xffb\x80\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n",
        b"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n\rx",
        b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
        b"GET / HTTP/3.0\r\n\r\n",
        b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\rHost: a\r\n\r\n",
        b"GET / HTTP/11\r\n\r\n",
        b"GET / HTTP/a.1\r\n\r\n",
        b"GET / HTTPS/1.1\r\n\r\n",
        b"GET / http/1.1\r\n\r\n",
        b"GET / RTSP/1.0\r\n\r\n",
        b"DESCRIBE / HTTP/1.1\r\n\r\n",
        b"DESCRIBE / RTSP/1.0\r\n\r\n",
        b"SOURCE / ICE/1.0\r\n\r\n",
        b"FOO / HTTP/1.1\r\n\r\n",
        b"GETT / HTTP/1.1\r\n\r\n",
        b"GET_X / HTTP/1.1\r\n\r\n",
        b"get / HTTP/1.1\r\n\r\n",
        b"QUERY / HTTP/1.1\r\n\r\n",
        b"M-SEARCH * HTTP/1.1\r\n\r\n",
        b"GET  /  HTTP/1.1\r\n\r\n",
        b"GET\t/ HTTP/1.1\r\n\r\n",
        b"\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        b"GET /\r\n\r\n",
        b"GET /\n\r\n",
        b"GET /\rx\r\n\r\n",
        b"GET /a\x80b HTTP/1.1\r\n\r\n",
        b"GET /a\tb HTTP/1.1\r\n\r\n",
        b"GET /a\x0cb HTTP/1.1\r\n\r\n",
        b"GET /a\x7fb HTTP/1.1\r\n\r\n",
        b"GET /\x00 HTTP/1.1\r\n\r\n",
        b"GET /a#b?c#d HTTP/1.1\r\n\r\n",
        b"GET /a?b?c HTTP/1.1\r\n\r\n",
        b"GET http://x:1/p?q HTTP/1.1\r\n\r\n",
        b"GET http://u@x/ HTTP/1.1\r\n\r\n",
        b"GET http://u@@x/ HTTP/1.1\r\n\r\n",
        b"GET http:/x HTTP/1.1\r\n\r\n",
        b"GET h1://x HTTP/1.1\r\n\r\n",
        b"GET http://[::1]:8/ HTTP/1.1\r\n\r\n",
        b"GET * HTTP/1.1\r\n\r\n",
        b"GET ? HTTP/1.1\r\n\r\n",
        b"CONNECT a:1 HTTP/1.1\r\n\r\n",
        b"CONNECT /x HTTP/1.1\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length: \r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length: 1 \r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length: 1\t\r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length:\t1\r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\nx",
        b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab",
        b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked \r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nX: y\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nab\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b;c\r\nab\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;a=\"b\\\"c\"\r\nab\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2; a\r\nab\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;a b\r\nab\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : y\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
        b"POST / HTTP/1.0\r\n\r\nabc",
        b"POST / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n\r\n\r\n",
        b"GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\nX",
        b"GET / HTTP/1.1\r\nConnection: closed\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nProxy-Connection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nUpgrade: ws\r\nConnection: upgrade\r\n\r\nxx",
        b"GET / HTTP/1.1\r\nUpgrade: ws\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nabGET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nBAD",
        b"GET / HTTP/1.1\r\nHost: a\r\n",
        b"GET / HT",
        b"",
        b"\r\n",
    ];
    let mut cases: Vec<Vec<u8>> = cases.iter().map(|c| c.to_vec()).collect();
    // Around max_header_size (16 KiB): one long value, many headers, a long URL.
    for len in [16_350, 16_370, 16_373, 16_374, 16_375, 16_380, 16_400, 20_000] {
        let mut c = b"GET / HTTP/1.1\r\nX: ".to_vec();
        c.extend(std::iter::repeat_n(b'v', len));
        c.extend_from_slice(b"\r\n\r\n");
        cases.push(c);
        let mut c = b"GET /".to_vec();
        c.extend(std::iter::repeat_n(b'u', len));
        c.extend_from_slice(b" HTTP/1.1\r\n\r\n");
        cases.push(c);
    }
    // A head that never ends is refused once its spans pass the limit.
    let mut c = b"GET / HTTP/1.1\r\nX: ".to_vec();
    c.extend(std::iter::repeat_n(b'v', 20_000));
    cases.push(c);
    let mut c = b"GET /".to_vec();
    c.extend(std::iter::repeat_n(b'u', 20_000));
    cases.push(c);
    // Many headers, under Node's maxHeadersCount (2000, which truncates
    // rawHeaders: the server's job, not the parser's), around the byte limit.
    for n in [900, 990] {
        let mut c = b"GET / HTTP/1.1\r\n".to_vec();
        for _ in 0..n {
            c.extend_from_slice(b"Abcdefgh: ijklmnop\r\n");
        }
        c.extend_from_slice(b"\r\n");
        cases.push(c);
    }
    cases
}

//! Byte classes of llhttp (Node v20's build), as 256-entry tables.

macro_rules! table {
    ($f:ident) => {{
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = $f(i as u8);
            i += 1;
        }
        t
    }};
}

const fn is_alpha(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

const fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// RFC 7230 `tchar` (llhttp's strict TOKEN).
const fn is_token(b: u8) -> bool {
    is_alnum(b)
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// llhttp's STRICT_URL_CHAR: printable ASCII but space, `#` and `?`.
const fn is_url(b: u8) -> bool {
    is_alnum(b)
        || matches!(
            b,
            b'!' | b'"'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b'-'
                | b'.'
                | b'/'
                | b':'
                | b';'
                | b'<'
                | b'='
                | b'>'
                | b'@'
                | b'['
                | b'\\'
                | b']'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        )
}

/// Characters of the userinfo / host part of an absolute URL.
const fn is_userinfo(b: u8) -> bool {
    is_alnum(b)
        || matches!(
            b,
            b'-' | b'_'
                | b'.'
                | b'!'
                | b'~'
                | b'*'
                | b'\''
                | b'('
                | b')'
                | b'%'
                | b';'
                | b':'
                | b'&'
                | b'='
                | b'+'
                | b'$'
                | b','
        )
}

/// HEADER_CHARS: HTAB, printable ASCII and obs-text (0x80-0xff), not DEL.
const fn is_header_value(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// CONNECTION_TOKEN_CHARS: HEADER_CHARS without `,`.
const fn is_connection_token(b: u8) -> bool {
    is_header_value(b) && b != b','
}

const fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// QDTEXT of a quoted chunk-extension value.
const fn is_qdtext(b: u8) -> bool {
    b == b'\t' || b == b' ' || b == 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b != 0x7f)
}

/// HTAB / SP / VCHAR / obs-text (after a backslash in a quoted value).
const fn is_quoted_pair(b: u8) -> bool {
    b == b'\t' || b == b' ' || (b >= 0x21 && b != 0x7f)
}

pub(crate) static ALPHA: [bool; 256] = table!(is_alpha);
pub(crate) static TOKEN: [bool; 256] = table!(is_token);
pub(crate) static URL: [bool; 256] = table!(is_url);
pub(crate) static USERINFO: [bool; 256] = table!(is_userinfo);
pub(crate) static HEADER_VALUE: [bool; 256] = table!(is_header_value);
pub(crate) static CONNECTION_TOKEN: [bool; 256] = table!(is_connection_token);
pub(crate) static HEX: [bool; 256] = table!(is_hex);
pub(crate) static QDTEXT: [bool; 256] = table!(is_qdtext);
pub(crate) static QUOTED_PAIR: [bool; 256] = table!(is_quoted_pair);

/// The value of a hex digit (the caller checked [`HEX`]).
pub(crate) fn hex_value(b: u8) -> u64 {
    match b {
        b'0'..=b'9' => u64::from(b - b'0'),
        b'a'..=b'f' => u64::from(b - b'a' + 10),
        _ => u64::from(b.wrapping_sub(b'A').wrapping_add(10) & 0xf),
    }
}

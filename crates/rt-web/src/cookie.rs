//! Cookies as the `cookie` npm package (v0.7, what express 4 and cookie-parser use) reads and
//! writes them: [`parse`] a `Cookie` header (the first value of a name wins, surrounding
//! quotes dropped, `%XX` decoded with `decodeURIComponent`, a value that does not decode kept
//! raw) and [`serialize`] a `Set-Cookie` value with `Max-Age`, `Domain`, `Path`, `Expires`,
//! `HttpOnly`, `Secure`, `Partitioned`, `Priority`, `SameSite`, refusing invalid names, values,
//! domains and paths with the package's own messages — an invalid cookie is never written.
//!
//! Written here rather than taken from the `cookie` crate: that crate's header parser and
//! serializer follow RFC 6265 and its own rules (it writes names and values it is given without
//! the npm package's checks, and parses duplicates and quotes differently), while the point
//! here is to behave as Node apps do; what is needed is about 200 lines with no dependency.
//!
//! ```
//! use rt_web::cookie::{self, CookieOptions, SameSite};
//!
//! // The notes: var cookies = parseCookie(req.headers.cookie);
//! let cookies = cookie::parse("isVisit=1; name=%E5%BC%A0; name=second");
//! assert_eq!(cookies.get("isVisit"), Some("1"));
//! assert_eq!(cookies.get("name"), Some("张"));
//!
//! // res.setHeader('Set-Cookie', serialize('isVisit', '1', { path: '/', httpOnly: true }))
//! let opts = CookieOptions { path: Some("/".into()), http_only: true, same_site: Some(SameSite::Lax), ..Default::default() };
//! assert_eq!(cookie::serialize("isVisit", "1", &opts).unwrap(), "isVisit=1; Path=/; HttpOnly; SameSite=Lax");
//! assert!(cookie::serialize("bad name", "1", &opts).is_err());
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use rt_http::ServerResponse;

use crate::querystring::{decode_uri_component, escape};

/// The cookies of a `Cookie` header: names in first-seen order, the first value of each.
#[doc(alias = "req.cookies")]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cookies {
    entries: Vec<(String, String)>,
}

impl Cookies {
    /// The value of cookie `name`.
    #[doc(alias = "req.cookies[name]")]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every `(name, value)`, in first-seen order.
    #[doc(alias = "Object.entries")]
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many cookies.
    #[doc(alias = "Object.keys")]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    #[doc(alias = "Object.keys")]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// `cookie.parse(str)` with the default decoder (`decodeURIComponent` when the value holds a
/// `%`, the raw value when that throws).
#[doc(alias = "cookie.parse")]
#[doc(alias = "parseCookie")]
pub fn parse(header: &str) -> Cookies {
    parse_with(header, &|s: &str| {
        if s.contains('%') {
            decode_uri_component(s).ok()
        } else {
            Some(s.to_owned())
        }
    })
}

/// `cookie.parse(str, { decode })`: `decode` returning `None` (a throw in Node) keeps the raw
/// value.
#[doc(alias = "cookie.parse")]
pub fn parse_with(header: &str, decode: &dyn Fn(&str) -> Option<String>) -> Cookies {
    let mut out = Cookies::default();
    let s = header.as_bytes();
    let len = s.len();
    if len < 2 {
        return out;
    }
    let find = |from: usize, c: u8| s[from.min(len)..].iter().position(|&b| b == c).map(|p| p + from);
    let blank = |i: usize| matches!(s.get(i), Some(b' ' | b'\t'));
    let start_index = |mut i: usize, max: usize| {
        while i < max && blank(i) {
            i += 1;
        }
        i
    };
    let end_index = |mut i: usize, min: usize| {
        while i > min && blank(i - 1) {
            i -= 1;
        }
        i.max(min)
    };
    let mut index = 0usize;
    while let Some(eq) = find(index, b'=') {
        let end = match find(index, b';') {
            None => len,
            Some(end) if eq > end => {
                // Back up to the `;` just before this `=` (the package's "backtrack").
                index = s[..eq].iter().rposition(|&b| b == b';').map_or(0, |p| p + 1);
                continue;
            }
            Some(end) => end,
        };
        let key_start = start_index(index, eq);
        let key_end = end_index(eq, key_start);
        let key = &header[key_start..key_end];
        // `obj[key] = ...` on a plain object: `__proto__` sets nothing, as in Node.
        if key != "__proto__" && out.get(key).is_none() {
            let mut vs = start_index(eq + 1, end);
            let mut ve = end_index(end, vs);
            if s.get(vs) == Some(&b'"') && ve > 0 && s.get(ve - 1) == Some(&b'"') {
                vs += 1;
                ve -= 1;
            }
            let raw = if vs < ve { &header[vs..ve] } else { "" };
            let value = decode(raw).unwrap_or_else(|| raw.to_owned());
            out.entries.push((key.to_owned(), value));
        }
        index = end + 1;
        if index >= len {
            break;
        }
    }
    out
}

/// `SameSite`.
#[doc(alias = "sameSite")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Strict` (also what `sameSite: true` writes).
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None`.
    None,
}

/// `Priority` (a Chrome extension the package writes).
#[doc(alias = "priority")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// `Priority=Low`.
    Low,
    /// `Priority=Medium`.
    Medium,
    /// `Priority=High`.
    High,
}

/// The options of `cookie.serialize(name, value, options)`.
#[doc(alias = "cookie.serialize options")]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieOptions {
    /// `maxAge`, in **seconds** as the package takes it (express's `res.cookie` takes ms).
    pub max_age: Option<i64>,
    /// `domain`.
    pub domain: Option<String>,
    /// `path`.
    pub path: Option<String>,
    /// `expires`, written as an HTTP date.
    pub expires: Option<SystemTime>,
    /// `httpOnly`.
    pub http_only: bool,
    /// `secure`.
    pub secure: bool,
    /// `partitioned` (CHIPS).
    pub partitioned: bool,
    /// `priority`.
    pub priority: Option<Priority>,
    /// `sameSite`.
    pub same_site: Option<SameSite>,
}

/// What `cookie.serialize` throws (a `TypeError` with this message in Node).
#[doc(alias = "TypeError")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieError {
    /// `argument name is invalid`: not an RFC 7230 token.
    InvalidName,
    /// `argument val is invalid`: the encoded value has a character a cookie value cannot.
    InvalidValue,
    /// `option domain is invalid`.
    InvalidDomain,
    /// `option path is invalid`.
    InvalidPath,
    /// `option expires is invalid`.
    InvalidExpires,
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CookieError::InvalidName => "argument name is invalid",
            CookieError::InvalidValue => "argument val is invalid",
            CookieError::InvalidDomain => "option domain is invalid",
            CookieError::InvalidPath => "option path is invalid",
            CookieError::InvalidExpires => "option expires is invalid",
        })
    }
}

impl std::error::Error for CookieError {}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_cookie_value(s: &str) -> bool {
    let octet = |b: u8| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
    let b = s.as_bytes();
    let inner = if b.len() >= 2 && b[0] == b'"' && b[b.len() - 1] == b'"' {
        &b[1..b.len() - 1]
    } else {
        b
    };
    inner.iter().all(|&c| octet(c))
}

fn is_domain(s: &str) -> bool {
    let s = s.strip_prefix('.').unwrap_or(s);
    !s.is_empty()
        && s.split('.').all(|label| {
            let l = label.as_bytes();
            !l.is_empty()
                && l.len() <= 63
                && l[0].is_ascii_alphanumeric()
                && l[l.len() - 1].is_ascii_alphanumeric()
                && l.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        })
}

fn is_path(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, 0x20..=0x3A | 0x3D..=0x7E))
}

/// `cookie.serialize(name, value, options)`: the value is encoded with
/// `encodeURIComponent` first.
#[doc(alias = "cookie.serialize")]
pub fn serialize(name: &str, value: &str, options: &CookieOptions) -> Result<String, CookieError> {
    serialize_with(name, value, options, &escape)
}

/// `cookie.serialize(name, value, { encode, ... })` with a custom encoder (the identity
/// `|v| v.to_owned()` writes the value as it is, still checked).
#[doc(alias = "cookie.serialize")]
pub fn serialize_with(
    name: &str,
    value: &str,
    o: &CookieOptions,
    encode: &dyn Fn(&str) -> String,
) -> Result<String, CookieError> {
    if !is_token(name) {
        return Err(CookieError::InvalidName);
    }
    let value = encode(value);
    if !is_cookie_value(&value) {
        return Err(CookieError::InvalidValue);
    }
    let mut s = format!("{name}={value}");
    if let Some(age) = o.max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    if let Some(d) = o.domain.as_deref().filter(|d| !d.is_empty()) {
        if !is_domain(d) {
            return Err(CookieError::InvalidDomain);
        }
        s.push_str("; Domain=");
        s.push_str(d);
    }
    if let Some(p) = o.path.as_deref().filter(|p| !p.is_empty()) {
        if !is_path(p) {
            return Err(CookieError::InvalidPath);
        }
        s.push_str("; Path=");
        s.push_str(p);
    }
    if let Some(t) = o.expires {
        s.push_str("; Expires=");
        s.push_str(&http_date(t).ok_or(CookieError::InvalidExpires)?);
    }
    if o.http_only {
        s.push_str("; HttpOnly");
    }
    if o.secure {
        s.push_str("; Secure");
    }
    if o.partitioned {
        s.push_str("; Partitioned");
    }
    if let Some(p) = o.priority {
        s.push_str(match p {
            Priority::Low => "; Priority=Low",
            Priority::Medium => "; Priority=Medium",
            Priority::High => "; Priority=High",
        });
    }
    if let Some(ss) = o.same_site {
        s.push_str(match ss {
            SameSite::Strict => "; SameSite=Strict",
            SameSite::Lax => "; SameSite=Lax",
            SameSite::None => "; SameSite=None",
        });
    }
    Ok(s)
}

/// JavaScript's `date.toUTCString()` (`Thu, 01 Jan 1970 00:00:00 GMT`); `None` past
/// JavaScript's date range (±8.64e15 ms).
#[doc(alias = "toUTCString")]
pub fn http_date(t: SystemTime) -> Option<String> {
    let secs: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok()?,
        Err(e) => {
            let d = e.duration();
            -i64::try_from(d.as_secs()).ok()? - i64::from(d.subsec_nanos() > 0)
        }
    };
    if secs.unsigned_abs() > 8_640_000_000_000 {
        return None;
    }
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let wd = WD[days.rem_euclid(7) as usize];
    let year_s = if year < 0 {
        format!("-{:06}", -year)
    } else {
        format!("{year:04}")
    };
    Some(format!(
        "{wd}, {day:02} {} {year_s} {:02}:{:02}:{:02} GMT",
        MO[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

/// Appends a `Set-Cookie` header to `res` (never replacing earlier ones). express:
/// `res.cookie(name, value, options)` (with `maxAge` in seconds here).
#[doc(alias = "res.cookie")]
pub fn set_cookie(
    res: &ServerResponse,
    name: &str,
    value: &str,
    options: &CookieOptions,
) -> Result<(), crate::HttpError> {
    let line = serialize(name, value, options)?;
    res.append_header("Set-Cookie", line)?;
    Ok(())
}

/// The request's cookies (its `Cookie` header parsed; none without one). cookie-parser:
/// `req.cookies`.
#[doc(alias = "req.cookies")]
#[doc(alias = "cookieParser")]
pub fn cookies(req: &rt_http::IncomingMessage) -> Cookies {
    req.header("cookie").map(|h| parse(&h)).unwrap_or_default()
}

//! Turning a request URL into a file path under a root, refusing every
//! traversal: `send`'s rules (decode, NUL is 400, a `..` segment is 403)
//! made stricter where a decoded path could mean two things.

use std::path::{Path, PathBuf};

/// Why a URL does not name a file under the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRefusal {
    /// Undecodable percent sequence or a NUL byte: 400 (send: `decode` fails, `\0`).
    BadRequest,
    /// A `..` segment (also encoded, `%2e%2e`), an encoded `/` or `\`, a
    /// backslash, or a path that would leave the root: 403 (send's `UP_PATH_REGEXP`).
    Forbidden,
}

/// The decoded path segments of a request target, refused as above. The
/// query and fragment are dropped; an absolute-form target keeps its path.
pub fn segments(target: &str) -> Result<Vec<String>, PathRefusal> {
    let mut path = target;
    if let Some(rest) = path
        .strip_prefix("http://")
        .or_else(|| path.strip_prefix("https://"))
    {
        path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err(PathRefusal::BadRequest);
    }
    let mut out = Vec::new();
    for raw in path.split('/').skip(1) {
        let lower = raw.to_ascii_lowercase();
        if lower.contains("%2f") || lower.contains("%5c") || raw.contains('\\') {
            return Err(PathRefusal::Forbidden);
        }
        let seg = percent_decode(raw).ok_or(PathRefusal::BadRequest)?;
        if seg.contains('\0') {
            return Err(PathRefusal::BadRequest);
        }
        if seg == ".." || seg.contains('/') || seg.contains('\\') {
            return Err(PathRefusal::Forbidden);
        }
        if seg.is_empty() || seg == "." {
            continue;
        }
        out.push(seg);
    }
    Ok(out)
}

/// `root` joined with `segments`, checked to stay inside `root` after
/// symbolic links are resolved (when the file exists).
pub fn join_under(root: &Path, segments: &[String]) -> Result<PathBuf, PathRefusal> {
    let mut p = root.to_path_buf();
    for s in segments {
        p.push(s);
    }
    if let (Ok(real_root), Ok(real)) = (root.canonicalize(), p.canonicalize())
        && !real.starts_with(&real_root)
    {
        return Err(PathRefusal::Forbidden);
    }
    Ok(p)
}

/// `decodeURIComponent` on one segment: `None` for a bad `%` sequence or
/// bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(h).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        use PathRefusal::*;
        for (t, want) in [
            ("/../etc/passwd", Forbidden),
            ("/a/../../etc/passwd", Forbidden),
            ("/%2e%2e/etc/passwd", Forbidden),
            ("/%2E%2E/%2e%2e/etc/passwd", Forbidden),
            ("/..%2fetc%2fpasswd", Forbidden),
            ("/a%2F..%2F..%2Fb", Forbidden),
            ("/..%5c..%5cwin.ini", Forbidden),
            ("/a\\..\\b", Forbidden),
            ("/a%00.txt", BadRequest),
            ("/a%zz", BadRequest),
            ("/%ff", BadRequest),
            ("etc/passwd", BadRequest),
        ] {
            assert_eq!(segments(t), Err(want), "{t}");
        }
        assert_eq!(segments("//etc/passwd").unwrap(), vec!["etc", "passwd"]);
        assert_eq!(segments("/a/./b%20c?x=1#f").unwrap(), vec!["a", "b c"]);
        assert_eq!(segments("http://h/x/y").unwrap(), vec!["x", "y"]);
    }
}

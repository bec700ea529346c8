//! `Range: bytes=...` as the `range-parser` npm package reads it (with
//! `combine: true`, as `send` calls it).

/// One inclusive byte range. Node: an element of range-parser's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte, inclusive.
    pub end: u64,
}

/// range-parser's verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeResult {
    /// Satisfiable ranges, sorted and combined. Node: an array of ranges.
    Ranges(Vec<ByteRange>),
    /// Well-formed but none satisfiable. Node: `-1`.
    Unsatisfiable,
    /// Not a `bytes=` range or malformed: ignore it. Node: `-2`.
    Malformed,
}

/// Parses a `Range` header against a resource of `size` bytes. Node:
/// `rangeParser(size, header, { combine: true })`.
#[doc(alias = "rangeParser")]
pub fn parse_range(size: u64, header: &str) -> RangeResult {
    let Some(eq) = header.find('=') else {
        return RangeResult::Malformed;
    };
    if &header[..eq] != "bytes" {
        return RangeResult::Malformed;
    }
    let mut ranges = Vec::new();
    for part in header[eq + 1..].split(',') {
        let Some((a, b)) = part.split_once('-') else {
            return RangeResult::Malformed;
        };
        let (a, b) = (a.trim(), b.trim());
        let num = |s: &str| -> Option<u64> {
            if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
                None
            } else {
                Some(s.parse().unwrap_or(u64::MAX))
            }
        };
        let (start, end) = match (num(a), num(b)) {
            (Some(s), Some(e)) => (s, e.min(size.saturating_sub(1))),
            (Some(s), None) if b.is_empty() => (s, size.saturating_sub(1)),
            (None, Some(n)) if a.is_empty() => (size.saturating_sub(n), size.saturating_sub(1)),
            _ => return RangeResult::Malformed,
        };
        // range-parser: skip ranges that start past the end or end before the start.
        if start > end || start >= size {
            continue;
        }
        ranges.push(ByteRange { start, end });
    }
    if ranges.is_empty() {
        return RangeResult::Unsatisfiable;
    }
    ranges.sort_by_key(|r| r.start);
    let mut combined: Vec<ByteRange> = Vec::new();
    for r in ranges {
        match combined.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(1) => last.end = last.end.max(r.end),
            _ => combined.push(r),
        }
    }
    RangeResult::Ranges(combined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: u64, e: u64) -> RangeResult {
        RangeResult::Ranges(vec![ByteRange { start: s, end: e }])
    }

    #[test]
    fn range_parser_cases() {
        assert_eq!(parse_range(1000, "bytes=0-499"), one(0, 499));
        assert_eq!(parse_range(1000, "bytes=500-"), one(500, 999));
        assert_eq!(parse_range(1000, "bytes=-200"), one(800, 999));
        assert_eq!(parse_range(1000, "bytes=-2000"), one(0, 999));
        assert_eq!(parse_range(1000, "bytes=900-5000"), one(900, 999));
        assert_eq!(parse_range(1000, "bytes=0-1,2-3"), one(0, 3));
        assert_eq!(parse_range(1000, "bytes=1000-"), RangeResult::Unsatisfiable);
        assert_eq!(parse_range(1000, "bytes=5-1"), RangeResult::Unsatisfiable);
        assert_eq!(parse_range(1000, "items=0-1"), RangeResult::Malformed);
        assert_eq!(parse_range(1000, "bytes=a-b"), RangeResult::Malformed);
        assert_eq!(parse_range(1000, "bytes"), RangeResult::Malformed);
        assert_eq!(parse_range(0, "bytes=0-"), RangeResult::Unsatisfiable);
        assert_eq!(
            parse_range(1000, "bytes=0-1,10-20"),
            RangeResult::Ranges(vec![
                ByteRange { start: 0, end: 1 },
                ByteRange { start: 10, end: 20 }
            ])
        );
    }
}

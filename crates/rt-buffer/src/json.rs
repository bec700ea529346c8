//! `buf.toJSON()`, `Buffer.from({type: 'Buffer', data})` and `Buffer.from(array)`.

use std::fmt::Write as _;

use crate::buffer::Buffer;
use crate::error::{Error, Result};
use crate::ops::inspect_str;

/// JavaScript's ToUint8: truncate, wrap modulo 256; NaN and infinities are 0.
fn to_uint8(v: f64) -> u8 {
    if !v.is_finite() {
        return 0;
    }
    v.trunc().rem_euclid(256.0) as u8
}

impl Buffer {
    /// `Buffer.from(array)`: each number's low 8 bits (`& 0xFF`).
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// assert_eq!(Buffer::from_array(&[1, 257, -1]), vec![1u8, 1, 255]);
    /// ```
    #[doc(alias = "from")]
    pub fn from_array(values: &[i64]) -> Buffer {
        values.iter().map(|&v| v as u8).collect()
    }

    /// `Buffer.from(array)` for JavaScript numbers: truncated, modulo 256,
    /// NaN and infinities as 0 (so `1.5` is 1 and `-1` is 255).
    #[doc(alias = "from")]
    pub fn from_numbers(values: &[f64]) -> Buffer {
        values.iter().map(|&v| to_uint8(v)).collect()
    }

    /// `JSON.stringify(buf)`: `{"type":"Buffer","data":[104,105]}`.
    #[doc(alias = "toJSON")]
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(30 + self.len() * 4);
        s.push_str("{\"type\":\"Buffer\",\"data\":[");
        for (i, b) in self.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{b}");
        }
        s.push_str("]}");
        s
    }

    /// `Buffer.from(JSON.parse(json))` for the `{"type":"Buffer","data":[...]}`
    /// shape `to_json` (and Node's `JSON.stringify`) produce. Numbers keep
    /// their low 8 bits as in [`from_numbers`](Buffer::from_numbers).
    ///
    /// Anything else fails with `ERR_INVALID_ARG_VALUE`.
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let buf = Buffer::from("hi");
    /// assert_eq!(buf.to_json(), r#"{"type":"Buffer","data":[104,105]}"#);
    /// assert_eq!(Buffer::from_json(&buf.to_json())?, buf);
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    #[doc(alias = "toJSON")]
    pub fn from_json(json: &str) -> Result<Buffer> {
        let bad = || Error::invalid_arg_value("json", inspect_str(json));
        let mut p = Parser {
            s: json.as_bytes(),
            i: 0,
        };
        p.expect(b'{').ok_or_else(bad)?;
        let mut ty = None;
        let mut data = None;
        loop {
            let key = p.string().ok_or_else(bad)?;
            p.expect(b':').ok_or_else(bad)?;
            match key.as_str() {
                "type" => ty = Some(p.string().ok_or_else(bad)?),
                "data" => data = Some(p.numbers().ok_or_else(bad)?),
                _ => return Err(bad()),
            }
            if p.expect(b',').is_none() {
                break;
            }
        }
        p.expect(b'}').ok_or_else(bad)?;
        p.ws();
        if p.i != p.s.len() || ty.as_deref() != Some("Buffer") {
            return Err(bad());
        }
        Ok(Buffer::from_numbers(&data.ok_or_else(bad)?))
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\n' | b'\r' | b'\t') {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// A JSON string without escapes (keys and "Buffer").
    fn string(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let start = self.i;
        while *self.s.get(self.i)? != b'"' {
            if self.s[self.i] == b'\\' {
                return None;
            }
            self.i += 1;
        }
        let out = std::str::from_utf8(&self.s[start..self.i]).ok()?.to_string();
        self.i += 1;
        Some(out)
    }

    fn numbers(&mut self) -> Option<Vec<f64>> {
        self.expect(b'[')?;
        let mut out = Vec::new();
        if self.expect(b']').is_some() {
            return Some(out);
        }
        loop {
            self.ws();
            let start = self.i;
            while self.i < self.s.len()
                && matches!(self.s[self.i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                self.i += 1;
            }
            let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
            out.push(text.parse::<f64>().ok()?);
            if self.expect(b',').is_none() {
                break;
            }
        }
        self.expect(b']')?;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shapes() {
        assert_eq!(Buffer::new().to_json(), r#"{"type":"Buffer","data":[]}"#);
        let b = Buffer::from_json(r#" { "data" : [1, 256, -1, 1.5, 2e2], "type": "Buffer" } "#).unwrap();
        assert_eq!(b, vec![1u8, 0, 255, 1, 200]);
        for bad in [
            "",
            "{}",
            r#"{"type":"Nope","data":[]}"#,
            r#"{"type":"Buffer","data":[x]}"#,
            r#"{"type":"Buffer","data":[1]} x"#,
        ] {
            assert_eq!(
                Buffer::from_json(bad).unwrap_err().code(),
                "ERR_INVALID_ARG_VALUE",
                "{bad}"
            );
        }
        assert_eq!(Buffer::from_numbers(&[f64::NAN, -0.5, 300.7]), vec![0u8, 0, 44]);
    }
}

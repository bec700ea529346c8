//! Reading and writing numbers: `readUInt32LE`, `writeDoubleBE`, `readBigInt64LE`, ...

use crate::buffer::Buffer;
use crate::error::{Error, Result};
use crate::ops::format_received;

/// Node's `boundsError(offset, last)`: `offset` outside `0..=last`.
pub(crate) fn bounds_error(offset: i64, last: i64) -> Error {
    if last < 0 {
        Error::buffer_out_of_bounds(None)
    } else {
        Error::out_of_range(
            "offset",
            &format!(">= 0 and <= {last}"),
            format_received(offset as f64),
        )
    }
}

/// Checks that `size` bytes at `offset` are inside a buffer of `len` bytes;
/// returns the offset as an index.
pub(crate) fn check_offset(offset: i64, size: usize, len: usize) -> Result<usize> {
    let last = len as i64 - size as i64;
    if offset < 0 || offset > last {
        return Err(bounds_error(offset, last));
    }
    Ok(offset as usize)
}

fn check_byte_length(byte_length: usize) -> Result<()> {
    if !(1..=6).contains(&byte_length) {
        return Err(Error::out_of_range(
            "byteLength",
            ">= 1 and <= 6",
            format_received(byte_length as f64),
        ));
    }
    Ok(())
}

/// Node's `checkInt` range text for a value of `size` bytes.
fn int_range_text(size: usize, signed: bool) -> String {
    let bits = size * 8;
    if size > 4 {
        if signed {
            format!(">= -(2 ** {}) and < 2 ** {}", bits - 1, bits - 1)
        } else {
            format!(">= 0 and < 2 ** {bits}")
        }
    } else if signed {
        format!(">= -{} and <= {}", 1i64 << (bits - 1), (1i64 << (bits - 1)) - 1)
    } else {
        format!(">= 0 and <= {}", (1u64 << bits) - 1)
    }
}

macro_rules! fixed {
    ($(($ty:ty, $size:expr, $read:ident, $write:ident, $from:ident, $to:ident, $rname:literal, $wname:literal)),* $(,)?) => {
        impl Buffer {
            $(
                #[doc = concat!("`buf.", $rname, "(offset)`: reads a `", stringify!($ty), "` at `offset`.")]
                ///
                /// Fails with `ERR_OUT_OF_RANGE` when the value would not fit
                /// (`ERR_BUFFER_OUT_OF_BOUNDS` when the buffer is too short for any offset).
                #[doc(alias = $rname)]
                pub fn $read(&self, offset: i64) -> Result<$ty> {
                    let at = check_offset(offset, $size, self.len())?;
                    let mut raw = [0u8; $size];
                    raw.copy_from_slice(&self[at..at + $size]);
                    Ok(<$ty>::$from(raw))
                }

                #[doc = concat!("`buf.", $wname, "(value, offset)`: writes a `", stringify!($ty), "` at `offset`; returns `offset` plus the bytes written.")]
                ///
                /// Same offset errors as the read.
                #[doc(alias = $wname)]
                pub fn $write(&mut self, value: $ty, offset: i64) -> Result<usize> {
                    let at = check_offset(offset, $size, self.len())?;
                    let raw = value.$to();
                    self.with_mut(|b| b[at..at + $size].copy_from_slice(&raw));
                    Ok(at + $size)
                }
            )*
        }
    };
}

fixed! {
    (u8, 1, read_u8, write_u8, from_le_bytes, to_le_bytes, "readUInt8", "writeUInt8"),
    (i8, 1, read_i8, write_i8, from_le_bytes, to_le_bytes, "readInt8", "writeInt8"),
    (u16, 2, read_u16_le, write_u16_le, from_le_bytes, to_le_bytes, "readUInt16LE", "writeUInt16LE"),
    (u16, 2, read_u16_be, write_u16_be, from_be_bytes, to_be_bytes, "readUInt16BE", "writeUInt16BE"),
    (i16, 2, read_i16_le, write_i16_le, from_le_bytes, to_le_bytes, "readInt16LE", "writeInt16LE"),
    (i16, 2, read_i16_be, write_i16_be, from_be_bytes, to_be_bytes, "readInt16BE", "writeInt16BE"),
    (u32, 4, read_u32_le, write_u32_le, from_le_bytes, to_le_bytes, "readUInt32LE", "writeUInt32LE"),
    (u32, 4, read_u32_be, write_u32_be, from_be_bytes, to_be_bytes, "readUInt32BE", "writeUInt32BE"),
    (i32, 4, read_i32_le, write_i32_le, from_le_bytes, to_le_bytes, "readInt32LE", "writeInt32LE"),
    (i32, 4, read_i32_be, write_i32_be, from_be_bytes, to_be_bytes, "readInt32BE", "writeInt32BE"),
    (u64, 8, read_u64_le, write_u64_le, from_le_bytes, to_le_bytes, "readBigUInt64LE", "writeBigUInt64LE"),
    (u64, 8, read_u64_be, write_u64_be, from_be_bytes, to_be_bytes, "readBigUInt64BE", "writeBigUInt64BE"),
    (i64, 8, read_i64_le, write_i64_le, from_le_bytes, to_le_bytes, "readBigInt64LE", "writeBigInt64LE"),
    (i64, 8, read_i64_be, write_i64_be, from_be_bytes, to_be_bytes, "readBigInt64BE", "writeBigInt64BE"),
    (f32, 4, read_f32_le, write_f32_le, from_le_bytes, to_le_bytes, "readFloatLE", "writeFloatLE"),
    (f32, 4, read_f32_be, write_f32_be, from_be_bytes, to_be_bytes, "readFloatBE", "writeFloatBE"),
    (f64, 8, read_f64_le, write_f64_le, from_le_bytes, to_le_bytes, "readDoubleLE", "writeDoubleLE"),
    (f64, 8, read_f64_be, write_f64_be, from_be_bytes, to_be_bytes, "readDoubleBE", "writeDoubleBE"),
}

impl Buffer {
    fn read_var(&self, offset: i64, byte_length: usize, le: bool) -> Result<u64> {
        check_byte_length(byte_length)?;
        let at = check_offset(offset, byte_length, self.len())?;
        let bytes = &self[at..at + byte_length];
        let mut v = 0u64;
        if le {
            for &b in bytes.iter().rev() {
                v = (v << 8) | u64::from(b);
            }
        } else {
            for &b in bytes {
                v = (v << 8) | u64::from(b);
            }
        }
        Ok(v)
    }

    /// `buf.readUIntLE(offset, byteLength)`: an unsigned little-endian integer of 1 to 6 bytes.
    ///
    /// A `byte_length` outside 1..=6 fails with `ERR_OUT_OF_RANGE`.
    #[doc(alias = "readUIntLE")]
    pub fn read_uint_le(&self, offset: i64, byte_length: usize) -> Result<u64> {
        self.read_var(offset, byte_length, true)
    }

    /// `buf.readUIntBE(offset, byteLength)`: an unsigned big-endian integer of 1 to 6 bytes.
    #[doc(alias = "readUIntBE")]
    pub fn read_uint_be(&self, offset: i64, byte_length: usize) -> Result<u64> {
        self.read_var(offset, byte_length, false)
    }

    /// `buf.readIntLE(offset, byteLength)`: a signed little-endian integer of 1 to 6 bytes.
    #[doc(alias = "readIntLE")]
    pub fn read_int_le(&self, offset: i64, byte_length: usize) -> Result<i64> {
        let v = self.read_var(offset, byte_length, true)?;
        Ok(sign_extend(v, byte_length))
    }

    /// `buf.readIntBE(offset, byteLength)`: a signed big-endian integer of 1 to 6 bytes.
    #[doc(alias = "readIntBE")]
    pub fn read_int_be(&self, offset: i64, byte_length: usize) -> Result<i64> {
        let v = self.read_var(offset, byte_length, false)?;
        Ok(sign_extend(v, byte_length))
    }

    fn write_var(&mut self, raw: u64, offset: i64, byte_length: usize, le: bool) -> Result<usize> {
        let at = check_offset(offset, byte_length, self.len())?;
        self.with_mut(|b| {
            let dst = &mut b[at..at + byte_length];
            for i in 0..byte_length {
                let byte = (raw >> (8 * i)) as u8;
                if le {
                    dst[i] = byte;
                } else {
                    dst[byte_length - 1 - i] = byte;
                }
            }
        });
        Ok(at + byte_length)
    }

    /// `buf.writeUIntLE(value, offset, byteLength)`: writes an unsigned
    /// little-endian integer of 1 to 6 bytes; returns `offset + byteLength`.
    ///
    /// A value that does not fit fails with `ERR_OUT_OF_RANGE` (`The value
    /// of "value" is out of range...`), as does a bad `byte_length`.
    #[doc(alias = "writeUIntLE")]
    pub fn write_uint_le(&mut self, value: u64, offset: i64, byte_length: usize) -> Result<usize> {
        check_uint(value, byte_length)?;
        self.write_var(value, offset, byte_length, true)
    }

    /// `buf.writeUIntBE(value, offset, byteLength)`.
    #[doc(alias = "writeUIntBE")]
    pub fn write_uint_be(&mut self, value: u64, offset: i64, byte_length: usize) -> Result<usize> {
        check_uint(value, byte_length)?;
        self.write_var(value, offset, byte_length, false)
    }

    /// `buf.writeIntLE(value, offset, byteLength)`: a signed little-endian integer of 1 to 6 bytes.
    #[doc(alias = "writeIntLE")]
    pub fn write_int_le(&mut self, value: i64, offset: i64, byte_length: usize) -> Result<usize> {
        check_int(value, byte_length)?;
        self.write_var(value as u64, offset, byte_length, true)
    }

    /// `buf.writeIntBE(value, offset, byteLength)`.
    #[doc(alias = "writeIntBE")]
    pub fn write_int_be(&mut self, value: i64, offset: i64, byte_length: usize) -> Result<usize> {
        check_int(value, byte_length)?;
        self.write_var(value as u64, offset, byte_length, false)
    }
}

fn sign_extend(v: u64, byte_length: usize) -> i64 {
    let shift = 64 - 8 * byte_length as u32;
    ((v << shift) as i64) >> shift
}

fn check_uint(value: u64, byte_length: usize) -> Result<()> {
    check_byte_length(byte_length)?;
    if value >> (8 * byte_length) != 0 {
        return Err(Error::out_of_range(
            "value",
            &int_range_text(byte_length, false),
            format_received(value as f64),
        ));
    }
    Ok(())
}

fn check_int(value: i64, byte_length: usize) -> Result<()> {
    check_byte_length(byte_length)?;
    let bits = 8 * byte_length as u32;
    let min = -(1i64 << (bits - 1));
    let max = (1i64 << (bits - 1)) - 1;
    if value < min || value > max {
        return Err(Error::out_of_range(
            "value",
            &int_range_text(byte_length, true),
            format_received(value as f64),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_round_trip() {
        let mut b = Buffer::alloc(8).unwrap();
        assert_eq!(b.write_u32_be(0x0102_0304, 2).unwrap(), 6);
        assert_eq!(b.read_u32_le(2).unwrap(), 0x0403_0201);
        assert_eq!(b.read_u16_be(3).unwrap(), 0x0203);
        assert_eq!(b.write_int_le(-2, 0, 6).unwrap(), 6);
        assert_eq!(b.read_int_le(0, 6).unwrap(), -2);
        assert_eq!(b.read_uint_be(0, 2).unwrap(), 0xfeff);
        b.write_f64_be(1.5, 0).unwrap();
        assert_eq!(b.read_f64_be(0).unwrap(), 1.5);
    }

    #[test]
    fn errors_match_node() {
        let b = Buffer::alloc(4).unwrap();
        let e = b.read_u32_le(1).unwrap_err();
        assert_eq!(e.code(), "ERR_OUT_OF_RANGE");
        assert_eq!(
            e.to_string(),
            "The value of \"offset\" is out of range. It must be >= 0 and <= 0. Received 1"
        );
        assert_eq!(b.read_u32_le(-1).unwrap_err().code(), "ERR_OUT_OF_RANGE");
        assert_eq!(b.read_u64_le(0).unwrap_err().code(), "ERR_BUFFER_OUT_OF_BOUNDS");
        assert_eq!(
            b.read_uint_le(0, 7).unwrap_err().to_string(),
            "The value of \"byteLength\" is out of range. It must be >= 1 and <= 6. Received 7"
        );
        let mut b = Buffer::alloc(8).unwrap();
        assert_eq!(
            b.write_uint_le(1 << 40, 0, 5).unwrap_err().to_string(),
            "The value of \"value\" is out of range. It must be >= 0 and < 2 ** 40. Received 1_099_511_627_776"
        );
        assert_eq!(
            b.write_int_be(128, 0, 1).unwrap_err().to_string(),
            "The value of \"value\" is out of range. It must be >= -128 and <= 127. Received 128"
        );
    }
}

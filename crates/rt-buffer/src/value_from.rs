//! The `From` conversions shared by the byte / string / bytes argument enums
//! ([`Fill`](crate::Fill) and [`Needle`](crate::Needle)).

/// Implements `From` for an enum with `Byte(u8)`, `Str(&str)` and
/// `Bytes(&[u8])` variants: from `u8`, from JavaScript integers (`i64`, `i32`:
/// their low 8 bits, as Node's `& 255`), and from `&str`, `&String`,
/// `&[u8]`, `&[u8; N]` and `&Buffer`.
macro_rules! value_from_impls {
    ($ty:ident) => {
        impl From<u8> for $ty<'_> {
            fn from(b: u8) -> Self {
                $ty::Byte(b)
            }
        }

        impl From<i64> for $ty<'_> {
            /// A JavaScript integer: its low 8 bits, as Node's `& 255`.
            fn from(v: i64) -> Self {
                $ty::Byte(v as u8)
            }
        }

        impl From<i32> for $ty<'_> {
            /// A JavaScript integer: its low 8 bits, as Node's `& 255`.
            fn from(v: i32) -> Self {
                $ty::Byte(v as u8)
            }
        }

        impl<'a> From<&'a str> for $ty<'a> {
            fn from(s: &'a str) -> Self {
                $ty::Str(s)
            }
        }

        impl<'a> From<&'a String> for $ty<'a> {
            fn from(s: &'a String) -> Self {
                $ty::Str(s)
            }
        }

        impl<'a> From<&'a [u8]> for $ty<'a> {
            fn from(b: &'a [u8]) -> Self {
                $ty::Bytes(b)
            }
        }

        impl<'a, const N: usize> From<&'a [u8; N]> for $ty<'a> {
            fn from(b: &'a [u8; N]) -> Self {
                $ty::Bytes(b)
            }
        }

        impl<'a> From<&'a $crate::Buffer> for $ty<'a> {
            fn from(b: &'a $crate::Buffer) -> Self {
                $ty::Bytes(b)
            }
        }
    };
}

pub(crate) use value_from_impls;

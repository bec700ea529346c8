//! `option_setters!`: builder-style setters for the `#[non_exhaustive]`
//! option structs (`ReadableOptions::default().high_water_mark(4)`), so
//! new Node options can be added without breaking callers. Exported (hidden)
//! so rt-net's option structs use the same macro.

/// Generates one `#[must_use]` setter per listed field:
/// `field: T` sets it, `field: Some(T)` sets `Some(value)`,
/// `field: into T` / `field: Some into T` take `impl Into<T>`.
#[doc(hidden)]
#[macro_export]
macro_rules! option_setters {
    ($ty:ty { $( $(#[$m:meta])* $field:ident : $($kind:ident)* ($t:ty) ),* $(,)? }) => {
        impl $ty {
            $( $crate::option_setters!(@one $(#[$m])* $field [$($kind)*] $t); )*
        }
    };
    (@one $(#[$m:meta])* $field:ident [] $t:ty) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(mut self, value: $t) -> Self {
            self.$field = value;
            self
        }
    };
    (@one $(#[$m:meta])* $field:ident [Some] $t:ty) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(mut self, value: $t) -> Self {
            self.$field = Some(value);
            self
        }
    };
    (@one $(#[$m:meta])* $field:ident [into] $t:ty) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(mut self, value: impl Into<$t>) -> Self {
            self.$field = value.into();
            self
        }
    };
    (@one $(#[$m:meta])* $field:ident [Some into] $t:ty) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(mut self, value: impl Into<$t>) -> Self {
            self.$field = Some(value.into());
            self
        }
    };
}

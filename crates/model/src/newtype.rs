//! The one macro behind every integer newtype of this crate.

/// Declares a transparent newtype over an integer with `new`, `get`, `Display` and `From`.
macro_rules! int_newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty) $(, derive($($extra:ident),*))?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash $($(, $extra)*)?)]
        pub struct $name($inner);

        impl $name {
            pub const fn new(value: $inner) -> Self {
                Self(value)
            }

            pub const fn get(self) -> $inner {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$inner> for $name {
            fn from(value: $inner) -> Self {
                Self(value)
            }
        }
    };
}

pub(crate) use int_newtype;

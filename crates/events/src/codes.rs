//! [`code_enum!`](crate::code_enum): enums stored as stable snake_case codes.
//!
//! The same shape as `wangge-schema`'s macro of that name (which this pure crate does not
//! depend on: the schema crate carries automerge). Codes are what documents store and what
//! the UI keys its Chinese text by, so a variant's code never changes once shipped.

/// Declares an enum whose variants serialise as the given string codes, with `ALL`,
/// `code()` and `from_code()`.
#[macro_export]
macro_rules! code_enum {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $var:ident = $code:literal,)+ }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        $(#[$m])*
        $vis enum $name { $($(#[$vm])* #[serde(rename = $code)] $var,)+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var,)+];

            /// The stable code stored in documents.
            pub fn code(self) -> &'static str {
                match self { $($name::$var => $code,)+ }
            }

            /// Parses a stored code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$var),)+ _ => None }
            }
        }
    };
}

//! [`code_enum!`]: enums stored as stable snake_case codes in documents and on the wire.

/// Declares an enum with a stable string code per variant, `code()`, `from_code()` and
/// `ALL`, serialised as its code. With the calling crate's `ts` feature it also derives
/// `ts_rs::TS` (the calling crate then depends on `ts-rs`).
#[macro_export]
macro_rules! code_enum {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $var:ident = $code:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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

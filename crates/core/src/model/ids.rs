//! Typed record ids (UUIDs).

use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self { Self(Uuid::new_v4()) }
        }
        impl Default for $name {
            fn default() -> Self { Self::new() }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
        }
        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, uuid::Error> { Uuid::parse_str(s).map(Self) }
        }
    )*};
}

id_type! {
    /// A household (also its document's id).
    HouseholdId;
    /// A resident, unique across households so a move keeps it.
    ResidentId;
    /// A visit.
    VisitId;
    /// A need (微心愿) collected on a visit.
    NeedId;
    /// A temperature check: derived from resident, date and slot, so the same check taken on
    /// two devices is one record whose conflicting values can be seen and resolved.
    CheckId;
    /// A journal entry: derived from member and date.
    JournalId;
    /// A report (also its document's id).
    ReportId;
    /// A status event on a report.
    EventId;
}

pub(crate) use wangge_schema::derived;

//! Why the relay refuses one document (the `doc-refused` extension's `reason`).
//!
//! A refusal is about that document alone: the relay stores nothing of it, the
//! connection and every other document go on, and the device keeps the document and
//! offers it again on a later connection. Unknown reason codes from a newer relay decode
//! as [`RefusalReason::Other`], so either side can add reasons.

use std::fmt;

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// Its `kind` is not one this relay knows (a newer app than the relay).
    UnknownKind,
    /// Its changes show no string `kind` and `scope` in the root map.
    NoMeta,
    /// Its `scope` is not a grid or division code.
    BadScope,
    /// The device may not write documents in that scope.
    ScopeForbidden,
    /// The device may not write documents of that kind in that scope.
    KindForbidden,
    /// The connection already syncs as many documents as the relay allows.
    TooMany,
    /// The connection is creating as many new documents at once as the relay allows.
    Busy,
    /// The new document grew past what the relay holds for a document still being created.
    TooLarge,
    /// An event step the device may not write: another user's, a role's that never
    /// takes it, outside its scopes, or a stored step rewritten.
    StepForbidden,
    /// A notice or receipt record the device may not write: another user's receipt or
    /// clue, a notice by someone other than its sender, or a notice rewritten.
    RecordForbidden,
    /// A reason this build does not know.
    Other,
}

impl RefusalReason {
    /// Every reason with a code, in a stable order.
    pub const ALL: &'static [RefusalReason] = &[
        RefusalReason::UnknownKind,
        RefusalReason::NoMeta,
        RefusalReason::BadScope,
        RefusalReason::ScopeForbidden,
        RefusalReason::KindForbidden,
        RefusalReason::TooMany,
        RefusalReason::Busy,
        RefusalReason::TooLarge,
        RefusalReason::StepForbidden,
        RefusalReason::RecordForbidden,
    ];

    /// The code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::UnknownKind => "unknown-kind",
            RefusalReason::NoMeta => "no-meta",
            RefusalReason::BadScope => "bad-scope",
            RefusalReason::ScopeForbidden => "scope-forbidden",
            RefusalReason::KindForbidden => "kind-forbidden",
            RefusalReason::TooMany => "too-many",
            RefusalReason::Busy => "busy",
            RefusalReason::TooLarge => "too-large",
            RefusalReason::StepForbidden => "step-forbidden",
            RefusalReason::RecordForbidden => "record-forbidden",
            RefusalReason::Other => "other",
        }
    }

    /// The reason a code names ([`RefusalReason::Other`] for codes not known here).
    pub fn parse(code: &str) -> RefusalReason {
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == code)
            .unwrap_or(RefusalReason::Other)
    }

    /// Whether the refusal may end by itself on a later connection without the relay
    /// or the device changing (limits of one connection).
    pub fn is_transient(self) -> bool {
        matches!(self, RefusalReason::TooMany | RefusalReason::Busy)
    }
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_round_trips_and_unknown_codes_are_other() {
        for r in RefusalReason::ALL {
            assert_eq!(RefusalReason::parse(r.as_str()), *r);
        }
        assert_eq!(
            RefusalReason::parse("from-the-future"),
            RefusalReason::Other
        );
    }
}

//! What the UI shows about sync: [`SyncStatus`], and why a document waits.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use wangge_proto::RefusalReason;

/// What the UI shows about sync.
///
/// `synced` means every document this device offers the relay is acknowledged, the relay's
/// own documents for this device have arrived, and no photo waits for upload. Documents
/// that **wait** do not keep it false: a document the relay refused (`doc-refused`, or
/// `doc-unavailable` for one this device holds) or whose kind the relay does not take is
/// kept on the device, unchanged, and offered again on the next connection;
/// `docs_waiting` and `waiting_reasons` say how many and why, so the UI can show them
/// beside "synced".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// Connected and joined.
    pub online: bool,
    /// Local documents whose heads the relay has not acknowledged yet, and documents the
    /// relay offered that are not in the store yet (waiting ones not included).
    pub docs_pending: usize,
    /// Every offered document is acknowledged on the current connection (see above).
    pub synced: bool,
    /// When everything was last acknowledged.
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure, as a code ([`super::LinkError::code`], or a photo transfer's).
    pub last_error: Option<&'static str>,
    /// Connections made so far.
    pub connections: u64,
    /// Whether the last connection to the relay was encrypted (TLS); `None` before the
    /// first. The sync page shows a plain link as not encrypted.
    pub encrypted: Option<bool>,
    /// Documents this device asked for that the relay answered `doc-unavailable` for (out
    /// of scope or unknown there); none of them holds anything here.
    pub unavailable: usize,
    /// Documents kept on this device that the relay does not take on this connection.
    pub docs_waiting: usize,
    /// Those documents by reason: [`wait_code`]s with their counts.
    pub waiting_reasons: BTreeMap<&'static str, usize>,
    /// Photo uploads not done yet.
    pub photos_pending: usize,
    /// Bytes of those the relay has not confirmed yet.
    pub photo_bytes_pending: u64,
    /// The upload in progress: (bytes the relay has, its size).
    pub photo_progress: Option<(u64, u64)>,
    /// Photos that reports reference but the store does not hold yet.
    pub photos_to_fetch: usize,
    /// Of those, the ones the relay did not have for this device on the last try (not
    /// uploaded yet, or outside its scope); they are tried again later.
    pub photos_unavailable: usize,
    /// When the directory (名录) was last fetched from the relay; screens that name units
    /// read it again when this moves.
    pub directory_at: Option<DateTime<Utc>>,
}

/// Why a document this device holds waits instead of syncing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitReason {
    /// The relay refused it (`wangge-doc-refused`), or announced kinds without its kind
    /// ([`RefusalReason::UnknownKind`]: held back before it was offered).
    Refused(RefusalReason),
    /// The relay answered the plain `doc-unavailable` for it (a relay without the
    /// `doc-refused` feature refusing it).
    Unavailable,
}

/// The code of [`WaitReason::Unavailable`] in `waiting_reasons`.
pub const WAIT_UNAVAILABLE: &str = "doc-unavailable";

/// The stable code of a reason, as the UI keys its text: the relay's refusal code on the
/// wire (`unknown-kind`, `scope-forbidden`, `kind-forbidden`, `no-meta`, `bad-scope`,
/// `too-many`, `busy`, `too-large`, `other`), or `doc-unavailable`.
pub fn wait_code(reason: WaitReason) -> &'static str {
    match reason {
        WaitReason::Refused(r) => r.as_str(),
        WaitReason::Unavailable => WAIT_UNAVAILABLE,
    }
}

impl WaitReason {
    /// Whether it may end on this same connection (limits of one connection: `busy`,
    /// `too-many`); other reasons wait for the next connection.
    pub fn is_transient(self) -> bool {
        matches!(self, WaitReason::Refused(r) if r.is_transient())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wait_reason_has_a_distinct_code() {
        let mut codes: Vec<&str> = RefusalReason::ALL
            .iter()
            .map(|r| wait_code(WaitReason::Refused(*r)))
            .collect();
        codes.push(wait_code(WaitReason::Refused(RefusalReason::Other)));
        codes.push(wait_code(WaitReason::Unavailable));
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "{codes:?}");
        assert!(WaitReason::Refused(RefusalReason::Busy).is_transient());
        assert!(!WaitReason::Refused(RefusalReason::ScopeForbidden).is_transient());
        assert!(!WaitReason::Unavailable.is_transient());
    }
}

//! [`DocStore`]: documents (their scope, kind and change chunks) and the relay's sync
//! state with each device, with group commit for the hub.

use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{DocKind, ScopeCode};

use super::StoreError;

/// A registered document: its scope and kind as the relay last accepted them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRecord {
    /// The document.
    pub id: DocumentId,
    /// Its scope.
    pub scope: ScopeCode,
    /// Its kind.
    pub kind: DocKind,
}

/// Documents and sync states.
pub trait DocStore: Send {
    /// A registered document.
    fn doc(&self, id: &DocumentId) -> Result<Option<DocRecord>, StoreError>;
    /// Every registered document whose scope lies under one of `scopes` (code prefix),
    /// each once, in id order, at most `limit`.
    fn docs_under(&self, scopes: &[ScopeCode], limit: usize) -> Result<Vec<DocRecord>, StoreError>;
    /// Every registered document of a kind read downward ([`DocKind::read_downward`]:
    /// notices) whose scope covers one of `scopes`: scoped to the code itself or to a
    /// division above it ([`covering_codes`]), each once, in id order, at most `limit`.
    /// What a principal reads beyond [`DocStore::docs_under`]; nothing for a department's
    /// code, which reads nothing by scope.
    fn docs_read_downward(
        &self,
        scopes: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<DocRecord>, StoreError>;
    /// Gives the documents `docs` to `unit` (a department) beyond their scope: it may read
    /// them, and change them as its role allows ([`wangge_schema::Principal::can_read_doc`]).
    /// Giving again changes nothing; a document need not be registered yet (an event's
    /// report may reach the relay after its dispatch document).
    fn grant_docs(&mut self, docs: &[DocumentId], unit: &ScopeCode) -> Result<(), StoreError>;
    /// The units a document was given to, in code order.
    fn doc_grants(&self, id: &DocumentId) -> Result<Vec<ScopeCode>, StoreError>;
    /// The registered documents given to one of `units`, each once, in id order, at most
    /// `limit`.
    fn docs_granted(&self, units: &[ScopeCode], limit: usize)
    -> Result<Vec<DocRecord>, StoreError>;
    /// Registers a new document with its first bytes, atomically. `AlreadyExists` if the
    /// id is registered (nothing changes then).
    fn create_doc(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<(), StoreError>;
    /// Starts a group of writes that reach the disk together at [`DocStore::commit_batch`]
    /// (group commit: one sync for many acknowledged changes). Each write in the group
    /// still applies atomically, and a failed one leaves the group's other writes alone.
    fn begin_batch(&mut self) -> Result<(), StoreError>;
    /// Makes the group's writes durable. After an error none of them is stored.
    fn commit_batch(&mut self) -> Result<(), StoreError>;
    /// Drops the group's writes: none of them is stored. Without an open group, nothing
    /// happens.
    fn abort_batch(&mut self) -> Result<(), StoreError>;
    /// Appends change bytes (`Automerge::save_after` output) and records the document's
    /// scope and kind as of these changes, atomically; returns the chunk's number.
    /// `NotFound` if it is not registered.
    ///
    /// Chunk numbers count up per document in the order the writes commit, with no gaps
    /// (writers of one document take turns): whoever has seen chunk `n` committed has
    /// seen every chunk before it. A relay instance uses that to catch up on what other
    /// instances wrote ([`DocStore::doc_chunks_after`]).
    fn append_changes(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<i64, StoreError>;
    /// All stored chunks of a document in order; loading them all gives the document.
    /// Empty for an unknown document.
    fn doc_chunks(&self, id: &DocumentId) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self
            .doc_chunks_after(id, -1)?
            .into_iter()
            .map(|(_, b)| b)
            .collect())
    }
    /// The chunks numbered above `after`, with their numbers, in order (`-1`: all).
    fn doc_chunks_after(
        &self,
        id: &DocumentId,
        after: i64,
    ) -> Result<Vec<(i64, Vec<u8>)>, StoreError>;
    /// Replaces the chunks numbered up to `through` by one snapshot (`Automerge::save` of
    /// a document holding at least those chunks), numbered `through`, atomically. Chunks
    /// after it (another instance's, not in the snapshot) stay. `NotFound` if the document
    /// has no chunk up to `through`.
    fn compact_doc(
        &mut self,
        id: &DocumentId,
        snapshot: &[u8],
        through: i64,
    ) -> Result<(), StoreError>;
    /// Documents changed (created or appended to) at or after `since` (unix seconds),
    /// each with its highest chunk number: what a relay instance checks after it may have
    /// missed another instance's notifications.
    fn docs_changed_since(&self, since: i64) -> Result<Vec<(DocumentId, i64)>, StoreError>;

    /// The relay's persisted sync state with a device for a document.
    fn sync_state(&self, device: Uuid, doc: &DocumentId) -> Result<Option<Vec<u8>>, StoreError>;
    /// Saves sync states with a device, replacing earlier ones, atomically.
    fn put_sync_states(
        &mut self,
        device: Uuid,
        states: &[(DocumentId, Vec<u8>)],
    ) -> Result<(), StoreError>;
}

/// The codes whose documents read downward reach a principal of `scopes`: each code and
/// the divisions above it (a grid's community, street, district, city and province),
/// each once, in code order. A department's code has none: it reads nothing by scope.
/// A handful of exact codes, so a backend finds those documents by its scope index.
pub fn covering_codes(scopes: &[ScopeCode]) -> Vec<String> {
    /// The lengths of the codes of the tree, top down ([`wangge_schema::Level`]).
    const LEVELS: [usize; 6] = [2, 4, 6, 9, 12, 15];
    let mut codes: Vec<String> = scopes
        .iter()
        .filter(|s| !s.is_department())
        .flat_map(|s| {
            let code = s.as_str();
            LEVELS.iter().filter_map(move |&n| code.get(..n))
        })
        .map(str::to_owned)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// The codes of the kinds read downward ([`DocKind::read_downward`]).
pub fn downward_kinds() -> Vec<&'static str> {
    DocKind::ALL
        .iter()
        .filter(|k| k.read_downward())
        .map(|k| k.code())
        .collect()
}

/// Records found for [`DocStore::docs_read_downward`] or [`DocStore::docs_under`] by
/// several queries, each once, in id order, at most `limit`.
pub(crate) fn each_once(mut found: Vec<DocRecord>, limit: usize) -> Vec<DocRecord> {
    found.sort_by_key(|d| d.id);
    found.dedup_by_key(|d| d.id);
    found.truncate(limit);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(scopes: &[&str]) -> Vec<String> {
        let scopes: Vec<ScopeCode> = scopes
            .iter()
            .map(|s| ScopeCode::parse(s).expect("valid"))
            .collect();
        covering_codes(&scopes)
    }

    #[test]
    fn a_grid_is_reached_from_itself_and_every_division_above_it() {
        assert_eq!(
            codes(&["110105001001001"]),
            [
                "11",
                "1101",
                "110105",
                "110105001",
                "110105001001",
                "110105001001001"
            ]
        );
        assert_eq!(codes(&["110105001"]), ["11", "1101", "110105", "110105001"]);
        assert_eq!(
            codes(&["110105001001001", "110105001001002"]).len(),
            7,
            "the shared divisions once"
        );
    }

    #[test]
    fn a_department_is_reached_from_nowhere() {
        assert!(codes(&["110105001-cgj"]).is_empty());
        assert!(codes(&[]).is_empty());
        let kinds = downward_kinds();
        assert!(kinds.contains(&DocKind::Notice.code()));
        assert!(
            kinds
                .iter()
                .all(|k| { DocKind::from_code(k).is_some_and(DocKind::read_downward) })
        );
        assert!(!kinds.contains(&DocKind::Receipts.code()));
    }
}

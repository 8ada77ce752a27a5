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

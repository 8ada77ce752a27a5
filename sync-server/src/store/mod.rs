//! Storage behind [`RelayStore`], a trait of domain operations (not SQL).
//!
//! One module per backend with its own migrations ([`sqlite`] today; PostgreSQL can follow),
//! picked from the database URL by [`open`]. Every backend must pass the shared suite in
//! [`testing`]. Errors always propagate: a write that fails is reported, never acknowledged.

pub mod sqlite;
pub mod testing;

use serde::Serialize;
use uuid::Uuid;
use wangge_proto::DocumentId;

use wangge_schema::Principal;
use wangge_schema::{DocKind, Role, ScopeCode};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (I/O, corruption, busy).
    #[error("database error: {0}")]
    Database(String),
    /// The database URL is not one this build can open.
    #[error("unsupported database URL {0:?} (use sqlite:PATH)")]
    BadUrl(String),
    /// A record that must exist does not.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A record that must be new already exists.
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// A stored value failed to parse (the database was edited by hand or is corrupt).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The user's id.
    pub id: Uuid,
    /// Display name (personal data: never logged).
    #[serde(skip)]
    pub name: String,
    /// Role and scopes.
    #[serde(flatten)]
    pub principal: Principal,
}

/// An authenticated, unrevoked device and the user it acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    /// The device's id.
    pub device_id: Uuid,
    /// The user.
    pub user: User,
}

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

/// A one-time enrollment code redeemed for a device.
#[derive(Debug, Clone)]
pub struct NewDevice {
    /// The new device's id.
    pub device_id: Uuid,
    /// SHA-256 (hex) of the device token.
    pub token_hash: String,
    /// A label for the device (model name); not personal data.
    pub label: String,
}

/// A new tus upload resource (`POST /v1/files`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    /// The upload's id (the last segment of its `Location`).
    pub id: Uuid,
    /// The device that created it; only it may append or query.
    pub device_id: Uuid,
    /// SHA-256 (lowercase hex) the whole file must hash to.
    pub sha256: String,
    /// The scope the photo belongs to (already checked against the device).
    pub scope: ScopeCode,
    /// Total length in bytes.
    pub length: u64,
    /// Created already complete: the blob is linked to `scope` already, nothing to send.
    pub complete: bool,
}

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadState {
    /// The upload as created.
    pub upload: NewUpload,
    /// Bytes received and persisted so far (`length` once complete).
    pub offset: u64,
}

/// What [`RelayStore::append_upload_chunk`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// Appended; the new offset.
    Appended(u64),
    /// The chunk did not start at the stored offset (given); nothing appended.
    OffsetMismatch(u64),
    /// The chunk would go past the upload's length; nothing appended.
    TooLong,
}

/// What [`RelayStore::finish_upload`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishOutcome {
    /// The bytes hash to the named SHA-256: the blob is stored (once) and linked.
    Stored,
    /// They do not: the upload and its bytes are discarded, nothing stored.
    HashMismatch,
}

/// The domain operations the relay needs from storage.
pub trait RelayStore: Send {
    /// Adds a division (district, street, community …).
    fn add_division(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError>;
    /// Whether a division exists.
    fn division_exists(&self, code: &ScopeCode) -> Result<bool, StoreError>;
    /// Adds a grid; its community division must exist.
    fn add_grid(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError>;
    /// Whether a grid exists.
    fn grid_exists(&self, code: &ScopeCode) -> Result<bool, StoreError>;
    /// Adds a user with a role and scopes (already checked against the role).
    fn add_user(
        &mut self,
        name: &str,
        role: Role,
        scopes: &[ScopeCode],
    ) -> Result<Uuid, StoreError>;
    /// A user by id.
    fn user(&self, id: Uuid) -> Result<Option<User>, StoreError>;
    /// Stores a one-time enrollment code (by hash) for `user`, valid until `expires_at`
    /// (unix seconds).
    fn add_enrollment_code(
        &mut self,
        user: Uuid,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Redeems a code atomically: if it exists, is unused and unexpired at `now`, marks it
    /// used and registers `device`; returns the user. `None` if the code is not redeemable.
    fn redeem_enrollment_code(
        &mut self,
        code_hash: &str,
        now: i64,
        device: &NewDevice,
    ) -> Result<Option<User>, StoreError>;
    /// The unrevoked device holding the token with this hash.
    fn authenticate(&self, token_hash: &str) -> Result<Option<DeviceAuth>, StoreError>;
    /// The device if it exists and is not revoked.
    fn device(&self, device_id: Uuid) -> Result<Option<DeviceAuth>, StoreError>;
    /// Revokes a device; returns whether it existed. Bumps the admin generation.
    fn revoke_device(&mut self, device_id: Uuid) -> Result<bool, StoreError>;
    /// A counter that grows whenever an admin change must reach running relays.
    fn admin_generation(&self) -> Result<i64, StoreError>;
    /// Records an admin change to documents (a move): bumps the admin generation and
    /// remembers which documents it touched, so running relays push them.
    fn record_admin_change(&mut self, docs: &[DocumentId]) -> Result<(), StoreError>;
    /// The documents admin changes touched after generation `since` (each once).
    fn admin_changes_since(&self, since: i64) -> Result<Vec<DocumentId>, StoreError>;

    /// A registered document.
    fn doc(&self, id: &DocumentId) -> Result<Option<DocRecord>, StoreError>;
    /// Every registered document whose scope lies under one of `scopes`, at most `limit`.
    fn docs_under(&self, scopes: &[ScopeCode], limit: usize) -> Result<Vec<DocRecord>, StoreError>;
    /// Registers a new document with its first bytes, atomically.
    fn create_doc(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<(), StoreError>;
    /// Starts a group of writes that reach the disk together at [`RelayStore::commit_batch`]
    /// (group commit: one sync for many acknowledged changes). Each write in the group
    /// still applies atomically. The default does not group.
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Makes the group's writes durable. After an error none of them is stored.
    fn commit_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Drops the group's writes: none of them is stored.
    fn abort_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Appends change bytes (`Automerge::save_after` output) and records the document's
    /// scope and kind as of these changes, atomically.
    fn append_changes(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<(), StoreError>;
    /// All stored chunks of a document in order; loading them all gives the document.
    fn doc_chunks(&self, id: &DocumentId) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Replaces all chunks of a document by one snapshot (`Automerge::save`), atomically.
    fn compact_doc(&mut self, id: &DocumentId, snapshot: &[u8]) -> Result<(), StoreError>;

    /// The relay's persisted sync state with a device for a document.
    fn sync_state(&self, device: Uuid, doc: &DocumentId) -> Result<Option<Vec<u8>>, StoreError>;
    /// Saves sync states with a device, atomically.
    fn put_sync_states(
        &mut self,
        device: Uuid,
        states: &[(DocumentId, Vec<u8>)],
    ) -> Result<(), StoreError>;
    /// Creates an upload resource. If the device already has `max_pending_per_device`
    /// incomplete uploads, the oldest are discarded first (partial data stays bounded).
    fn create_upload(
        &mut self,
        upload: &NewUpload,
        max_pending_per_device: usize,
    ) -> Result<(), StoreError>;
    /// An upload and its persisted offset.
    fn upload_state(&self, id: Uuid) -> Result<Option<UploadState>, StoreError>;
    /// Persists a chunk at `offset`, atomically (a crash keeps it whole or not at all).
    /// `NotFound` if the upload does not exist or is complete.
    fn append_upload_chunk(
        &mut self,
        id: Uuid,
        offset: u64,
        bytes: &[u8],
    ) -> Result<ChunkOutcome, StoreError>;
    /// Ends an upload whose bytes are all received: verifies them against its SHA-256,
    /// stores the blob once by hash, links it to the upload's scope and drops the partial
    /// data, atomically; or discards the upload on a mismatch. `NotFound` if it does not
    /// exist or is not fully received.
    fn finish_upload(&mut self, id: Uuid) -> Result<FinishOutcome, StoreError>;
    /// Discards an upload and its partial data; returns whether it existed.
    fn discard_upload(&mut self, id: Uuid) -> Result<bool, StoreError>;
    /// Links a stored blob to one more scope; returns whether the blob exists.
    fn link_blob_scope(&mut self, sha256: &str, scope: &ScopeCode) -> Result<bool, StoreError>;
    /// The blob's size if it is linked to exactly `scope`.
    fn blob_linked(&self, sha256: &str, scope: &ScopeCode) -> Result<Option<u64>, StoreError>;
    /// The blob's bytes if it is linked to a scope under one of `scopes`.
    fn blob_for_scope(
        &self,
        sha256: &str,
        scopes: &[ScopeCode],
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// How many distinct blobs are stored (each hash once).
    fn blob_count(&self) -> Result<u64, StoreError>;
}

/// Opens the store a database URL names: `sqlite:PATH` (created if missing) or
/// `sqlite::memory:`.
pub fn open(url: &str) -> Result<Box<dyn RelayStore>, StoreError> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() {
            return Err(StoreError::BadUrl(url.to_owned()));
        }
        let store = if path == ":memory:" {
            sqlite::SqliteStore::open_in_memory()?
        } else {
            sqlite::SqliteStore::open(std::path::Path::new(path))?
        };
        return Ok(Box::new(store));
    }
    Err(StoreError::BadUrl(url.chars().take(64).collect()))
}

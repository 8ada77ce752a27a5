//! [`BlobStore`]: resumable photo uploads (tus) and the content-addressed blobs they
//! end in, each linked to the scopes it was uploaded to.

use uuid::Uuid;
use wangge_schema::ScopeCode;

use super::StoreError;

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

/// What [`BlobStore::append_upload_chunk`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// Appended; the new offset.
    Appended(u64),
    /// The chunk did not start at the stored offset (given); nothing appended.
    OffsetMismatch(u64),
    /// The chunk would go past the upload's length; nothing appended.
    TooLong,
}

/// What [`BlobStore::finish_upload`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishOutcome {
    /// The bytes hash to the named SHA-256: the blob is stored (once) and linked.
    Stored,
    /// They do not: the upload and its bytes are discarded, nothing stored.
    HashMismatch,
}

/// A fully received upload's bytes, read for a store that keeps blobs elsewhere
/// ([`BlobStore::staged_upload`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedUpload {
    /// SHA-256 (lowercase hex) named at creation; the bytes are not verified yet.
    pub sha256: String,
    /// The scope the photo goes to.
    pub scope: ScopeCode,
    /// Length named at creation.
    pub length: u64,
    /// The staged chunks, in order.
    pub bytes: Vec<u8>,
    /// A blob with this hash is already recorded (its bytes need not be stored again).
    pub blob_recorded: bool,
}

/// A stored blob as the database has it ([`BlobStore::blob_in_scope`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredBlob {
    /// The bytes are in the database.
    Bytes(Vec<u8>),
    /// The bytes are in object storage, under the blob's content address.
    InObjectStore,
}

/// Uploads and blobs.
///
/// The last three methods are the halves of [`BlobStore::finish_upload`] for a store
/// that keeps blob bytes outside the database (`store::objects`): read the staged bytes,
/// store them elsewhere, then record the blob. A backend implements them on its tables;
/// callers other than such a store use the others.
pub trait BlobStore: Send {
    /// Creates an upload resource; `AlreadyExists` if its id is taken. If the device
    /// already has `max_pending_per_device` incomplete uploads, the oldest are discarded
    /// first (partial data stays bounded); other devices' uploads do not count.
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
    /// data, atomically, keeping the upload (complete) so `upload_state` still answers; or
    /// discards the upload on a mismatch. `NotFound` if it does not exist, is complete or
    /// is not fully received.
    fn finish_upload(&mut self, id: Uuid) -> Result<FinishOutcome, StoreError>;
    /// Discards an upload and its partial data; returns whether it existed.
    fn discard_upload(&mut self, id: Uuid) -> Result<bool, StoreError>;
    /// Links a stored blob to one more scope (again is a no-op); returns whether the blob
    /// exists.
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
    /// The staged bytes of an upload that is fully received and not complete, read
    /// without changing anything. `NotFound` if it does not exist, is complete or is not
    /// fully received.
    fn staged_upload(&self, id: Uuid) -> Result<StagedUpload, StoreError>;
    /// Ends an upload whose verified bytes are already in object storage: records the
    /// blob as kept there (unless a blob with its hash is recorded already, wherever its
    /// bytes are), links it to the upload's scope, drops the staged chunks and marks the
    /// upload complete, atomically. An upload already complete (finished meanwhile by
    /// another relay instance) is left as it is. `NotFound` if it does not exist or is not
    /// fully received.
    fn record_object_blob(&mut self, id: Uuid) -> Result<(), StoreError>;
    /// The blob if it is linked to a scope under one of `scopes`: its bytes, or where
    /// they are.
    fn blob_in_scope(
        &self,
        sha256: &str,
        scopes: &[ScopeCode],
    ) -> Result<Option<StoredBlob>, StoreError>;
}

impl StoredBlob {
    /// A blob row's `location` and `bytes` (the backends' shared column meaning).
    pub(crate) fn from_row(location: &str, bytes: Vec<u8>) -> Result<StoredBlob, StoreError> {
        match location {
            "database" => Ok(StoredBlob::Bytes(bytes)),
            "object" => Ok(StoredBlob::InObjectStore),
            other => Err(super::values::corrupt(format!(
                "unknown blob location {other:?}"
            ))),
        }
    }
}

/// [`BlobStore::blob_for_scope`] of a store without object storage: a blob kept there
/// cannot be read.
pub fn database_bytes(blob: Option<StoredBlob>) -> Result<Option<Vec<u8>>, StoreError> {
    match blob {
        None => Ok(None),
        Some(StoredBlob::Bytes(b)) => Ok(Some(b)),
        Some(StoredBlob::InObjectStore) => Err(StoreError::object_store(
            "the photo is kept in object storage, which this relay is not configured for \
             ([photos] store = \"s3\")",
        )),
    }
}

//! [`ObjectBacked`]: a database store whose new blobs keep their bytes in object storage.
//!
//! Uploads stage their chunks in the database as before. Finishing one reads the staged
//! bytes, verifies them, PUTs the object (unless a blob with that hash is recorded
//! already), and only then records the blob, its scope link and the upload's end in one
//! database transaction. If the PUT fails nothing is recorded and the chunks stay, so a
//! later try finishes the upload without the device sending anything again. A blob row
//! therefore exists only once its bytes do: nothing half-written is ever served.

use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{Role, ScopeCode};

use super::ObjectBlobs;
use crate::store::{
    AccountStore, AdminLogEntry, BlobStore, ChunkOutcome, DeviceAuth, DocRecord, DocStore,
    FinishOutcome, NewDevice, NewUpload, RelayStore, StagedUpload, StoreError, StoredBlob,
    UploadState, User,
};

/// A [`RelayStore`] keeping new blobs' bytes in object storage and everything else (the
/// staged upload chunks included) in its database store.
pub struct ObjectBacked {
    db: Box<dyn RelayStore>,
    objects: Arc<ObjectBlobs>,
}

impl ObjectBacked {
    /// `db` with its new blobs' bytes in `objects`.
    pub fn new(db: Box<dyn RelayStore>, objects: Arc<ObjectBlobs>) -> ObjectBacked {
        ObjectBacked { db, objects }
    }
}

/// Whether an upload's staged bytes are the photo it names (its length and SHA-256).
pub fn staged_bytes_match(staged: &StagedUpload) -> bool {
    u64::try_from(staged.bytes.len()).ok() == Some(staged.length)
        && hex::encode(Sha256::digest(&staged.bytes)) == staged.sha256
}

impl BlobStore for ObjectBacked {
    fn create_upload(&mut self, upload: &NewUpload, max_pending: usize) -> Result<(), StoreError> {
        self.db.create_upload(upload, max_pending)
    }

    fn upload_state(&self, id: Uuid) -> Result<Option<UploadState>, StoreError> {
        self.db.upload_state(id)
    }

    fn append_upload_chunk(
        &mut self,
        id: Uuid,
        offset: u64,
        bytes: &[u8],
    ) -> Result<ChunkOutcome, StoreError> {
        self.db.append_upload_chunk(id, offset, bytes)
    }

    fn finish_upload(&mut self, id: Uuid) -> Result<FinishOutcome, StoreError> {
        // The relay's HTTP handlers take these same steps, with the store's lock released
        // around the PUT (`server::files`).
        let staged = self.db.staged_upload(id)?;
        if !staged_bytes_match(&staged) {
            self.db.discard_upload(id)?;
            return Ok(FinishOutcome::HashMismatch);
        }
        if !staged.blob_recorded {
            self.objects.put(&staged.sha256, staged.bytes)?;
        }
        self.db.record_object_blob(id)?;
        Ok(FinishOutcome::Stored)
    }

    fn discard_upload(&mut self, id: Uuid) -> Result<bool, StoreError> {
        self.db.discard_upload(id)
    }

    fn link_blob_scope(&mut self, sha256: &str, scope: &ScopeCode) -> Result<bool, StoreError> {
        self.db.link_blob_scope(sha256, scope)
    }

    fn blob_linked(&self, sha256: &str, scope: &ScopeCode) -> Result<Option<u64>, StoreError> {
        self.db.blob_linked(sha256, scope)
    }

    fn blob_for_scope(
        &self,
        sha256: &str,
        scopes: &[ScopeCode],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        match self.db.blob_in_scope(sha256, scopes)? {
            None => Ok(None),
            Some(StoredBlob::Bytes(bytes)) => Ok(Some(bytes)),
            Some(StoredBlob::InObjectStore) => self.objects.get_recorded(sha256).map(Some),
        }
    }

    fn blob_count(&self) -> Result<u64, StoreError> {
        self.db.blob_count()
    }

    fn staged_upload(&self, id: Uuid) -> Result<StagedUpload, StoreError> {
        self.db.staged_upload(id)
    }

    fn record_object_blob(&mut self, id: Uuid) -> Result<(), StoreError> {
        self.db.record_object_blob(id)
    }

    fn blob_in_scope(
        &self,
        sha256: &str,
        scopes: &[ScopeCode],
    ) -> Result<Option<StoredBlob>, StoreError> {
        self.db.blob_in_scope(sha256, scopes)
    }
}

impl AccountStore for ObjectBacked {
    fn add_division(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError> {
        self.db.add_division(code, name)
    }
    fn division_exists(&self, code: &ScopeCode) -> Result<bool, StoreError> {
        self.db.division_exists(code)
    }
    fn units_under(
        &self,
        scopes: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<(ScopeCode, String)>, StoreError> {
        self.db.units_under(scopes, limit)
    }
    fn users_under(&self, scopes: &[ScopeCode], limit: usize) -> Result<Vec<User>, StoreError> {
        self.db.users_under(scopes, limit)
    }
    fn add_grid(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError> {
        self.db.add_grid(code, name)
    }
    fn grid_exists(&self, code: &ScopeCode) -> Result<bool, StoreError> {
        self.db.grid_exists(code)
    }
    fn add_user(
        &mut self,
        name: &str,
        role: Role,
        scopes: &[ScopeCode],
    ) -> Result<Uuid, StoreError> {
        self.db.add_user(name, role, scopes)
    }
    fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.db.user(id)
    }
    fn add_enrollment_code(
        &mut self,
        user: Uuid,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.db.add_enrollment_code(user, code_hash, expires_at)
    }
    fn redeem_enrollment_code(
        &mut self,
        code_hash: &str,
        now: i64,
        device: &NewDevice,
    ) -> Result<Option<User>, StoreError> {
        self.db.redeem_enrollment_code(code_hash, now, device)
    }
    fn authenticate(&self, token_hash: &str) -> Result<Option<DeviceAuth>, StoreError> {
        self.db.authenticate(token_hash)
    }
    fn device(&self, device_id: Uuid) -> Result<Option<DeviceAuth>, StoreError> {
        self.db.device(device_id)
    }
    fn revoke_device(&mut self, device_id: Uuid) -> Result<bool, StoreError> {
        self.db.revoke_device(device_id)
    }
    fn admin_generation(&self) -> Result<i64, StoreError> {
        self.db.admin_generation()
    }
    fn record_admin_change(&mut self, docs: &[DocumentId]) -> Result<(), StoreError> {
        self.db.record_admin_change(docs)
    }
    fn log_admin_action(&mut self, entry: &AdminLogEntry) -> Result<(), StoreError> {
        self.db.log_admin_action(entry)
    }
    fn admin_log(
        &self,
        within: &ScopeCode,
        limit: usize,
    ) -> Result<Vec<AdminLogEntry>, StoreError> {
        self.db.admin_log(within, limit)
    }
    fn admin_changes_since(&self, since: i64) -> Result<Vec<DocumentId>, StoreError> {
        self.db.admin_changes_since(since)
    }
}

impl DocStore for ObjectBacked {
    fn doc(&self, id: &DocumentId) -> Result<Option<DocRecord>, StoreError> {
        self.db.doc(id)
    }
    fn docs_under(&self, scopes: &[ScopeCode], limit: usize) -> Result<Vec<DocRecord>, StoreError> {
        self.db.docs_under(scopes, limit)
    }
    fn docs_read_downward(
        &self,
        scopes: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<DocRecord>, StoreError> {
        self.db.docs_read_downward(scopes, limit)
    }
    fn grant_docs(&mut self, docs: &[DocumentId], unit: &ScopeCode) -> Result<(), StoreError> {
        self.db.grant_docs(docs, unit)
    }
    fn doc_grants(&self, id: &DocumentId) -> Result<Vec<ScopeCode>, StoreError> {
        self.db.doc_grants(id)
    }
    fn docs_granted(
        &self,
        units: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<DocRecord>, StoreError> {
        self.db.docs_granted(units, limit)
    }
    fn create_doc(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<(), StoreError> {
        self.db.create_doc(record, bytes)
    }
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.db.begin_batch()
    }
    fn commit_batch(&mut self) -> Result<(), StoreError> {
        self.db.commit_batch()
    }
    fn abort_batch(&mut self) -> Result<(), StoreError> {
        self.db.abort_batch()
    }
    fn append_changes(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<i64, StoreError> {
        self.db.append_changes(record, bytes)
    }
    fn doc_chunks(&self, id: &DocumentId) -> Result<Vec<Vec<u8>>, StoreError> {
        self.db.doc_chunks(id)
    }
    fn doc_chunks_after(
        &self,
        id: &DocumentId,
        after: i64,
    ) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        self.db.doc_chunks_after(id, after)
    }
    fn compact_doc(
        &mut self,
        id: &DocumentId,
        snapshot: &[u8],
        through: i64,
    ) -> Result<(), StoreError> {
        self.db.compact_doc(id, snapshot, through)
    }
    fn docs_changed_since(&self, since: i64) -> Result<Vec<(DocumentId, i64)>, StoreError> {
        self.db.docs_changed_since(since)
    }
    fn sync_state(&self, device: Uuid, doc: &DocumentId) -> Result<Option<Vec<u8>>, StoreError> {
        self.db.sync_state(device, doc)
    }
    fn put_sync_states(
        &mut self,
        device: Uuid,
        states: &[(DocumentId, Vec<u8>)],
    ) -> Result<(), StoreError> {
        self.db.put_sync_states(device, states)
    }
}

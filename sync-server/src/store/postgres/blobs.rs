//! [`BlobStore`] on PostgreSQL: tus uploads as chunk rows, blobs stored once by hash and
//! linked to scopes.
//!
//! Appending and finishing lock the upload's row first, so two instances that receive
//! chunks of one upload (a client retrying through the load balancer) take turns.

use postgres::Client;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wangge_schema::ScopeCode;

use super::{PgStore, col, corrupt, db, now, to_i64, to_u64};
use crate::store::blobs::database_bytes;
use crate::store::{
    BlobStore, ChunkOutcome, FinishOutcome, NewUpload, StagedUpload, StoreError, StoredBlob,
    UploadState,
};

/// Completed upload records are kept this long (seconds) so `HEAD` still answers.
const COMPLETED_UPLOAD_TTL: i64 = 7 * 24 * 3600;

/// An upload's staged chunks, in order, as one buffer of its `length`.
fn staged_bytes(c: &mut Client, id: Uuid, length: i64) -> Result<Vec<u8>, StoreError> {
    let mut data = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    for r in c
        .query(
            "SELECT bytes FROM upload_chunks WHERE upload_id = $1 ORDER BY seq",
            &[&id],
        )
        .map_err(db)?
    {
        data.extend_from_slice(col::<&[u8]>(&r, 0)?);
    }
    Ok(data)
}

/// After its blob row is written: links the blob to the upload's scope, drops the staged
/// chunks and marks the upload complete.
fn settle_upload(c: &mut Client, id: Uuid, sha256: &str, scope: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO blob_scopes (sha256, scope) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&sha256, &scope],
    )
    .map_err(db)?;
    c.execute("DELETE FROM upload_chunks WHERE upload_id = $1", &[&id])
        .map_err(db)?;
    c.execute("UPDATE uploads SET complete = TRUE WHERE id = $1", &[&id])
        .map_err(db)?;
    Ok(())
}

fn delete_upload(c: &mut Client, id: Uuid) -> Result<u64, StoreError> {
    c.execute("DELETE FROM upload_chunks WHERE upload_id = $1", &[&id])
        .map_err(db)?;
    c.execute("DELETE FROM uploads WHERE id = $1", &[&id])
        .map_err(db)
}

impl BlobStore for PgStore {
    fn create_upload(
        &mut self,
        upload: &NewUpload,
        max_pending_per_device: usize,
    ) -> Result<(), StoreError> {
        let length = to_i64(upload.length)?;
        self.write(|c| {
            let device = upload.device_id;
            let keep = i64::try_from(max_pending_per_device.saturating_sub(1)).unwrap_or(0);
            let stale = c
                .query(
                    "SELECT id FROM uploads WHERE device_id = $1 AND NOT complete
                     ORDER BY created_at DESC, seq DESC OFFSET $2",
                    &[&device, &keep],
                )
                .map_err(db)?;
            for row in &stale {
                delete_upload(c, col(row, 0)?)?;
            }
            c.execute(
                "DELETE FROM uploads WHERE device_id = $1 AND complete AND created_at < $2",
                &[&device, &now().saturating_sub(COMPLETED_UPLOAD_TTL)],
            )
            .map_err(db)?;
            let received = if upload.complete { length } else { 0 };
            let n = c
                .execute(
                    "INSERT INTO uploads
                         (id, device_id, sha256, scope, length, received, complete, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
                    &[
                        &upload.id,
                        &device,
                        &upload.sha256,
                        &upload.scope.as_str(),
                        &length,
                        &received,
                        &upload.complete,
                        &now(),
                    ],
                )
                .map_err(db)?;
            if n == 0 {
                // Rolls back the discards above: a refused creation makes no room.
                return Err(StoreError::AlreadyExists("upload"));
            }
            Ok(())
        })
    }

    fn upload_state(&self, id: Uuid) -> Result<Option<UploadState>, StoreError> {
        let Some(row) = self
            .conn()?
            .query_opt(
                "SELECT device_id, sha256, scope, length, received, complete
                 FROM uploads WHERE id = $1",
                &[&id],
            )
            .map_err(db)?
        else {
            return Ok(None);
        };
        Ok(Some(UploadState {
            upload: NewUpload {
                id,
                device_id: col(&row, 0)?,
                sha256: col(&row, 1)?,
                scope: ScopeCode::parse(col(&row, 2)?).map_err(corrupt)?,
                length: to_u64(col(&row, 3)?)?,
                complete: col(&row, 5)?,
            },
            offset: to_u64(col(&row, 4)?)?,
        }))
    }

    fn append_upload_chunk(
        &mut self,
        id: Uuid,
        offset: u64,
        bytes: &[u8],
    ) -> Result<ChunkOutcome, StoreError> {
        self.write(|c| {
            let Some(row) = c
                .query_opt(
                    "SELECT length, received FROM uploads WHERE id = $1 AND NOT complete
                     FOR UPDATE",
                    &[&id],
                )
                .map_err(db)?
            else {
                return Err(StoreError::NotFound("upload"));
            };
            let (length, received) = (to_u64(col(&row, 0)?)?, to_u64(col(&row, 1)?)?);
            if offset != received {
                return Ok(ChunkOutcome::OffsetMismatch(received));
            }
            let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
            let Some(end) = received.checked_add(len).filter(|e| *e <= length) else {
                return Ok(ChunkOutcome::TooLong);
            };
            if bytes.is_empty() {
                return Ok(ChunkOutcome::Appended(received));
            }
            c.execute(
                "INSERT INTO upload_chunks (upload_id, seq, bytes) VALUES ($1, $2, $3)",
                &[&id, &to_i64(received)?, &bytes],
            )
            .map_err(db)?;
            c.execute(
                "UPDATE uploads SET received = $2 WHERE id = $1",
                &[&id, &to_i64(end)?],
            )
            .map_err(db)?;
            Ok(ChunkOutcome::Appended(end))
        })
    }

    fn finish_upload(&mut self, id: Uuid) -> Result<FinishOutcome, StoreError> {
        self.write(|c| {
            let Some(row) = c
                .query_opt(
                    "SELECT sha256, scope, length, received FROM uploads
                     WHERE id = $1 AND NOT complete FOR UPDATE",
                    &[&id],
                )
                .map_err(db)?
            else {
                return Err(StoreError::NotFound("upload"));
            };
            let (sha256, scope): (String, String) = (col(&row, 0)?, col(&row, 1)?);
            let (length, received): (i64, i64) = (col(&row, 2)?, col(&row, 3)?);
            if length != received {
                return Err(StoreError::NotFound("complete upload"));
            }
            let data = staged_bytes(c, id, length)?;
            if to_u64(length)? != u64::try_from(data.len()).unwrap_or(u64::MAX)
                || hex::encode(Sha256::digest(&data)) != sha256
            {
                delete_upload(c, id)?;
                return Ok(FinishOutcome::HashMismatch);
            }
            c.execute(
                "INSERT INTO blobs (sha256, size, bytes, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (sha256) DO NOTHING",
                &[&sha256, &length, &data, &now()],
            )
            .map_err(db)?;
            settle_upload(c, id, &sha256, &scope)?;
            Ok(FinishOutcome::Stored)
        })
    }

    fn discard_upload(&mut self, id: Uuid) -> Result<bool, StoreError> {
        self.write(|c| Ok(delete_upload(c, id)? > 0))
    }

    fn link_blob_scope(&mut self, sha256: &str, scope: &ScopeCode) -> Result<bool, StoreError> {
        self.write(|c| {
            if c.query_opt("SELECT 1 FROM blobs WHERE sha256 = $1", &[&sha256])
                .map_err(db)?
                .is_none()
            {
                return Ok(false);
            }
            c.execute(
                "INSERT INTO blob_scopes (sha256, scope) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&sha256, &scope.as_str()],
            )
            .map_err(db)?;
            Ok(true)
        })
    }

    fn blob_linked(&self, sha256: &str, scope: &ScopeCode) -> Result<Option<u64>, StoreError> {
        let row = self
            .conn()?
            .query_opt(
                "SELECT b.size FROM blobs b JOIN blob_scopes s ON s.sha256 = b.sha256
                 WHERE b.sha256 = $1 AND s.scope = $2",
                &[&sha256, &scope.as_str()],
            )
            .map_err(db)?;
        row.map(|r| col(&r, 0).and_then(to_u64)).transpose()
    }

    fn blob_for_scope(
        &self,
        sha256: &str,
        scopes: &[ScopeCode],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        database_bytes(self.blob_in_scope(sha256, scopes)?)
    }

    fn blob_count(&self) -> Result<u64, StoreError> {
        let row = self
            .conn()?
            .query_one("SELECT COUNT(*) FROM blobs", &[])
            .map_err(db)?;
        to_u64(col(&row, 0)?)
    }

    fn staged_upload(&self, id: Uuid) -> Result<StagedUpload, StoreError> {
        let mut c = self.conn()?;
        let Some(row) = c
            .query_opt(
                "SELECT u.sha256, u.scope, u.length, u.received,
                        EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = u.sha256)
                 FROM uploads u WHERE u.id = $1 AND NOT u.complete",
                &[&id],
            )
            .map_err(db)?
        else {
            return Err(StoreError::NotFound("upload"));
        };
        let (length, received): (i64, i64) = (col(&row, 2)?, col(&row, 3)?);
        if length != received {
            return Err(StoreError::NotFound("complete upload"));
        }
        let bytes = staged_bytes(&mut c, id, length)?;
        Ok(StagedUpload {
            sha256: col(&row, 0)?,
            scope: ScopeCode::parse(col(&row, 1)?).map_err(corrupt)?,
            length: to_u64(length)?,
            bytes,
            blob_recorded: col(&row, 4)?,
        })
    }

    fn record_object_blob(&mut self, id: Uuid) -> Result<(), StoreError> {
        self.write(|c| {
            let Some(row) = c
                .query_opt(
                    "SELECT sha256, scope, length, received, complete FROM uploads
                     WHERE id = $1 FOR UPDATE",
                    &[&id],
                )
                .map_err(db)?
            else {
                return Err(StoreError::NotFound("upload"));
            };
            if col::<bool>(&row, 4)? {
                return Ok(());
            }
            let (sha256, scope): (String, String) = (col(&row, 0)?, col(&row, 1)?);
            let (length, received): (i64, i64) = (col(&row, 2)?, col(&row, 3)?);
            if length != received {
                return Err(StoreError::NotFound("complete upload"));
            }
            c.execute(
                "INSERT INTO blobs (sha256, size, bytes, created_at, location)
                 VALUES ($1, $2, ''::bytea, $3, 'object') ON CONFLICT (sha256) DO NOTHING",
                &[&sha256, &length, &now()],
            )
            .map_err(db)?;
            settle_upload(c, id, &sha256, &scope)?;
            Ok(())
        })
    }

    fn blob_in_scope(
        &self,
        sha256: &str,
        scopes: &[ScopeCode],
    ) -> Result<Option<StoredBlob>, StoreError> {
        let mut c = self.conn()?;
        let linked = c
            .query(
                "SELECT scope FROM blob_scopes WHERE sha256 = $1",
                &[&sha256],
            )
            .map_err(db)?;
        let mut allowed = false;
        for r in &linked {
            let l = col::<&str>(r, 0)?;
            allowed |= ScopeCode::parse(l).is_ok_and(|l| scopes.iter().any(|s| s.covers(&l)));
        }
        if !allowed {
            return Ok(None);
        }
        let row = c
            .query_opt(
                "SELECT location, bytes FROM blobs WHERE sha256 = $1",
                &[&sha256],
            )
            .map_err(db)?;
        row.map(|r| StoredBlob::from_row(col(&r, 0)?, col(&r, 1)?))
            .transpose()
    }
}

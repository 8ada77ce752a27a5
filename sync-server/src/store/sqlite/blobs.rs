//! [`BlobStore`] on SQLite: tus uploads as chunk rows, blobs stored once by hash and
//! linked to scopes.

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wangge_schema::ScopeCode;

use super::tx::write_tx;
use super::{SqliteStore, corrupt, db, now, to_i64, to_u64};
use crate::store::blobs::database_bytes;
use crate::store::{
    BlobStore, ChunkOutcome, FinishOutcome, NewUpload, StagedUpload, StoreError, StoredBlob,
    UploadState,
};

/// Completed upload records are kept this long (seconds) so `HEAD` still answers.
const COMPLETED_UPLOAD_TTL: i64 = 7 * 24 * 3600;

/// An upload's staged chunks, in order, as one buffer of its `length`.
fn staged_bytes(c: &rusqlite::Connection, key: &str, length: i64) -> Result<Vec<u8>, StoreError> {
    let mut data = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    let mut stmt = c
        .prepare_cached("SELECT bytes FROM upload_chunks WHERE upload_id = ?1 ORDER BY seq")
        .map_err(db)?;
    let mut rows = stmt.query([key]).map_err(db)?;
    while let Some(r) = rows.next().map_err(db)? {
        let chunk: Vec<u8> = r.get(0).map_err(db)?;
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// After its blob row is written: links the blob to the upload's scope, drops the staged
/// chunks and marks the upload complete.
fn settle_upload(
    tx: &rusqlite::Connection,
    key: &str,
    sha256: &str,
    scope: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO blob_scopes (sha256, scope) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![sha256, scope],
    )
    .map_err(db)?;
    tx.execute("DELETE FROM upload_chunks WHERE upload_id = ?1", [key])
        .map_err(db)?;
    tx.execute("UPDATE uploads SET complete = 1 WHERE id = ?1", [key])
        .map_err(db)?;
    Ok(())
}

fn delete_upload(tx: &rusqlite::Connection, id: &str) -> Result<usize, StoreError> {
    tx.execute("DELETE FROM upload_chunks WHERE upload_id = ?1", [id])
        .map_err(db)?;
    tx.execute("DELETE FROM uploads WHERE id = ?1", [id])
        .map_err(db)
}

impl BlobStore for SqliteStore {
    fn create_upload(
        &mut self,
        upload: &NewUpload,
        max_pending_per_device: usize,
    ) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let device = upload.device_id.to_string();
        let stale: Vec<String> = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id FROM uploads WHERE device_id = ?1 AND complete = 0
                     ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?2",
                )
                .map_err(db)?;
            let keep = i64::try_from(max_pending_per_device.saturating_sub(1)).unwrap_or(0);
            stmt.query_map(params![device, keep], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)?
        };
        for id in &stale {
            delete_upload(&tx, id)?;
        }
        tx.execute(
            "DELETE FROM uploads WHERE device_id = ?1 AND complete = 1 AND created_at < ?2",
            params![device, now().saturating_sub(COMPLETED_UPLOAD_TTL)],
        )
        .map_err(db)?;
        let length = to_i64(upload.length)?;
        let n = tx
            .execute(
                "INSERT INTO uploads (id, device_id, sha256, scope, length, received, complete, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
                params![
                    upload.id.to_string(),
                    device,
                    upload.sha256,
                    upload.scope.as_str(),
                    length,
                    if upload.complete { length } else { 0 },
                    upload.complete,
                    now()
                ],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::AlreadyExists("upload"));
        }
        tx.commit().map_err(db)
    }

    fn upload_state(&self, id: Uuid) -> Result<Option<UploadState>, StoreError> {
        type Row = (String, String, String, i64, i64, bool);
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT device_id, sha256, scope, length, received, complete FROM uploads WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((device, sha256, scope, length, received, complete)) = row else {
            return Ok(None);
        };
        Ok(Some(UploadState {
            upload: NewUpload {
                id,
                device_id: Uuid::parse_str(&device).map_err(corrupt)?,
                sha256,
                scope: ScopeCode::parse(&scope).map_err(corrupt)?,
                length: to_u64(length)?,
                complete,
            },
            offset: to_u64(received)?,
        }))
    }

    fn append_upload_chunk(
        &mut self,
        id: Uuid,
        offset: u64,
        bytes: &[u8],
    ) -> Result<ChunkOutcome, StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let key = id.to_string();
        let row: Option<(i64, i64)> = tx
            .query_row(
                "SELECT length, received FROM uploads WHERE id = ?1 AND complete = 0",
                [&key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((length, received)) = row else {
            return Err(StoreError::NotFound("upload"));
        };
        let (length, received) = (to_u64(length)?, to_u64(received)?);
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
        tx.execute(
            "INSERT INTO upload_chunks (upload_id, seq, bytes) VALUES (?1, ?2, ?3)",
            params![key, to_i64(received)?, bytes],
        )
        .map_err(db)?;
        tx.execute(
            "UPDATE uploads SET received = ?2 WHERE id = ?1",
            params![key, to_i64(end)?],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(ChunkOutcome::Appended(end))
    }

    fn finish_upload(&mut self, id: Uuid) -> Result<FinishOutcome, StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let key = id.to_string();
        let row: Option<(String, String, i64, i64)> = tx
            .query_row(
                "SELECT sha256, scope, length, received FROM uploads WHERE id = ?1 AND complete = 0",
                [&key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((sha256, scope, length, received)) = row else {
            return Err(StoreError::NotFound("upload"));
        };
        if length != received {
            return Err(StoreError::NotFound("complete upload"));
        }
        let data = staged_bytes(&tx, &key, length)?;
        if to_u64(length)? != u64::try_from(data.len()).unwrap_or(u64::MAX)
            || hex::encode(Sha256::digest(&data)) != sha256
        {
            delete_upload(&tx, &key)?;
            tx.commit().map_err(db)?;
            return Ok(FinishOutcome::HashMismatch);
        }
        tx.execute(
            "INSERT INTO blobs (sha256, size, bytes, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sha256) DO NOTHING",
            params![sha256, length, data, now()],
        )
        .map_err(db)?;
        settle_upload(&tx, &key, &sha256, &scope)?;
        tx.commit().map_err(db)?;
        Ok(FinishOutcome::Stored)
    }

    fn discard_upload(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let n = delete_upload(&tx, &id.to_string())?;
        tx.commit().map_err(db)?;
        Ok(n > 0)
    }

    fn link_blob_scope(&mut self, sha256: &str, scope: &ScopeCode) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "INSERT INTO blob_scopes (sha256, scope)
                 SELECT sha256, ?2 FROM blobs WHERE sha256 = ?1 ON CONFLICT DO NOTHING",
                params![sha256, scope.as_str()],
            )
            .map_err(db)?;
        if n > 0 {
            return Ok(true);
        }
        self.conn
            .query_row(
                "SELECT 1 FROM blobs WHERE sha256 = ?1",
                [sha256],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db)
    }

    fn blob_linked(&self, sha256: &str, scope: &ScopeCode) -> Result<Option<u64>, StoreError> {
        let size: Option<i64> = self
            .conn
            .query_row(
                "SELECT b.size FROM blobs b JOIN blob_scopes s ON s.sha256 = b.sha256
                 WHERE b.sha256 = ?1 AND s.scope = ?2",
                params![sha256, scope.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        size.map(to_u64).transpose()
    }

    fn blob_for_scope(
        &self,
        sha256: &str,
        scopes: &[ScopeCode],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        database_bytes(self.blob_in_scope(sha256, scopes)?)
    }

    fn blob_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM blobs", [], |r| r.get(0))
            .map_err(db)?;
        to_u64(n)
    }

    fn staged_upload(&self, id: Uuid) -> Result<StagedUpload, StoreError> {
        let key = id.to_string();
        let row: Option<(String, String, i64, i64, bool)> = self
            .conn
            .query_row(
                "SELECT u.sha256, u.scope, u.length, u.received,
                        EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = u.sha256)
                 FROM uploads u WHERE u.id = ?1 AND u.complete = 0",
                [&key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((sha256, scope, length, received, blob_recorded)) = row else {
            return Err(StoreError::NotFound("upload"));
        };
        if length != received {
            return Err(StoreError::NotFound("complete upload"));
        }
        let bytes = staged_bytes(&self.conn, &key, length)?;
        Ok(StagedUpload {
            sha256,
            scope: ScopeCode::parse(&scope).map_err(corrupt)?,
            length: to_u64(length)?,
            bytes,
            blob_recorded,
        })
    }

    fn record_object_blob(&mut self, id: Uuid) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let key = id.to_string();
        let row: Option<(String, String, i64, i64, bool)> = tx
            .query_row(
                "SELECT sha256, scope, length, received, complete FROM uploads WHERE id = ?1",
                [&key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((sha256, scope, length, received, complete)) = row else {
            return Err(StoreError::NotFound("upload"));
        };
        if complete {
            return Ok(());
        }
        if length != received {
            return Err(StoreError::NotFound("complete upload"));
        }
        tx.execute(
            "INSERT INTO blobs (sha256, size, bytes, created_at, location)
             VALUES (?1, ?2, X'', ?3, 'object') ON CONFLICT (sha256) DO NOTHING",
            params![sha256, length, now()],
        )
        .map_err(db)?;
        settle_upload(&tx, &key, &sha256, &scope)?;
        tx.commit().map_err(db)
    }

    fn blob_in_scope(
        &self,
        sha256: &str,
        scopes: &[ScopeCode],
    ) -> Result<Option<StoredBlob>, StoreError> {
        let linked: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT scope FROM blob_scopes WHERE sha256 = ?1")
                .map_err(db)?;
            stmt.query_map([sha256], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)?
        };
        let allowed = linked
            .iter()
            .any(|l| ScopeCode::parse(l).is_ok_and(|l| scopes.iter().any(|s| s.covers(&l))));
        if !allowed {
            return Ok(None);
        }
        let row: Option<(String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT location, bytes FROM blobs WHERE sha256 = ?1",
                [sha256],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db)?;
        row.map(|(location, bytes)| StoredBlob::from_row(&location, bytes))
            .transpose()
    }
}

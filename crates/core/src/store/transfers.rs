//! Photo transfers as the store sees them: the upload queue (which evidence photos still
//! go to which scope, with the tus upload URL and the offset the relay last confirmed)
//! and the download list (photos that reports reference but the store does not hold).
//!
//! A photo is queued in the transaction that files the report referencing it
//! ([`super::Batch::queue_upload`]), so a filed report never exists without its upload.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::Store;
use crate::doc::{DocKind, collection, read_fields};
use crate::error::Result;
use crate::model::{Report, is_sha256_hex};

/// One photo to upload to one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadJob {
    /// SHA-256 of the evidence JPEG, lower-case hex.
    pub hash: String,
    /// The grid (or division) code the photo is uploaded to: the report's grid.
    pub scope: String,
    /// Size in bytes.
    pub size: u64,
    /// The tus upload (path on the relay, `/v1/files/{id}`) once created.
    pub url: Option<String>,
    /// Bytes the relay confirmed last time (a resume asks the relay again first).
    pub sent: u64,
}

/// How much is left to upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UploadBacklog {
    /// Photo uploads not done yet.
    pub photos: usize,
    /// Their bytes not confirmed by the relay yet.
    pub bytes: u64,
}

/// Queues `hash` for upload to `scope` inside the caller's transaction (no-op when it is
/// already queued or done there, or when the blob is not stored).
pub(crate) fn queue_upload(tx: &Connection, hash: &str, scope: &str, now: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO photo_uploads (hash, scope, size, queued_at, updated_at)
         SELECT hash, ?2, size, ?3, ?3 FROM blobs WHERE hash = ?1",
    )?
    .execute(params![hash, scope, now])?;
    Ok(())
}

/// Replaces the photo references of a report's index rows.
pub(crate) fn index_report_photos(tx: &Connection, report: &Report) -> Result<()> {
    let id = report.id.0.as_bytes();
    tx.prepare_cached("DELETE FROM report_photos WHERE report_id = ?1")?
        .execute([id])?;
    let mut ins = tx.prepare_cached(
        "INSERT OR IGNORE INTO report_photos (report_id, hash, grid) VALUES (?1, ?2, ?3)",
    )?;
    // Remote documents are input: only well-formed hashes become rows (they end up in
    // request paths).
    for h in report.photos.iter().filter(|h| is_sha256_hex(h)) {
        ins.execute(params![id, h, report.grid.as_str()])?;
    }
    Ok(())
}

impl Store {
    /// Uploads still to do, oldest first.
    pub fn uploads_pending(&self) -> Result<Vec<UploadJob>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT hash, scope, size, url, sent FROM photo_uploads
             WHERE state = 'queued' ORDER BY queued_at, hash, scope",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(UploadJob {
                hash: r.get(0)?,
                scope: r.get(1)?,
                size: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                url: r.get(3)?,
                sent: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Count and bytes of the uploads still to do.
    pub fn upload_backlog(&self) -> Result<UploadBacklog> {
        let (photos, bytes): (i64, i64) = self.conn().query_row(
            "SELECT count(*), coalesce(sum(max(size - sent, 0)), 0) FROM photo_uploads
             WHERE state = 'queued'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(UploadBacklog {
            photos: usize::try_from(photos).unwrap_or(0),
            bytes: u64::try_from(bytes).unwrap_or(0),
        })
    }

    /// The upload job for `hash` to `scope`, in any state.
    pub fn upload_job(&self, hash: &str, scope: &str) -> Result<Option<(UploadJob, String)>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .query_row(
                "SELECT hash, scope, size, url, sent, state FROM photo_uploads
                 WHERE hash = ?1 AND scope = ?2",
                params![hash, scope],
                |r| {
                    Ok((
                        UploadJob {
                            hash: r.get(0)?,
                            scope: r.get(1)?,
                            size: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                            url: r.get(3)?,
                            sent: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                        },
                        r.get(5)?,
                    ))
                },
            )
            .optional()?)
    }

    /// Records where the upload of `hash` to `scope` stands: its tus URL (`None` when the
    /// relay forgot it and a new one must be created) and the offset the relay confirmed.
    pub fn set_upload_progress(
        &mut self,
        hash: &str,
        scope: &str,
        url: Option<&str>,
        sent: u64,
    ) -> Result<()> {
        let now = self.now().timestamp_millis();
        self.conn().execute(
            "UPDATE photo_uploads SET url = ?3, sent = ?4, updated_at = ?5
             WHERE hash = ?1 AND scope = ?2",
            params![
                hash,
                scope,
                url,
                i64::try_from(sent).unwrap_or(i64::MAX),
                now
            ],
        )?;
        Ok(())
    }

    /// Marks the upload done: the relay holds the photo in that scope.
    pub fn finish_upload(&mut self, hash: &str, scope: &str) -> Result<()> {
        let now = self.now().timestamp_millis();
        self.conn().execute(
            "UPDATE photo_uploads SET state = 'done', sent = size, updated_at = ?3
             WHERE hash = ?1 AND scope = ?2",
            params![hash, scope, now],
        )?;
        Ok(())
    }

    /// Takes the upload out of the queue for good: the relay refuses it (`refusal` is the
    /// relay's code, e.g. `scope_forbidden`, `upload_too_large`).
    pub fn refuse_upload(&mut self, hash: &str, scope: &str, refusal: &str) -> Result<()> {
        let now = self.now().timestamp_millis();
        self.conn().execute(
            "UPDATE photo_uploads SET state = 'refused', refusal = ?3, updated_at = ?4
             WHERE hash = ?1 AND scope = ?2",
            params![hash, scope, refusal, now],
        )?;
        Ok(())
    }

    /// Photos referenced by reports in the store whose bytes are not stored: the
    /// download list.
    pub fn photos_to_fetch(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT DISTINCT rp.hash FROM report_photos rp
             WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = rp.hash)
             ORDER BY rp.hash",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Fills `report_photos` and the upload queue from the report documents of a store
    /// made before they existed: every stored photo a report references is queued to the
    /// report's grid (the relay answers at once for one it already holds there).
    pub(super) fn backfill_photo_transfers(&mut self) -> Result<()> {
        let reports: Vec<_> = self
            .doc_ids()?
            .into_iter()
            .filter(|(_, kind, _)| *kind == Some(DocKind::Report))
            .map(|(id, _, _)| id)
            .collect();
        let mut found = vec![];
        for id in reports {
            let Some(doc) = self.doc_with_content(&id)? else {
                continue;
            };
            let f = read_fields(doc, &collection(doc, "report")?)?;
            if f.is_empty() {
                continue;
            }
            found.push(Report::from_fields(&f)?);
        }
        let now = self.now().timestamp_millis();
        let tx = self.conn.transaction()?;
        for r in &found {
            index_report_photos(&tx, r)?;
            for h in &r.photos {
                queue_upload(&tx, h, r.grid.as_str(), now)?;
            }
        }
        tx.commit()?;
        tracing::info!(reports = found.len(), "photo transfers indexed");
        Ok(())
    }
}

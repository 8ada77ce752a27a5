//! [`DocStore`] on SQLite: document records and chunks, sync states, and group commit
//! as one open transaction whose writes are savepoints.

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{DocKind, ScopeCode};

use super::tx::write_tx;
use super::{SqliteStore, corrupt, db, now};
use crate::store::docs::each_once;
use crate::store::{DocRecord, DocStore, StoreError, covering_codes, downward_kinds};

fn doc_record(id: &DocumentId, scope: String, kind: String) -> Result<DocRecord, StoreError> {
    Ok(DocRecord {
        id: *id,
        scope: ScopeCode::parse(&scope).map_err(corrupt)?,
        kind: DocKind::from_code(&kind)
            .ok_or_else(|| corrupt(format!("unknown document kind {kind:?}")))?,
    })
}

/// The `(id, scope, kind)` columns of a document row.
fn record_columns(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Vec<u8>, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

/// Reads rows of [`record_columns`] into `out`.
fn read_records(
    rows: impl Iterator<Item = rusqlite::Result<(Vec<u8>, String, String)>>,
    out: &mut Vec<DocRecord>,
) -> Result<(), StoreError> {
    for row in rows {
        let (id, scope, kind) = row.map_err(db)?;
        let id = DocumentId::from_bytes(&id).map_err(corrupt)?;
        out.push(doc_record(&id, scope, kind)?);
    }
    Ok(())
}

impl DocStore for SqliteStore {
    fn doc(&self, id: &DocumentId) -> Result<Option<DocRecord>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT scope, kind FROM docs WHERE id = ?1",
                [&id.as_bytes()[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db)?;
        row.map(|(s, k)| doc_record(id, s, k)).transpose()
    }

    fn docs_under(&self, scopes: &[ScopeCode], limit: usize) -> Result<Vec<DocRecord>, StoreError> {
        let mut out = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, scope, kind FROM docs WHERE substr(scope, 1, ?2) = ?1 ORDER BY id LIMIT ?3",
            )
            .map_err(db)?;
        for s in scopes {
            let left = limit.saturating_sub(out.len());
            let rows = stmt
                .query_map(
                    params![
                        s.as_str(),
                        i64::try_from(s.as_str().len()).unwrap_or(i64::MAX),
                        i64::try_from(left).unwrap_or(i64::MAX)
                    ],
                    record_columns,
                )
                .map_err(db)?;
            read_records(rows, &mut out)?;
        }
        out.sort_by_key(|d| d.id);
        out.dedup_by_key(|d| d.id);
        Ok(out)
    }

    fn docs_read_downward(
        &self,
        scopes: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<DocRecord>, StoreError> {
        // One exact lookup per code and kind: each an equality on the scope index.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, scope, kind FROM docs WHERE scope = ?1 AND kind = ?2 ORDER BY id LIMIT ?3",
            )
            .map_err(db)?;
        let max = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        for code in covering_codes(scopes) {
            for kind in downward_kinds() {
                let rows = stmt
                    .query_map(params![code, kind, max], record_columns)
                    .map_err(db)?;
                read_records(rows, &mut out)?;
            }
        }
        Ok(each_once(out, limit))
    }

    fn grant_docs(&mut self, docs: &[DocumentId], unit: &ScopeCode) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        {
            let mut stmt = tx
                .prepare_cached("INSERT OR IGNORE INTO doc_grants (doc_id, unit) VALUES (?1, ?2)")
                .map_err(db)?;
            for id in docs {
                stmt.execute(params![&id.as_bytes()[..], unit.as_str()])
                    .map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }

    fn doc_grants(&self, id: &DocumentId) -> Result<Vec<ScopeCode>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT unit FROM doc_grants WHERE doc_id = ?1 ORDER BY unit")
            .map_err(db)?;
        let rows = stmt
            .query_map([&id.as_bytes()[..]], |r| r.get::<_, String>(0))
            .map_err(db)?;
        rows.map(|u| {
            u.map_err(db)
                .and_then(|u| ScopeCode::parse(&u).map_err(corrupt))
        })
        .collect()
    }

    fn docs_granted(
        &self,
        units: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<DocRecord>, StoreError> {
        let mut out = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT d.id, d.scope, d.kind FROM doc_grants g JOIN docs d ON d.id = g.doc_id
                 WHERE g.unit = ?1 ORDER BY d.id LIMIT ?2",
            )
            .map_err(db)?;
        for u in units {
            let left = i64::try_from(limit.saturating_sub(out.len())).unwrap_or(i64::MAX);
            let rows = stmt
                .query_map(params![u.as_str(), left], record_columns)
                .map_err(db)?;
            read_records(rows, &mut out)?;
        }
        out.sort_by_key(|d| d.id);
        out.dedup_by_key(|d| d.id);
        out.truncate(limit);
        Ok(out)
    }

    fn create_doc(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let t = now();
        let n = tx
            .execute(
                "INSERT OR IGNORE INTO docs (id, scope, kind, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![
                    &record.id.as_bytes()[..],
                    record.scope.as_str(),
                    record.kind.code(),
                    t
                ],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::AlreadyExists("document"));
        }
        tx.execute(
            "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES (?1, 0, ?2)",
            params![&record.id.as_bytes()[..], bytes],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db)
    }

    fn abort_batch(&mut self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK").map_err(db)
    }

    fn commit_batch(&mut self) -> Result<(), StoreError> {
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            // Leave no half-open transaction behind: whatever the group wrote is gone.
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(db(e));
        }
        Ok(())
    }

    fn append_changes(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<i64, StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let id = &record.id.as_bytes()[..];
        let n = tx
            .execute(
                "UPDATE docs SET scope = ?2, kind = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, record.scope.as_str(), record.kind.code(), now()],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::NotFound("document"));
        }
        let seq: i64 = tx
            .query_row(
                "INSERT INTO doc_chunks (doc_id, seq, bytes)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), -1) + 1 FROM doc_chunks WHERE doc_id = ?1), ?2)
                 RETURNING seq",
                params![id, bytes],
                |r| r.get(0),
            )
            .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(seq)
    }

    fn doc_chunks_after(
        &self,
        id: &DocumentId,
        after: i64,
    ) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, bytes FROM doc_chunks WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![&id.as_bytes()[..], after], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    fn compact_doc(
        &mut self,
        id: &DocumentId,
        snapshot: &[u8],
        through: i64,
    ) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let id = &id.as_bytes()[..];
        let n = tx
            .execute(
                "DELETE FROM doc_chunks WHERE doc_id = ?1 AND seq <= ?2",
                params![id, through],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::NotFound("document"));
        }
        tx.execute(
            "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES (?1, ?2, ?3)",
            params![id, through, snapshot],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn docs_changed_since(&self, since: i64) -> Result<Vec<(DocumentId, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT d.id, MAX(c.seq) FROM docs d JOIN doc_chunks c ON c.doc_id = d.id
                 WHERE d.updated_at >= ?1 GROUP BY d.id ORDER BY d.id",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([since], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(db)?;
        rows.map(|r| {
            let (id, seq) = r.map_err(db)?;
            Ok((DocumentId::from_bytes(&id).map_err(corrupt)?, seq))
        })
        .collect()
    }

    fn sync_state(&self, device: Uuid, doc: &DocumentId) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row(
                "SELECT state FROM sync_states WHERE device_id = ?1 AND doc_id = ?2",
                params![device.to_string(), &doc.as_bytes()[..]],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
    }

    fn put_sync_states(
        &mut self,
        device: Uuid,
        states: &[(DocumentId, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO sync_states (device_id, doc_id, state) VALUES (?1, ?2, ?3)
                     ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
                )
                .map_err(db)?;
            for (doc, state) in states {
                stmt.execute(params![device.to_string(), &doc.as_bytes()[..], state])
                    .map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }
}

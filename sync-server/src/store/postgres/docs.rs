//! [`DocStore`] on PostgreSQL: document records and chunks, sync states, and group commit
//! as one open transaction whose writes are savepoints.
//!
//! Appends and compactions lock the document's row first, so two relay instances writing
//! one document take turns and each sees the other's chunks when numbering its own.

use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{DocKind, ScopeCode};

use super::{PgStore, col, corrupt, db, now};
use crate::store::{DocRecord, DocStore, StoreError, covering_codes, downward_kinds};

fn doc_record(id: DocumentId, scope: &str, kind: &str) -> Result<DocRecord, StoreError> {
    Ok(DocRecord {
        id,
        scope: ScopeCode::parse(scope).map_err(corrupt)?,
        kind: DocKind::from_code(kind)
            .ok_or_else(|| corrupt(format!("unknown document kind {kind:?}")))?,
    })
}

/// A document row's `(id, scope, kind)` as its record.
fn record_of(r: &postgres::Row) -> Result<DocRecord, StoreError> {
    let id = DocumentId::from_bytes(col(r, 0)?).map_err(corrupt)?;
    doc_record(id, col(r, 1)?, col(r, 2)?)
}

/// Tells every relay instance listening on [`super::feed::CHANNEL`] that `id` has chunk
/// `seq`. Sent inside the write's transaction, so PostgreSQL delivers it only if the write
/// commits (and drops it with a rolled-back savepoint).
fn notify(c: &mut postgres::Client, id: &DocumentId, seq: i64) -> Result<(), StoreError> {
    c.execute(
        "SELECT pg_notify($1, $2)",
        &[&super::feed::CHANNEL, &super::feed::payload(id, seq)],
    )
    .map_err(db)?;
    Ok(())
}

impl DocStore for PgStore {
    fn doc(&self, id: &DocumentId) -> Result<Option<DocRecord>, StoreError> {
        let row = self
            .conn()?
            .query_opt(
                "SELECT scope, kind FROM docs WHERE id = $1",
                &[&&id.as_bytes()[..]],
            )
            .map_err(db)?;
        row.map(|r| doc_record(*id, col(&r, 0)?, col(&r, 1)?))
            .transpose()
    }

    fn docs_under(&self, scopes: &[ScopeCode], limit: usize) -> Result<Vec<DocRecord>, StoreError> {
        // Codes are digits, lower-case letters and `-` only (never `%` or `_`), so a code
        // followed by `%` is an exact prefix pattern.
        let patterns: Vec<String> = scopes.iter().map(|s| format!("{}%", s.as_str())).collect();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn()?
            .query(
                "SELECT id, scope, kind FROM docs WHERE scope LIKE ANY($1::text[])
                 ORDER BY id LIMIT $2",
                &[&patterns, &limit],
            )
            .map_err(db)?
            .iter()
            .map(record_of)
            .collect()
    }

    fn docs_read_downward(
        &self,
        scopes: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<DocRecord>, StoreError> {
        // A handful of exact codes: equalities on the scope index.
        let codes = covering_codes(scopes);
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let kinds = downward_kinds();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn()?
            .query(
                "SELECT id, scope, kind FROM docs WHERE scope = ANY($1::text[])
                 AND kind = ANY($2::text[]) ORDER BY id LIMIT $3",
                &[&codes, &kinds, &limit],
            )
            .map_err(db)?
            .iter()
            .map(record_of)
            .collect()
    }

    fn grant_docs(&mut self, docs: &[DocumentId], unit: &ScopeCode) -> Result<(), StoreError> {
        let ids: Vec<&[u8]> = docs.iter().map(|d| &d.as_bytes()[..]).collect();
        self.write(|c| {
            c.execute(
                "INSERT INTO doc_grants (doc_id, unit) SELECT id, $2 FROM unnest($1::bytea[]) AS id
                 ON CONFLICT DO NOTHING",
                &[&ids, &unit.as_str()],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn doc_grants(&self, id: &DocumentId) -> Result<Vec<ScopeCode>, StoreError> {
        self.conn()?
            .query(
                "SELECT unit FROM doc_grants WHERE doc_id = $1 ORDER BY unit",
                &[&&id.as_bytes()[..]],
            )
            .map_err(db)?
            .iter()
            .map(|r| ScopeCode::parse(col(r, 0)?).map_err(corrupt))
            .collect()
    }

    fn docs_granted(
        &self,
        units: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<DocRecord>, StoreError> {
        let units: Vec<&str> = units.iter().map(ScopeCode::as_str).collect();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn()?
            .query(
                "SELECT DISTINCT d.id, d.scope, d.kind FROM doc_grants g JOIN docs d ON d.id = g.doc_id
                 WHERE g.unit = ANY($1::text[]) ORDER BY d.id LIMIT $2",
                &[&units, &limit],
            )
            .map_err(db)?
            .iter()
            .map(record_of)
            .collect()
    }

    fn create_doc(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<(), StoreError> {
        let id = &record.id.as_bytes()[..];
        self.write(|c| {
            let n = c
                .execute(
                    "INSERT INTO docs (id, scope, kind, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
                    &[&id, &record.scope.as_str(), &record.kind.code(), &now()],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::AlreadyExists("document"));
            }
            c.execute(
                "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES ($1, 0, $2)",
                &[&id, &bytes],
            )
            .map_err(db)?;
            notify(c, &record.id, 0)
        })
    }

    fn begin_batch(&mut self) -> Result<(), StoreError> {
        if self.in_batch {
            return Err(StoreError::database("a write group is already open"));
        }
        self.conn()?.batch_execute("BEGIN").map_err(db)?;
        self.in_batch = true;
        Ok(())
    }

    fn abort_batch(&mut self) -> Result<(), StoreError> {
        if !self.in_batch {
            return Ok(());
        }
        let rolled_back = self.conn()?.batch_execute("ROLLBACK").map_err(db);
        self.in_batch = false;
        rolled_back
    }

    fn commit_batch(&mut self) -> Result<(), StoreError> {
        if !self.in_batch {
            return Err(StoreError::database("no write group is open"));
        }
        let mut conn = self.conn()?;
        // PostgreSQL answers COMMIT in a transaction a failed statement aborted with a
        // silent ROLLBACK. The probe fails in such a transaction and stops the string
        // before COMMIT, so a group is acknowledged only if COMMIT really committed it.
        let committed = conn.batch_execute("SELECT 1; COMMIT");
        if committed.is_err() {
            // Leave no half-open transaction behind: whatever the group wrote is gone.
            let _ = conn.batch_execute("ROLLBACK");
        }
        drop(conn);
        self.in_batch = false;
        committed.map_err(db)
    }

    fn append_changes(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<i64, StoreError> {
        let id = &record.id.as_bytes()[..];
        self.write(|c| {
            // The row lock this takes is held to the commit: writers of one document take
            // turns, so each numbers its chunk after every chunk committed before it.
            let n = c
                .execute(
                    "UPDATE docs SET scope = $2, kind = $3, updated_at = $4 WHERE id = $1",
                    &[&id, &record.scope.as_str(), &record.kind.code(), &now()],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::NotFound("document"));
            }
            let row = c
                .query_one(
                    "INSERT INTO doc_chunks (doc_id, seq, bytes)
                     VALUES ($1, (SELECT COALESCE(MAX(seq), -1) + 1 FROM doc_chunks WHERE doc_id = $1), $2)
                     RETURNING seq",
                    &[&id, &bytes],
                )
                .map_err(db)?;
            let seq: i64 = col(&row, 0)?;
            notify(c, &record.id, seq)?;
            Ok(seq)
        })
    }

    fn doc_chunks_after(
        &self,
        id: &DocumentId,
        after: i64,
    ) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        self.conn()?
            .query(
                "SELECT seq, bytes FROM doc_chunks WHERE doc_id = $1 AND seq > $2 ORDER BY seq",
                &[&&id.as_bytes()[..], &after],
            )
            .map_err(db)?
            .iter()
            .map(|r| Ok((col(r, 0)?, col(r, 1)?)))
            .collect()
    }

    fn compact_doc(
        &mut self,
        id: &DocumentId,
        snapshot: &[u8],
        through: i64,
    ) -> Result<(), StoreError> {
        let id = &id.as_bytes()[..];
        self.write(|c| {
            c.execute("SELECT 1 FROM docs WHERE id = $1 FOR UPDATE", &[&id])
                .map_err(db)?;
            let n = c
                .execute(
                    "DELETE FROM doc_chunks WHERE doc_id = $1 AND seq <= $2",
                    &[&id, &through],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::NotFound("document"));
            }
            // Numbered `through`: an instance that has seen `through` has all it holds.
            c.execute(
                "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES ($1, $2, $3)",
                &[&id, &through, &snapshot],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn docs_changed_since(&self, since: i64) -> Result<Vec<(DocumentId, i64)>, StoreError> {
        self.conn()?
            .query(
                "SELECT d.id, MAX(c.seq) FROM docs d JOIN doc_chunks c ON c.doc_id = d.id
                 WHERE d.updated_at >= $1 GROUP BY d.id ORDER BY d.id",
                &[&since],
            )
            .map_err(db)?
            .iter()
            .map(|r| {
                let id = DocumentId::from_bytes(col(r, 0)?).map_err(corrupt)?;
                Ok((id, col(r, 1)?))
            })
            .collect()
    }

    fn sync_state(&self, device: Uuid, doc: &DocumentId) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self
            .conn()?
            .query_opt(
                "SELECT state FROM sync_states WHERE device_id = $1 AND doc_id = $2",
                &[&device, &&doc.as_bytes()[..]],
            )
            .map_err(db)?;
        row.map(|r| col(&r, 0)).transpose()
    }

    fn put_sync_states(
        &mut self,
        device: Uuid,
        states: &[(DocumentId, Vec<u8>)],
    ) -> Result<(), StoreError> {
        if states.is_empty() {
            return Ok(());
        }
        self.write(|c| {
            let stmt = c
                .prepare(
                    "INSERT INTO sync_states (device_id, doc_id, state) VALUES ($1, $2, $3)
                     ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
                )
                .map_err(db)?;
            for (doc, state) in states {
                c.execute(&stmt, &[&device, &&doc.as_bytes()[..], state])
                    .map_err(db)?;
            }
            Ok(())
        })
    }
}

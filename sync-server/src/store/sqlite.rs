//! The SQLite backend of [`RelayStore`]: one file, zero set-up, with migrations.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;
use wangge_proto::DocumentId;

use sha2::{Digest, Sha256};

use super::{
    ChunkOutcome, DeviceAuth, DocRecord, FinishOutcome, NewDevice, NewUpload, RelayStore,
    StoreError, UploadState, User,
};
use wangge_schema::Principal;
use wangge_schema::{DocKind, Role, ScopeCode};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE divisions (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE grids (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE user_scopes (
    user_id TEXT NOT NULL REFERENCES users(id),
    code TEXT NOT NULL,
    PRIMARY KEY (user_id, code)
);
CREATE TABLE enrollment_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    device_id TEXT
);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE docs (
    id BLOB PRIMARY KEY,
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX docs_by_scope ON docs(scope);
CREATE TABLE doc_chunks (
    doc_id BLOB NOT NULL REFERENCES docs(id),
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
);
CREATE TABLE sync_states (
    device_id TEXT NOT NULL,
    doc_id BLOB NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (device_id, doc_id)
);
CREATE TABLE admin_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL);
INSERT INTO admin_generation (id, generation) VALUES (1, 0);
"#,
    // 2: photo uploads (tus) and content-addressed blobs linked to scopes.
    r#"
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE blob_scopes (
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    scope TEXT NOT NULL,
    PRIMARY KEY (sha256, scope)
);
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    scope TEXT NOT NULL,
    length INTEGER NOT NULL,
    received INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX uploads_by_device ON uploads(device_id, complete, created_at);
CREATE TABLE upload_chunks (
    upload_id TEXT NOT NULL REFERENCES uploads(id),
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
"#,
    // 3: which documents each admin change touched, so running relays push them.
    r#"
CREATE TABLE admin_doc_changes (
    generation INTEGER NOT NULL,
    doc_id BLOB NOT NULL,
    PRIMARY KEY (generation, doc_id)
);
"#,
];

/// A [`RelayStore`] in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(db)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(db)?;
        Self::init(conn)
    }

    /// Rolls back an open write group (tests that simulate a failed commit).
    #[cfg(test)]
    pub(crate) fn rollback_for_tests(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(db)?;
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(db)?;
        Self::init(conn)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        // See `write_tx`: transactions take the write lock at BEGIN.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db)?;
        let done = usize::try_from(version).map_err(|_| corrupt("negative user_version"))?;
        if done > MIGRATIONS.len() {
            return Err(corrupt(format!(
                "database schema version {done} is newer than this relay ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
            let tx = conn.transaction().map_err(db)?;
            tx.execute_batch(sql).map_err(db)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(i + 1).unwrap_or(i64::MAX),
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
        }
        Ok(Self { conn })
    }

    fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row("SELECT name, role FROM users WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(db)?;
        let Some((name, role)) = row else {
            return Ok(None);
        };
        let role: Role = role.parse().map_err(corrupt)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT code FROM user_scopes WHERE user_id = ?1 ORDER BY code")
            .map_err(db)?;
        let scopes = stmt
            .query_map([id], |r| r.get::<_, String>(0))
            .map_err(db)?
            .map(|c| {
                c.map_err(db)
                    .and_then(|c| ScopeCode::parse(&c).map_err(corrupt))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(User {
            id: Uuid::parse_str(id).map_err(corrupt)?,
            name,
            principal: Principal { role, scopes },
        }))
    }

    fn device_where(&self, clause: &str, arg: &str) -> Result<Option<DeviceAuth>, StoreError> {
        let sql = format!("SELECT id, user_id FROM devices WHERE {clause} AND revoked_at IS NULL");
        let row: Option<(String, String)> = self
            .conn
            .query_row(&sql, [arg], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db)?;
        let Some((device_id, user_id)) = row else {
            return Ok(None);
        };
        let user = self
            .user_by_id(&user_id)?
            .ok_or_else(|| corrupt("device without user"))?;
        Ok(Some(DeviceAuth {
            device_id: Uuid::parse_str(&device_id).map_err(corrupt)?,
            user,
        }))
    }
}

fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Database("size out of range".into()))
}

fn to_u64(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt("negative size"))
}

/// Completed upload records are kept this long (seconds) so `HEAD` still answers.
const COMPLETED_UPLOAD_TTL: i64 = 7 * 24 * 3600;

fn delete_upload(tx: &rusqlite::Connection, id: &str) -> Result<usize, StoreError> {
    tx.execute("DELETE FROM upload_chunks WHERE upload_id = ?1", [id])
        .map_err(db)?;
    tx.execute("DELETE FROM uploads WHERE id = ?1", [id])
        .map_err(db)
}

fn doc_record(id: &DocumentId, scope: String, kind: String) -> Result<DocRecord, StoreError> {
    Ok(DocRecord {
        id: *id,
        scope: ScopeCode::parse(&scope).map_err(corrupt)?,
        kind: DocKind::from_code(&kind)
            .ok_or_else(|| corrupt(format!("unknown document kind {kind:?}")))?,
    })
}

impl RelayStore for SqliteStore {
    fn add_division(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError> {
        if code.is_grid() {
            return Err(StoreError::NotFound("division code (got a grid code)"));
        }
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO divisions (code, name) VALUES (?1, ?2)",
                params![code.as_str(), name],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::AlreadyExists("division"));
        }
        Ok(())
    }

    fn division_exists(&self, code: &ScopeCode) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM divisions WHERE code = ?1",
                [code.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db)
    }

    fn add_grid(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError> {
        let community = code.community().ok_or(StoreError::NotFound("grid code"))?;
        if !self.division_exists(community.scope())? {
            return Err(StoreError::NotFound("community division of the grid"));
        }
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO grids (code, name) VALUES (?1, ?2)",
                params![code.as_str(), name],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::AlreadyExists("grid"));
        }
        Ok(())
    }

    fn grid_exists(&self, code: &ScopeCode) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM grids WHERE code = ?1",
                [code.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db)
    }

    fn add_user(
        &mut self,
        name: &str,
        role: Role,
        scopes: &[ScopeCode],
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::new_v4();
        let tx = write_tx(&mut self.conn)?;
        tx.execute(
            "INSERT INTO users (id, name, role, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id.to_string(), name, role.as_str(), now()],
        )
        .map_err(db)?;
        for s in scopes {
            tx.execute(
                "INSERT OR IGNORE INTO user_scopes (user_id, code) VALUES (?1, ?2)",
                params![id.to_string(), s.as_str()],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(id)
    }

    fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.user_by_id(&id.to_string())
    }

    fn add_enrollment_code(
        &mut self,
        user: Uuid,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        if self.user(user)?.is_none() {
            return Err(StoreError::NotFound("user"));
        }
        self.conn
            .execute(
                "INSERT INTO enrollment_codes (code_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![code_hash, user.to_string(), expires_at],
            )
            .map_err(db)?;
        Ok(())
    }

    fn redeem_enrollment_code(
        &mut self,
        code_hash: &str,
        now_secs: i64,
        device: &NewDevice,
    ) -> Result<Option<User>, StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let user_id: Option<String> = tx
            .query_row(
                "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3
                 WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                 RETURNING user_id",
                params![code_hash, now_secs, device.device_id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        tx.execute(
            "INSERT INTO devices (id, user_id, token_hash, label, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                device.device_id.to_string(),
                user_id,
                device.token_hash,
                device.label,
                now_secs
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        self.user_by_id(&user_id)
    }

    fn authenticate(&self, token_hash: &str) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("token_hash = ?1", token_hash)
    }

    fn device(&self, device_id: Uuid) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("id = ?1", &device_id.to_string())
    }

    fn revoke_device(&mut self, device_id: Uuid) -> Result<bool, StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let n = tx
            .execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                params![device_id.to_string(), now()],
            )
            .map_err(db)?;
        tx.execute(
            "UPDATE admin_generation SET generation = generation + 1",
            [],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(n > 0)
    }

    fn admin_generation(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT generation FROM admin_generation", [], |r| r.get(0))
            .map_err(db)
    }

    fn record_admin_change(&mut self, docs: &[DocumentId]) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let generation: i64 = tx
            .query_row(
                "UPDATE admin_generation SET generation = generation + 1 RETURNING generation",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO admin_doc_changes (generation, doc_id) VALUES (?1, ?2)",
                )
                .map_err(db)?;
            for d in docs {
                ins.execute(params![generation, &d.as_bytes()[..]])
                    .map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }

    fn admin_changes_since(&self, since: i64) -> Result<Vec<DocumentId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT doc_id FROM admin_doc_changes WHERE generation > ?1 ORDER BY doc_id",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([since], |r| r.get::<_, Vec<u8>>(0))
            .map_err(db)?;
        rows.map(|r| {
            r.map_err(db)
                .and_then(|b| DocumentId::from_bytes(&b).map_err(corrupt))
        })
        .collect()
    }

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
                    |r| {
                        Ok((
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )
                .map_err(db)?;
            for row in rows {
                let (id, scope, kind) = row.map_err(db)?;
                let id = DocumentId::from_bytes(&id).map_err(corrupt)?;
                out.push(doc_record(&id, scope, kind)?);
            }
        }
        out.sort_by_key(|d| d.id);
        out.dedup_by_key(|d| d.id);
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

    fn append_changes(&mut self, record: &DocRecord, bytes: &[u8]) -> Result<(), StoreError> {
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
        tx.execute(
            "INSERT INTO doc_chunks (doc_id, seq, bytes)
             VALUES (?1, (SELECT COALESCE(MAX(seq), -1) + 1 FROM doc_chunks WHERE doc_id = ?1), ?2)",
            params![id, bytes],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn doc_chunks(&self, id: &DocumentId) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")
            .map_err(db)?;
        let rows = stmt
            .query_map([&id.as_bytes()[..]], |r| r.get::<_, Vec<u8>>(0))
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    fn compact_doc(&mut self, id: &DocumentId, snapshot: &[u8]) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let id = &id.as_bytes()[..];
        let max: Option<i64> = tx
            .query_row(
                "SELECT MAX(seq) FROM doc_chunks WHERE doc_id = ?1",
                [id],
                |r| r.get(0),
            )
            .map_err(db)?;
        let Some(max) = max else {
            return Err(StoreError::NotFound("document"));
        };
        tx.execute(
            "DELETE FROM doc_chunks WHERE doc_id = ?1 AND seq <= ?2",
            params![id, max],
        )
        .map_err(db)?;
        tx.execute(
            "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES (?1, ?2, ?3)",
            params![id, max + 1, snapshot],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
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
        let mut data = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
        {
            let mut stmt = tx
                .prepare_cached("SELECT bytes FROM upload_chunks WHERE upload_id = ?1 ORDER BY seq")
                .map_err(db)?;
            let mut rows = stmt.query([&key]).map_err(db)?;
            while let Some(r) = rows.next().map_err(db)? {
                let chunk: Vec<u8> = r.get(0).map_err(db)?;
                data.extend_from_slice(&chunk);
            }
        }
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
        tx.execute(
            "INSERT INTO blob_scopes (sha256, scope) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![sha256, scope],
        )
        .map_err(db)?;
        tx.execute("DELETE FROM upload_chunks WHERE upload_id = ?1", [&key])
            .map_err(db)?;
        tx.execute("UPDATE uploads SET complete = 1 WHERE id = ?1", [&key])
            .map_err(db)?;
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
        self.conn
            .query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)
    }

    fn blob_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM blobs", [], |r| r.get(0))
            .map_err(db)?;
        to_u64(n)
    }
}

/// A write transaction: `BEGIN IMMEDIATE` on its own, a savepoint inside a group commit.
///
/// Every write here reads, then writes. A deferred transaction that read before another
/// connection (the hub's, the HTTP side's, the admin CLI's) committed cannot upgrade to a
/// write under WAL and fails at once with `database is locked`, whatever the busy timeout.
/// Taking the write lock at BEGIN makes it wait for the busy timeout instead.
enum WriteTx<'a> {
    Tx(rusqlite::Transaction<'a>),
    Sp(rusqlite::Savepoint<'a>),
}

fn write_tx(conn: &mut Connection) -> Result<WriteTx<'_>, StoreError> {
    if conn.is_autocommit() {
        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map(WriteTx::Tx)
            .map_err(db)
    } else {
        conn.savepoint().map(WriteTx::Sp).map_err(db)
    }
}

impl WriteTx<'_> {
    fn commit(self) -> rusqlite::Result<()> {
        match self {
            WriteTx::Tx(t) => t.commit(),
            WriteTx::Sp(s) => s.commit(),
        }
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            WriteTx::Tx(t) => t,
            WriteTx::Sp(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sqlite_backend_passes_the_shared_suite() {
        crate::store::testing::run_suite(|| Box::new(SqliteStore::open_in_memory().unwrap()));
    }

    #[test]
    fn the_sqlite_backend_passes_the_suite_on_a_file_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let mut n = 0;
        crate::store::testing::run_suite(|| {
            n += 1;
            Box::new(SqliteStore::open(&dir.path().join(format!("relay-{n}.db"))).unwrap())
        });
        // Migrations are idempotent on reopen.
        let store = SqliteStore::open(&dir.path().join("relay-1.db")).unwrap();
        assert!(store.admin_generation().is_ok());
    }

    /// Two connections on one file (the hub's and the HTTP side's) writing at once: every
    /// read-then-write transaction waits for the other instead of failing with
    /// `database is locked`.
    #[test]
    fn two_connections_writing_at_once_both_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.db");
        drop(SqliteStore::open(&path).unwrap());
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut store = SqliteStore::open(&path).unwrap();
                    let device = Uuid::new_v4();
                    for _ in 0..150 {
                        let upload = NewUpload {
                            id: Uuid::new_v4(),
                            device_id: device,
                            sha256: "0".repeat(64),
                            scope: ScopeCode::parse("110105001001001").unwrap(),
                            length: 4,
                            complete: false,
                        };
                        store.create_upload(&upload, 8).unwrap();
                        store.append_upload_chunk(upload.id, 0, b"ab").unwrap();
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    }
}

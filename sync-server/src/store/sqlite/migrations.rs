//! The SQLite schema as `.sql` files in `migrations/`, applied in order; `PRAGMA
//! user_version` records how many ran. A file, once released, never changes: relays in
//! the field have run it. New schema goes into a new file at the end.

use rusqlite::Connection;

use super::{corrupt, db};
use crate::store::StoreError;

/// Schema migrations, applied in order; the `n`th brings the database to version `n`.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_accounts_docs.sql"),
    include_str!("migrations/0002_uploads_blobs.sql"),
    include_str!("migrations/0003_admin_doc_changes.sql"),
    include_str!("migrations/0004_blob_location.sql"),
    include_str!("migrations/0005_admin_log.sql"),
    include_str!("migrations/0006_doc_grants.sql"),
    include_str!("migrations/0007_user_scopes_by_code.sql"),
];

/// Runs the migrations the database has not run yet, each in its own transaction with
/// its version bump. Refuses a database from a newer relay.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;
    use uuid::Uuid;
    use wangge_proto::DocumentId;
    use wangge_schema::ScopeCode;

    use super::MIGRATIONS;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{
        AccountStore, BlobStore, ChunkOutcome, DocStore, FinishOutcome, NewUpload, StoreError,
    };

    const GRID: &str = "110105001001001";

    fn user_version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    /// A database as a relay that knew only the first `n` migrations left it.
    fn database_at_version(path: &std::path::Path, n: usize) -> Connection {
        let conn = Connection::open(path).unwrap();
        for sql in &MIGRATIONS[..n] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", i64::try_from(n).unwrap())
            .unwrap();
        conn
    }

    #[test]
    fn a_new_database_runs_every_migration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.db");
        drop(SqliteStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        assert_eq!(
            user_version(&conn),
            i64::try_from(MIGRATIONS.len()).unwrap()
        );
    }

    #[test]
    fn a_version_1_database_keeps_its_data_and_gains_the_later_tables() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.db");
        let doc = DocumentId::random();
        let device = Uuid::new_v4();
        let user = Uuid::new_v4();
        {
            let conn = database_at_version(&path, 1);
            conn.execute_batch(&format!(
                "INSERT INTO divisions (code, name) VALUES ('110105001001', 'community');
                 INSERT INTO grids (code, name) VALUES ('{GRID}', 'grid');
                 INSERT INTO users (id, name, role, created_at) VALUES ('{user}', 'm', 'member', 0);
                 INSERT INTO user_scopes (user_id, code) VALUES ('{user}', '{GRID}');
                 INSERT INTO devices (id, user_id, token_hash, label, created_at)
                     VALUES ('{device}', '{user}', 'tok', 'phone', 0);
                 UPDATE admin_generation SET generation = 7;"
            ))
            .unwrap();
            conn.execute(
                "INSERT INTO docs (id, scope, kind, created_at, updated_at)
                 VALUES (?1, ?2, 'household', 0, 0)",
                rusqlite::params![&doc.as_bytes()[..], GRID],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES (?1, 0, x'0102')",
                [&doc.as_bytes()[..]],
            )
            .unwrap();
        }
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            user_version(&store.conn),
            i64::try_from(MIGRATIONS.len()).unwrap()
        );
        let auth = store.authenticate("tok").unwrap().expect("device kept");
        assert_eq!((auth.device_id, auth.user.id), (device, user));
        assert!(store.grid_exists(&ScopeCode::parse(GRID).unwrap()).unwrap());
        assert_eq!(store.doc_chunks(&doc).unwrap(), vec![vec![1, 2]]);
        assert_eq!(store.admin_generation().unwrap(), 7);
        // Version 2: uploads and blobs.
        let bytes = b"photo".as_slice();
        let upload = NewUpload {
            id: Uuid::new_v4(),
            device_id: device,
            sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)),
            scope: ScopeCode::parse(GRID).unwrap(),
            length: 5,
            complete: false,
        };
        store.create_upload(&upload, 8).unwrap();
        assert_eq!(
            store.append_upload_chunk(upload.id, 0, bytes).unwrap(),
            ChunkOutcome::Appended(5)
        );
        assert_eq!(
            store.finish_upload(upload.id).unwrap(),
            FinishOutcome::Stored
        );
        // Version 3: the documents admin changes touched.
        store.record_admin_change(&[doc]).unwrap();
        assert_eq!(store.admin_changes_since(7).unwrap(), vec![doc]);
    }

    #[test]
    fn a_database_at_any_earlier_version_upgrades_to_the_latest() {
        for n in 0..=MIGRATIONS.len() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("relay.db");
            drop(database_at_version(&path, n));
            let mut store = SqliteStore::open(&path).unwrap();
            assert_eq!(
                user_version(&store.conn),
                i64::try_from(MIGRATIONS.len()).unwrap(),
                "from version {n}"
            );
            store.record_admin_change(&[DocumentId::random()]).unwrap();
            assert_eq!(store.blob_count().unwrap(), 0);
        }
    }

    #[test]
    fn a_database_from_a_newer_relay_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.db");
        let newer = MIGRATIONS.len() + 1;
        drop(database_at_version(&path, MIGRATIONS.len()));
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", i64::try_from(newer).unwrap())
            .unwrap();
        assert!(matches!(
            SqliteStore::open(&path),
            Err(StoreError::Corrupt(_))
        ));
        let conn = Connection::open(&path).unwrap();
        assert_eq!(user_version(&conn), i64::try_from(newer).unwrap());
    }
}

//! The PostgreSQL schema as `.sql` files in `migrations/`, applied in order at open;
//! `wangge_schema_migrations` records which ran. A file, once released, never changes:
//! relays in the field have run it. New schema goes into a new file at the end.
//!
//! Several relay instances may start at once on one database: the whole migration is one
//! transaction holding a transaction-scoped advisory lock, so one instance migrates while
//! the others wait for it, then find nothing left to do.

use postgres::Client;

use super::{col, corrupt, db, now};
use crate::store::StoreError;

/// Schema migrations, applied in order; the `n`th brings the database to version `n`.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_blob_location.sql"),
    include_str!("migrations/0003_docs_by_update.sql"),
    include_str!("migrations/0004_admin_log.sql"),
    include_str!("migrations/0005_doc_grants.sql"),
    include_str!("migrations/0006_user_scopes_by_code.sql"),
];

/// The advisory lock key the migration holds (any constant the relay alone uses; the
/// bytes spell "wanggemi").
pub(super) const MIGRATION_LOCK: i64 = 0x7761_6e67_6765_6d69;

/// Runs the migrations the database has not run yet, all in one transaction with their
/// version rows. Refuses a database from a newer relay, changing nothing.
pub(super) fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(db)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(db)?;
    // `CREATE TABLE IF NOT EXISTS` would log a NOTICE at every start.
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .map_err(db)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS wangge_schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )
    .map_err(db)?;
    let row = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM wangge_schema_migrations",
            &[],
        )
        .map_err(db)?;
    let version: i32 = col(&row, 0)?;
    let done = usize::try_from(version).map_err(|_| corrupt("negative schema version"))?;
    if done > MIGRATIONS.len() {
        return Err(corrupt(format!(
            "database schema version {done} is newer than this relay ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.batch_execute(sql).map_err(db)?;
        let version = i32::try_from(i + 1).map_err(|_| corrupt("too many migrations"))?;
        tx.execute(
            "INSERT INTO wangge_schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[&version, &now()],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)
}

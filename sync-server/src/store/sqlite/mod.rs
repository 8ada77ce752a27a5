//! The SQLite backend: one file, zero set-up, one connection implementing every store
//! trait, so a group commit covers all of them.
//!
//! - `migrations`: the schema, `.sql` files in `migrations/` applied by `user_version`.
//! - `accounts`, `docs`, `blobs`: [`AccountStore`], [`DocStore`] and [`BlobStore`].
//! - `tx`: write transactions that take the write lock at once (or nest as savepoints).
//!
//! [`AccountStore`]: crate::store::AccountStore
//! [`DocStore`]: crate::store::DocStore
//! [`BlobStore`]: crate::store::BlobStore

mod accounts;
mod blobs;
mod docs;
mod migrations;
#[cfg(test)]
mod tests;
mod tx;

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// Every store trait in one SQLite database.
pub struct SqliteStore {
    conn: Connection,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::database(e)
}

use super::values::{corrupt, now, to_i64, to_u64};

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
        // See `tx::write_tx`: transactions take the write lock at BEGIN.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        migrations::migrate(&mut conn)?;
        Ok(Self { conn })
    }
}

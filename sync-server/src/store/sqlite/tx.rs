//! Write transactions that take SQLite's write lock at once, or nest as savepoints
//! inside a group commit.

use rusqlite::Connection;

use super::db;
use crate::store::StoreError;

/// A write transaction: `BEGIN IMMEDIATE` on its own, a savepoint inside a group commit.
///
/// Every write here reads, then writes. A deferred transaction that read before another
/// connection (the hub's, the HTTP side's, the admin CLI's) committed cannot upgrade to a
/// write under WAL and fails at once with `database is locked`, whatever the busy timeout.
/// Taking the write lock at BEGIN makes it wait for the busy timeout instead.
pub(super) enum WriteTx<'a> {
    Tx(rusqlite::Transaction<'a>),
    Sp(rusqlite::Savepoint<'a>),
}

pub(super) fn write_tx(conn: &mut Connection) -> Result<WriteTx<'_>, StoreError> {
    if conn.is_autocommit() {
        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map(WriteTx::Tx)
            .map_err(db)
    } else {
        conn.savepoint().map(WriteTx::Sp).map_err(db)
    }
}

impl WriteTx<'_> {
    pub(super) fn commit(self) -> rusqlite::Result<()> {
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

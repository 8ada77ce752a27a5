//! Write transactions: `BEGIN … COMMIT` on their own, a savepoint inside a group commit.
//!
//! PostgreSQL aborts a whole transaction at the first failed statement, so inside a
//! group every write, even a single statement, runs in a savepoint: a write that fails
//! (a unique violation, a missing record) is rolled back to it and leaves the group's
//! other writes alone, as SQLite's savepoints do there.

use postgres::Client;

use super::{PgStore, db};
use crate::store::StoreError;

impl PgStore {
    /// Runs `f` as one atomic write: committed (or released, inside a group) if it returns
    /// `Ok`, rolled back if it returns `Err` or a statement fails.
    pub(super) fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (begin, end, undo) = if self.in_batch {
            (
                "SAVEPOINT write",
                "RELEASE SAVEPOINT write",
                "ROLLBACK TO SAVEPOINT write; RELEASE SAVEPOINT write",
            )
        } else {
            ("BEGIN", "COMMIT", "ROLLBACK")
        };
        let mut conn = self.conn()?;
        conn.batch_execute(begin).map_err(db)?;
        match f(&mut conn) {
            Ok(v) => {
                if let Err(e) = conn.batch_execute(end) {
                    let _ = conn.batch_execute(undo);
                    return Err(db(e));
                }
                Ok(v)
            }
            Err(e) => {
                let _ = conn.batch_execute(undo);
                Err(e)
            }
        }
    }
}

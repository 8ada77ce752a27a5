//! The PostgreSQL backend: the same traits as SQLite on a server several relay instances
//! share (`postgres://…` / `postgresql://…` URLs).
//!
//! - `migrations`: the schema, `.sql` files in `migrations/`, applied at open in one
//!   transaction under an advisory lock, counted in `wangge_schema_migrations`.
//! - `accounts`, `docs`, `blobs`: [`AccountStore`], [`DocStore`] and [`BlobStore`].
//! - `tx`: write transactions, or savepoints inside a group commit.
//! - [`feed`]: the change feed between relay instances (`LISTEN`/`NOTIFY`).
//! - `error`: [`PgError`], a driver error without the values PostgreSQL quotes.
//!
//! # One connection per store, no pool
//!
//! A [`PgStore`] holds exactly one connection, as a `SqliteStore` holds one
//! `rusqlite::Connection`. A group commit (`begin_batch` … `commit_batch`) is one open
//! transaction whose reads must see its own writes, so every call of a group has to run on
//! the same connection; a pool would have to pin one connection per group anyway. Each
//! store is used by one thread at a time (the hub owns its store; the HTTP side keeps
//! its store behind a mutex), so a pool would add no concurrency either: the relay opens
//! one store per part, i.e. two connections per instance. The connection sits behind a
//! [`Mutex`] only because reads take `&self`; it is never contended. A connection that
//! broke (the server restarted) is replaced on the next call outside a group; inside a
//! group the group fails, as it must.
//!
//! The synchronous `postgres` client drives a small tokio runtime of its own: it must not
//! be called on an async worker thread (the relay calls stores from its hub thread and
//! from `spawn_blocking`). Opening and dropping are safe anywhere: inside a runtime they
//! run on a thread of their own.
//!
//! [`AccountStore`]: crate::store::AccountStore
//! [`DocStore`]: crate::store::DocStore
//! [`BlobStore`]: crate::store::BlobStore

mod accounts;
mod blobs;
mod docs;
mod error;
pub mod feed;
mod migrations;
#[cfg(test)]
mod tests;
mod tx;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use postgres::{Client, NoTls};

pub use error::PgError;

use super::StoreError;

/// Every store trait on one PostgreSQL connection.
pub struct PgStore {
    /// `None` only while dropping.
    client: Option<Mutex<Client>>,
    config: postgres::Config,
    /// A group commit is open (`begin_batch` ran, `commit_batch`/`abort_batch` not yet).
    in_batch: bool,
}

fn db(e: postgres::Error) -> StoreError {
    StoreError::database(PgError::from(e))
}

use super::values::{corrupt, now, to_i64, to_u64};

/// Column `i` of a row, as `T` (an error, never a panic, if the schema disagrees).
fn col<'a, T: postgres::types::FromSql<'a>>(
    row: &'a postgres::Row,
    i: usize,
) -> Result<T, StoreError> {
    row.try_get(i).map_err(db)
}

/// Runs `f` where the blocking client may run: here, or on a thread of its own when
/// called from inside a tokio runtime (whose threads must not block on another runtime).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, StoreError> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(f());
    }
    std::thread::scope(|s| s.spawn(f).join())
        .map_err(|_| StoreError::database("the PostgreSQL client thread panicked"))
}

impl PgStore {
    /// Connects to the database a `postgres://…` URL names (or a `key=value` connection
    /// string) and runs pending migrations.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut config: postgres::Config = url
            .parse()
            // The URL may hold a password: name the scheme, never echo it.
            .map_err(|e| StoreError::BadUrl(format!("postgres://… ({e})")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("wangge-relay");
        }
        off_runtime(move || {
            let mut client = config.connect(NoTls).map_err(db)?;
            migrations::migrate(&mut client)?;
            Ok(PgStore {
                client: Some(Mutex::new(client)),
                config,
                in_batch: false,
            })
        })?
    }

    /// The connection, reconnected first if it broke and no group is open.
    fn conn(&self) -> Result<MutexGuard<'_, Client>, StoreError> {
        let mut guard = self
            .client
            .as_ref()
            .ok_or_else(|| StoreError::database("store closed"))?
            .lock()
            .map_err(|_| StoreError::database("store lock poisoned"))?;
        if guard.is_closed() && !self.in_batch {
            *guard = self.config.connect(NoTls).map_err(db)?;
        }
        Ok(guard)
    }

    /// Runs raw SQL on the store's connection (tests that break a group on purpose or
    /// look at the schema).
    #[cfg(test)]
    pub(crate) fn execute_for_tests(&self, sql: &str) -> Result<(), StoreError> {
        self.conn()?.batch_execute(sql).map_err(db)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing the client blocks on its runtime, which a tokio worker must not do.
        if tokio::runtime::Handle::try_current().is_ok()
            && let Some(client) = self.client.take()
        {
            let _ = std::thread::Builder::new()
                .name("wangge-pg-close".into())
                .spawn(move || drop(client));
        }
    }
}

//! Storage behind traits of domain operations (not SQL), split by concern:
//!
//! - [`AccountStore`] (`accounts`): divisions, grids, users, enrollment codes, devices,
//!   revocation, the admin generation and the documents admin changes touched.
//! - [`DocStore`] (`docs`): document records and chunks, sync states, group commit.
//! - [`BlobStore`] (`blobs`): tus uploads and the content-addressed blobs they end in.
//! - [`RelayStore`]: all three at once, for where one store is handed around
//!   (`Box<dyn RelayStore>`); every type implementing the three implements it.
//! - [`StoreError`] (`error`): the one error type of every backend.
//! - [`objects`]: photo bytes in S3-compatible object storage, over either backend
//!   ([`open_with_photos`]).
//!
//! One module per backend with its own migrations ([`sqlite`], one file, the default;
//! [`postgres`], a server several relay instances share), picked from the
//! database URL by [`open`]. Every backend must pass the shared suites in [`testing`], one
//! per trait. Errors always propagate: a write that fails is reported, never acknowledged.

mod accounts;
mod blobs;
mod docs;
mod error;
pub mod migrate;
pub mod objects;
pub mod postgres;
pub mod sqlite;
pub mod testing;
mod values;

pub use accounts::{AccountStore, AdminLogEntry, DeviceAuth, NewDevice, User};
pub use blobs::{
    BlobStore, ChunkOutcome, FinishOutcome, NewUpload, StagedUpload, StoredBlob, UploadState,
    database_bytes,
};
pub use docs::{DocRecord, DocStore, covering_codes, downward_kinds};
pub use error::{BackendError, StoreError};

pub use self::postgres::feed::{Feed, FeedEvent};

/// Starts the change feed between relay instances sharing the database the URL names, if
/// its backend has one: PostgreSQL does ([`postgres::feed`]); a SQLite file serves one
/// relay, which needs none (`None`). `on` gets every event from the feed's own thread and
/// stops the feed by returning `false`.
pub fn change_feed(
    url: &str,
    on: impl FnMut(FeedEvent) -> bool + Send + 'static,
) -> Result<Option<Feed>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Some(self::postgres::feed::spawn(url, on)?));
    }
    Ok(None)
}

/// Everything the relay needs from storage, as one object.
pub trait RelayStore: AccountStore + DocStore + BlobStore {}

impl<T: AccountStore + DocStore + BlobStore + ?Sized> RelayStore for T {}

/// Opens the store a database URL names, as [`open`], keeping new photos' bytes in
/// `photos` if given (a blob whose bytes are in the database from before still reads).
pub fn open_with_photos(
    url: &str,
    photos: Option<&std::sync::Arc<objects::ObjectBlobs>>,
) -> Result<Box<dyn RelayStore>, StoreError> {
    let db = open(url)?;
    Ok(match photos {
        None => db,
        Some(objects) => Box::new(objects::ObjectBacked::new(db, objects.clone())),
    })
}

/// Opens the store a database URL names: `sqlite:PATH` (created if missing),
/// `sqlite::memory:`, or `postgres://…` / `postgresql://…` (the database must exist; the
/// schema is created or upgraded at open).
pub fn open(url: &str) -> Result<Box<dyn RelayStore>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(self::postgres::PgStore::open(url)?));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() {
            return Err(StoreError::BadUrl(url.to_owned()));
        }
        let store = if path == ":memory:" {
            sqlite::SqliteStore::open_in_memory()?
        } else {
            sqlite::SqliteStore::open(std::path::Path::new(path))?
        };
        return Ok(Box::new(store));
    }
    Err(StoreError::BadUrl(url.chars().take(64).collect()))
}

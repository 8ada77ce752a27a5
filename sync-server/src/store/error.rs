//! [`StoreError`]: why a store operation failed, the same for every backend.

/// The failure a backend reports, with its own error type hidden behind a box so the
/// traits stay backend-agnostic.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a store operation failed. Messages never contain personal data: backends report
/// what failed (a constraint, the disk), never the values involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (I/O, corruption, busy); the backend's error is the source.
    #[error("database error: {0}")]
    Database(#[source] BackendError),
    /// The database URL is not one this build can open.
    #[error("unsupported database URL {0:?} (use sqlite:PATH or postgres://…)")]
    BadUrl(String),
    /// A record that must exist does not.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A record that must be new already exists.
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// A stored value failed to parse (the database was edited by hand or is corrupt).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The object storage that keeps photo bytes failed (unreachable, refused, timed
    /// out) or is not configured for a photo kept there. Retryable: nothing was recorded.
    #[error("object storage error: {0}")]
    ObjectStore(#[source] BackendError),
}

impl StoreError {
    /// A database failure caused by `source` (a driver error, say).
    pub fn database(source: impl Into<BackendError>) -> Self {
        StoreError::Database(source.into())
    }

    /// An object storage failure caused by `source`.
    pub fn object_store(source: impl Into<BackendError>) -> Self {
        StoreError::ObjectStore(source.into())
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("disk I/O error")]
    struct DiskFull;

    #[test]
    fn a_database_error_keeps_its_source_and_names_it() {
        let e = StoreError::database(DiskFull);
        assert_eq!(e.to_string(), "database error: disk I/O error");
        let source = e.source().expect("has a source");
        assert!(source.downcast_ref::<DiskFull>().is_some());
    }

    #[test]
    fn a_database_error_may_be_a_plain_message() {
        let e = StoreError::database("store lock poisoned");
        assert_eq!(e.to_string(), "database error: store lock poisoned");
        assert!(e.source().is_some());
    }
}

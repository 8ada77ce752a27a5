//! The one error type of `wangge-core`, with stable codes the UI maps to Chinese text.

pub use wangge_schema::FieldError;

/// Everything that can go wrong in core.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Input refused before anything was written.
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    /// A record or document that is not in this store.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for (`household`, `resident`, `report`, …).
        what: &'static str,
    },
    /// The database key does not open this database.
    #[error("the database key does not match this database")]
    WrongKey,
    /// The key material itself is unusable (length, file permissions, file content).
    #[error("bad key: {0}")]
    BadKey(String),
    /// The database was written by a newer app version.
    #[error("database schema version {found} is newer than this app supports ({supported})")]
    SchemaTooNew {
        /// Version found in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// A document or change failed to decode or apply.
    #[error("document error: {0}")]
    Document(String),
    /// Stored data that does not follow the schema.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// A photo was refused by the evidence pipeline (bomb, truncated, unsupported …).
    #[error("photo refused: {0}")]
    Media(#[from] wangge_media::MediaError),
    /// SQLite failed.
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    /// Filesystem failure.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl CoreError {
    /// The stable code the UI keys its Chinese text on.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Invalid(e) => e.code,
            CoreError::NotFound { .. } => "not_found",
            CoreError::WrongKey => "wrong_key",
            CoreError::BadKey(_) => "bad_key",
            CoreError::SchemaTooNew { .. } => "schema_too_new",
            CoreError::Document(_) => "document_error",
            CoreError::Corrupt(_) => "corrupt_record",
            CoreError::Media(e) => e.code(),
            CoreError::Storage(_) => "storage_error",
            CoreError::Io(_) => "io_error",
        }
    }

    pub(crate) fn doc(e: impl std::fmt::Display) -> Self {
        CoreError::Document(e.to_string())
    }
}

impl From<wangge_schema::regrid::EditError> for CoreError {
    fn from(e: wangge_schema::regrid::EditError) -> Self {
        CoreError::Document(e.to_string())
    }
}

impl From<automerge::AutomergeError> for CoreError {
    fn from(e: automerge::AutomergeError) -> Self {
        CoreError::Document(e.to_string())
    }
}

/// Result with [`CoreError`].
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

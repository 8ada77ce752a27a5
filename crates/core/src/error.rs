//! The one error type of `wangge-core`, with stable codes the UI maps to Chinese text.

pub use wangge_schema::{ErrorCode, FieldError};

/// Everything that can go wrong in core.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Input refused before anything was written: every field problem at once.
    #[error("invalid input: {}", list(.0))]
    Invalid(Vec<FieldError>),
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
    /// A step of an event's chain of command that may not be taken (nothing was
    /// written): the refusal's stable code and its Chinese message.
    #[error("step refused: {0}")]
    Refused(wangge_events::Refusal),
    /// Enrolling at the relay failed: the address, the network, the code or the relay.
    #[error("enrollment failed: {0}")]
    Enroll(#[from] crate::sync::EnrollError),
}

impl CoreError {
    /// The stable code the UI keys its Chinese text on.
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::Invalid(_) => ErrorCode::Invalid,
            CoreError::NotFound { .. } => ErrorCode::NotFound,
            CoreError::WrongKey => ErrorCode::WrongKey,
            CoreError::BadKey(_) => ErrorCode::BadKey,
            CoreError::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            CoreError::Document(_) => ErrorCode::DocumentError,
            CoreError::Corrupt(_) => ErrorCode::CorruptRecord,
            CoreError::Media(e) => media_code(e),
            CoreError::Storage(_) => ErrorCode::StorageError,
            CoreError::Io(_) => ErrorCode::IoError,
            // The schema has no code per refusal: the refusal's own code is in
            // `refusal()` and in the message.
            CoreError::Refused(_) => ErrorCode::InvalidStatus,
            // Which side is wrong: the address, the network, the code or the relay.
            CoreError::Enroll(e) => e.code(),
        }
    }

    /// Every field problem of an [`CoreError::Invalid`]; none for other errors.
    pub fn problems(&self) -> &[FieldError] {
        match self {
            CoreError::Invalid(p) => p,
            _ => &[],
        }
    }

    /// The refusal of a [`CoreError::Refused`].
    pub fn refusal(&self) -> Option<wangge_events::Refusal> {
        match self {
            CoreError::Refused(r) => Some(*r),
            _ => None,
        }
    }

    /// `Ok(())` when `problems` is empty, else all of them as one error.
    pub fn check(problems: Vec<FieldError>) -> Result<()> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(problems))
        }
    }

    pub(crate) fn doc(e: impl std::fmt::Display) -> Self {
        CoreError::Document(e.to_string())
    }
}

impl From<FieldError> for CoreError {
    fn from(e: FieldError) -> Self {
        CoreError::Invalid(vec![e])
    }
}

/// `field: code` of each problem, for developers (no refused value is in a field error).
fn list(problems: &[FieldError]) -> String {
    let parts: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.code))
        .collect();
    parts.join(", ")
}

/// The photo pipeline's code as an [`ErrorCode`] (the pipeline's codes are plain strings:
/// it depends on no Wangge crate).
fn media_code(e: &wangge_media::MediaError) -> ErrorCode {
    ErrorCode::of(e.code())
}

impl From<wangge_schema::regrid::EditError> for CoreError {
    fn from(e: wangge_schema::regrid::EditError) -> Self {
        CoreError::Document(e.to_string())
    }
}

impl From<wangge_schema::steps::StepsError> for CoreError {
    fn from(e: wangge_schema::steps::StepsError) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_media::MediaError;

    #[test]
    fn every_photo_pipeline_code_is_an_error_code() {
        let all = [
            MediaError::EmptyFile,
            MediaError::FileTooLarge { size: 2, limit: 1 },
            MediaError::UnsupportedFormat { format: "HEIC" },
            MediaError::NotAnImage,
            MediaError::ImageTooLarge {
                width: 1,
                height: 1,
            },
            MediaError::TruncatedImage,
            MediaError::CorruptImage { detail: "x".into() },
            MediaError::ReadFailed {
                kind: std::io::ErrorKind::NotFound,
            },
            MediaError::InvalidSettings("x"),
            MediaError::EncodeFailed { detail: "x".into() },
        ];
        for e in all {
            let code = CoreError::Media(e).code();
            assert_ne!(code, ErrorCode::Unknown, "{code}");
        }
    }

    #[test]
    fn an_invalid_input_carries_every_problem_and_names_them() {
        let e = CoreError::check(vec![
            FieldError::required("name"),
            FieldError::new("phone", ErrorCode::InvalidPhone, "bad"),
        ])
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Invalid);
        assert_eq!(e.problems().len(), 2);
        assert_eq!(
            e.to_string(),
            "invalid input: name: required_field, phone: invalid_phone"
        );
        assert!(CoreError::check(vec![]).is_ok());
    }
}

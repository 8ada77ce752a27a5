//! [`LedgerError`]: why a file was refused as a whole, with a stable code.

use wangge_core::ErrorCode;

/// A file refused before any row is checked: nothing is read into a plan, nothing written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LedgerError {
    /// The stable code the UI shows Chinese text for.
    pub code: ErrorCode,
    /// What was wrong, for a developer or the command line (no personal data).
    pub message: String,
}

impl LedgerError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Results of this crate.
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;

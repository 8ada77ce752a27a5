//! [`FieldError`]: a validation failure of one field, with a stable code.
//!
//! Both sides validate with the same functions ([`crate::scope`], [`crate::access`]), so a
//! code the relay refuses is the code the device refuses, with the same error.

use serde::Serialize;

/// A field-level validation failure: which field, a stable code, and a developer message.
///
/// The UI shows Chinese text keyed by `code`; `message` is English for logs and tests and
/// never contains the value that was refused (it may be personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {code}: {message}")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    /// The form field, in the record's own field names (`id_number`, `phone`, …).
    pub field: &'static str,
    /// Stable machine code (`invalid_id_number`, `temperature_out_of_range`, …).
    pub code: &'static str,
    /// What was wrong, without the refused value.
    pub message: String,
}

impl FieldError {
    /// A failure of `field` with `code`.
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }

    /// `field` is required and was empty.
    pub fn required(field: &'static str) -> Self {
        Self::new(field, "required_field", "is required")
    }
}

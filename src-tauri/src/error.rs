//! The one error type the UI sees: `{code, message}`, plus `fields` for validation.

use serde::Serialize;
use wangge_core::{CoreError, FieldError};

/// An error as the UI receives it. `code` is stable (the UI shows Chinese text keyed by
/// it); `message` is English for developers and never holds personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AppError {
    /// Stable machine code: `invalid` for validation, else core's or the app's own code.
    pub code: String,
    /// What went wrong, for developers.
    pub message: String,
    /// Every field problem, when `code` is `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fields: Option<Vec<FieldError>>,
}

/// Result of a command.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with a code and a developer message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            fields: None,
        }
    }

    /// A validation failure listing every field problem.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let message = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.code))
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            code: "invalid".to_owned(),
            message: format!("invalid input: {message}"),
            fields: Some(fields),
        }
    }

    /// `Ok(())` when there are no problems, else every problem as one error.
    pub fn check(problems: Vec<FieldError>) -> AppResult<()> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Self::invalid(problems))
        }
    }

    /// A required field left empty.
    pub fn required(field: &'static str) -> Self {
        Self::invalid(vec![FieldError {
            field,
            code: "required_field",
            message: "is required".into(),
        }])
    }
}

impl From<CoreError> for AppError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid(f) => Self::invalid(vec![f]),
            e => Self::new(e.code(), e.to_string()),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_core_validation_error_is_invalid_with_its_field() {
        let e: AppError = CoreError::from(FieldError {
            field: "id_number",
            code: "invalid_id_number",
            message: "bad check digit".into(),
        })
        .into();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "invalid");
        assert_eq!(json["fields"][0]["field"], "id_number");
        assert_eq!(json["fields"][0]["code"], "invalid_id_number");
    }

    #[test]
    fn other_core_errors_keep_their_code_and_have_no_fields() {
        let e: AppError = CoreError::NotFound { what: "household" }.into();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "not_found");
        assert!(json.get("fields").is_none());
        assert_eq!(json["message"], "household not found");
    }
}

//! The one error type the UI sees: `{code, message}`, plus `fields` for validation.

use serde::Serialize;
use wangge_core::wangge_events::Refusal;
use wangge_core::{CoreError, ErrorCode, FieldError};

/// An error as the UI receives it. `code` is stable (the UI shows Chinese text keyed by
/// it); `message` is English for developers and never holds personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AppError {
    /// Stable machine code: `invalid` for validation, else core's or the app's own code.
    pub code: ErrorCode,
    /// What went wrong, for developers.
    pub message: String,
    /// Every field problem, when `code` is `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fields: Option<Vec<FieldError>>,
    /// Why a step of an event's chain was refused, when `code` is `invalid_status` for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub refusal: Option<Refusal>,
}

/// Result of a command.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with a code and a developer message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: None,
            refusal: None,
        }
    }
}

impl From<wangge_ledger::LedgerError> for AppError {
    fn from(e: wangge_ledger::LedgerError) -> Self {
        Self::new(e.code, e.message)
    }
}

impl From<CoreError> for AppError {
    fn from(e: CoreError) -> Self {
        let message = e.to_string();
        match e {
            CoreError::Invalid(fields) => Self {
                code: ErrorCode::Invalid,
                message,
                fields: Some(fields),
                refusal: None,
            },
            e => Self {
                refusal: e.refusal(),
                ..Self::new(e.code(), message)
            },
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
    fn a_core_validation_error_is_invalid_with_every_field() {
        let e: AppError = CoreError::Invalid(vec![
            FieldError::new("id_number", ErrorCode::IdNumberBadCheck, "bad check digit"),
            FieldError::required("name"),
        ])
        .into();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "invalid");
        assert_eq!(json["fields"][0]["field"], "id_number");
        assert_eq!(json["fields"][0]["code"], "id_number_bad_check");
        assert_eq!(json["fields"][1]["code"], "required_field");
    }

    #[test]
    fn other_core_errors_keep_their_code_and_have_no_fields() {
        let e: AppError = CoreError::NotFound { what: "household" }.into();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "not_found");
        assert!(json.get("fields").is_none());
        assert!(json.get("refusal").is_none());
        assert_eq!(json["message"], "household not found");
    }

    #[test]
    fn a_refused_step_carries_its_refusal_code() {
        let e: AppError = CoreError::Refused(Refusal::NotAssignee).into();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "invalid_status");
        assert_eq!(json["refusal"], "not_assignee");
    }
}

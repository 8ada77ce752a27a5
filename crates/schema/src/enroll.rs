//! `POST /v1/enroll`: the request a device sends and the answer it gets, and the JSON error
//! body of every relay HTTP answer.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::Role;
use crate::scope::ScopeCode;

/// Path of the enrollment endpoint.
pub const ENROLL_PATH: &str = "/v1/enroll";
/// Longest device label kept (characters).
pub const MAX_DEVICE_LABEL_CHARS: usize = 64;

/// `POST /v1/enroll` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The one-time code, as typed (case and dashes do not matter).
    pub code: String,
    /// Optional device label such as the phone model (not personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_label: Option<String>,
}

impl EnrollRequest {
    /// The label as the relay keeps it: control characters dropped, at most
    /// [`MAX_DEVICE_LABEL_CHARS`].
    pub fn clean_label(&self) -> String {
        self.device_label
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_DEVICE_LABEL_CHARS)
            .collect()
    }
}

/// `POST /v1/enroll` success body: what a newly enrolled device keeps.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The new device's id.
    pub device_id: Uuid,
    /// The user the device acts for.
    pub user_id: Uuid,
    /// The peer id the device must send in `join`.
    pub peer_id: String,
    /// The relay's peer id (`targetId` of every message to it).
    pub relay_peer_id: String,
    /// The device token: keep it in the OS keystore; it is shown only once. Never logged.
    pub token: String,
    /// The user's role.
    pub role: Role,
    /// The user's grid or division codes.
    pub scopes: Vec<ScopeCode>,
}

impl fmt::Debug for EnrollResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollResponse")
            .field("device_id", &self.device_id)
            .field("peer_id", &self.peer_id)
            .field("role", &self.role)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// The JSON error body of every relay HTTP answer: a stable `code` and an English
/// `message` (never personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable, machine-readable code (`enrollment_code_invalid`, `token_invalid`, …).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// The error codes of the relay's HTTP answers the device acts on.
pub mod codes {
    /// The enrollment code is unknown, used or expired.
    pub const ENROLLMENT_CODE_INVALID: &str = "enrollment_code_invalid";
    /// The body is not what the endpoint takes.
    pub const BAD_REQUEST: &str = "bad_request";
    /// No device token was sent.
    pub const TOKEN_MISSING: &str = "token_missing";
    /// The device token is unknown or revoked.
    pub const TOKEN_INVALID: &str = "token_invalid";
    /// The relay's storage failed; try again later.
    pub const STORAGE_UNAVAILABLE: &str = "storage_unavailable";
    /// Too many connections or attempts from this address.
    pub const TOO_MANY_CONNECTIONS: &str = "too_many_connections";
    /// Too many enrollment attempts from this address; the answer's `Retry-After` says
    /// when to try again.
    pub const RATE_LIMITED: &str = "rate_limited";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_keeps_its_token_out_of_debug_and_round_trips() {
        let a = EnrollResponse {
            device_id: Uuid::new_v4(),
            user_id: Uuid::new_v4(),
            peer_id: "device-1".into(),
            relay_peer_id: "wangge-relay".into(),
            token: "wgt_secret".into(),
            role: Role::ChiefLeader,
            scopes: vec![ScopeCode::parse("110105001001").unwrap()],
        };
        assert!(!format!("{a:?}").contains("wgt_secret"));
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains("\"role\":\"chief-leader\""), "{json}");
        let back: EnrollResponse = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn requests_refuse_unknown_fields_and_labels_are_cleaned() {
        assert!(serde_json::from_str::<EnrollRequest>(r#"{"code":"x","extra":1}"#).is_err());
        let r: EnrollRequest = serde_json::from_str(&format!(
            r#"{{"code":"x","device_label":"a\u0007{}"}}"#,
            "b".repeat(100)
        ))
        .unwrap();
        assert_eq!(r.clean_label(), format!("a{}", "b".repeat(63)));
    }
}

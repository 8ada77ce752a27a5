//! Plain HTTP endpoints: `GET /healthz` and `POST /v1/enroll`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracing::{info, instrument, warn};
use uuid::Uuid;

use super::state::AppState;
use crate::auth::{device_peer_id, hash_secret, new_token, normalize_enrollment_code};
use crate::scope::Role;
use crate::store::{NewDevice, StoreError};

/// The JSON error body of every HTTP error: a stable `code` and an English `message`.
#[derive(Debug, Serialize)]
pub struct ApiError {
    /// Stable, machine-readable code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

pub(crate) fn error(status: StatusCode, code: &'static str, message: &str) -> Response {
    (
        status,
        Json(ApiError {
            code,
            message: message.to_owned(),
        }),
    )
        .into_response()
}

pub(crate) fn storage_error(e: &StoreError) -> Response {
    warn!(cause = %e, "storage failure");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
        "relay storage failure; try again later",
    )
}

/// `POST /v1/enroll` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The one-time code, as typed (case and dashes do not matter).
    pub code: String,
    /// Optional device label such as the phone model (not personal data).
    #[serde(default)]
    pub device_label: Option<String>,
}

/// `POST /v1/enroll` success body.
#[derive(Debug, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The new device's id.
    pub device_id: Uuid,
    /// The user the device acts for.
    pub user_id: Uuid,
    /// The peer id the device must send in `join`.
    pub peer_id: String,
    /// The relay's peer id (`targetId` of every message to it).
    pub relay_peer_id: String,
    /// The device token: keep it in the OS keystore; it is shown only once.
    pub token: String,
    /// The user's role.
    pub role: Role,
    /// The user's grid or division codes.
    pub scopes: Vec<String>,
}

/// `GET /healthz`: 200 when the store answers.
#[instrument(skip_all)]
pub(crate) async fn healthz(State(app): State<AppState>) -> Response {
    let store = app.store.clone();
    let ok = tokio::task::spawn_blocking(move || {
        store
            .lock()
            .map(|s| s.admin_generation().is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    if ok {
        (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response()
    } else {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "store is not answering",
        )
    }
}

/// `POST /v1/enroll`: trades a one-time code for a device token.
#[instrument(skip_all)]
pub(crate) async fn enroll(State(app): State<AppState>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<EnrollRequest>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "body must be JSON {\"code\": \"…\", \"device_label\": \"…\"}",
        );
    };
    let Some(code) = normalize_enrollment_code(&req.code) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "enrollment_code_invalid",
            "enrollment code is unknown, used or expired",
        );
    };
    let label: String = req
        .device_label
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let token = new_token();
    let device = NewDevice {
        device_id: Uuid::new_v4(),
        token_hash: hash_secret(token.expose()),
        label,
    };
    let store = app.store.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let device_for_store = device.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut s = store
            .lock()
            .map_err(|_| StoreError::Database("store lock poisoned".into()))?;
        s.redeem_enrollment_code(&hash_secret(&code), now, &device_for_store)
    })
    .await;
    let user = match result {
        Ok(Ok(Some(user))) => user,
        Ok(Ok(None)) => {
            info!("enrollment refused");
            return error(
                StatusCode::UNAUTHORIZED,
                "enrollment_code_invalid",
                "enrollment code is unknown, used or expired",
            );
        }
        Ok(Err(e)) => return storage_error(&e),
        Err(_) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "enrollment failed",
            );
        }
    };
    info!(device = %device.device_id, user = %user.id, role = user.principal.role.as_str(), "device enrolled");
    Json(EnrollResponse {
        device_id: device.device_id,
        user_id: user.id,
        peer_id: device_peer_id(device.device_id).to_string(),
        relay_peer_id: app.config.peer_id.clone(),
        token: token.expose().to_owned(),
        role: user.principal.role,
        scopes: user
            .principal
            .scopes
            .iter()
            .map(|s| s.to_string())
            .collect(),
    })
    .into_response()
}

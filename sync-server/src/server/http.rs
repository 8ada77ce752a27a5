//! Plain HTTP endpoints: `GET /healthz` and `POST /v1/enroll`.

use axum::Json;
use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tracing::{info, instrument, warn};
use uuid::Uuid;

use super::state::AppState;
use crate::auth::{device_peer_id, hash_secret, new_token, normalize_enrollment_code};
use crate::store::{NewDevice, StoreError};
use wangge_schema::enroll::codes;
use wangge_schema::{ApiError, EnrollRequest, EnrollResponse};

pub(crate) fn error(status: StatusCode, code: &'static str, message: &str) -> Response {
    (
        status,
        Json(ApiError {
            code: code.to_owned(),
            message: message.to_owned(),
        }),
    )
        .into_response()
}

/// Seconds a client is asked to wait after a storage failure (`Retry-After`).
pub(crate) const STORAGE_RETRY_AFTER_SECONDS: u32 = 10;

/// `503` with `Retry-After`: the failure is the relay's storage, the request may be
/// repeated as is.
pub(crate) fn storage_error(e: &StoreError) -> Response {
    warn!(cause = %e, "storage failure");
    let mut resp = error(
        StatusCode::SERVICE_UNAVAILABLE,
        codes::STORAGE_UNAVAILABLE,
        "relay storage failure; try again later",
    );
    resp.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(STORAGE_RETRY_AFTER_SECONDS),
    );
    resp
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
            codes::STORAGE_UNAVAILABLE,
            "store is not answering",
        )
    }
}

/// `429` with `Retry-After` (whole seconds, at least 1): too many enrollment attempts
/// from this address.
fn rate_limited(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut resp = error(
        StatusCode::TOO_MANY_REQUESTS,
        codes::RATE_LIMITED,
        "too many enrollment attempts from this address; try again later",
    );
    resp.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(seconds.max(1)),
    );
    resp
}

/// `POST /v1/enroll`: trades a one-time code for a device token, within the per-address
/// attempt limit (`limits.enroll_attempts`).
#[instrument(skip_all)]
pub(crate) async fn enroll(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let client = super::rate::client_ip(peer, &headers, &app.config.trusted_proxies);
    if let Err(wait) = app.enroll_limiter.check(client) {
        // The address is personal data: not logged.
        info!("enrollment attempt over the per-address limit");
        app.metrics.enrolled("rate_limited");
        return rate_limited(wait);
    }
    let Ok(req) = serde_json::from_slice::<EnrollRequest>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            codes::BAD_REQUEST,
            "body must be JSON {\"code\": \"…\", \"device_label\": \"…\"}",
        );
    };
    let Some(code) = normalize_enrollment_code(&req.code) else {
        return error(
            StatusCode::UNAUTHORIZED,
            codes::ENROLLMENT_CODE_INVALID,
            "enrollment code is unknown, used or expired",
        );
    };
    let label = req.clean_label();
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
            .map_err(|_| StoreError::database("store lock poisoned"))?;
        s.redeem_enrollment_code(&hash_secret(&code), now, &device_for_store)
    })
    .await;
    let user = match result {
        Ok(Ok(Some(user))) => user,
        Ok(Ok(None)) => {
            info!("enrollment refused");
            app.metrics.enrolled("refused");
            return error(
                StatusCode::UNAUTHORIZED,
                codes::ENROLLMENT_CODE_INVALID,
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
    app.metrics.enrolled("enrolled");
    Json(EnrollResponse {
        device_id: device.device_id,
        user_id: user.id,
        peer_id: device_peer_id(device.device_id).to_string(),
        relay_peer_id: app.config.peer_id.clone(),
        token: token.expose().to_owned(),
        role: user.principal.role,
        scopes: user.principal.scopes,
    })
    .into_response()
}

/// `GET /metrics`: the Prometheus text format ([`crate::metrics`]).
pub(crate) async fn metrics(State(app): State<AppState>) -> Response {
    metrics_response(&app.metrics)
}

/// The metrics as a response.
pub(crate) fn metrics_response(metrics: &crate::metrics::Metrics) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

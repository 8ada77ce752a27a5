//! [`AuthDevice`]: the device behind `Authorization: Bearer`, as an axum extractor for
//! the photo routes (`/v1/files`, `/v1/blobs`), so no handler repeats the check.
//!
//! The token is looked up by hash in the store off the async threads. A request without
//! a well-formed token, or with one that is unknown or revoked, is answered `401` with
//! the JSON error body and `Tus-Resumable`, as every answer on these routes carries it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::http::storage_error;
use super::state::AppState;
use super::tus::{not_found, tus_error, with_headers};
use crate::auth::{hash_secret, token_from_request};
use crate::store::{DeviceAuth, StoreError};

/// An authenticated, unrevoked device and its user.
#[derive(Debug, Clone)]
pub(crate) struct AuthDevice(pub DeviceAuth);

/// Why a request has no [`AuthDevice`].
#[derive(Debug)]
pub(crate) enum AuthRejection {
    /// No `Authorization: Bearer` with something shaped like a token.
    TokenMissing,
    /// The token is unknown or its device revoked.
    TokenInvalid,
    /// The store failed.
    Store(StoreError),
    /// The blocking task did not finish (it panicked).
    Internal,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::TokenMissing => tus_error(
                StatusCode::UNAUTHORIZED,
                "token_missing",
                "send the device token as Authorization: Bearer",
            ),
            AuthRejection::TokenInvalid => tus_error(
                StatusCode::UNAUTHORIZED,
                "token_invalid",
                "device token is unknown or revoked",
            ),
            AuthRejection::Store(StoreError::NotFound(_)) => not_found(),
            AuthRejection::Store(e) => with_headers(storage_error(&e), &[]),
            AuthRejection::Internal => tus_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "upload failed",
            ),
        }
    }
}

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        let token =
            token_from_request(authorization, None, None).ok_or(AuthRejection::TokenMissing)?;
        let hash = hash_secret(&token);
        let store = app.store.clone();
        let found = tokio::task::spawn_blocking(move || {
            let s = store
                .lock()
                .map_err(|_| StoreError::database("store lock poisoned"))?;
            s.authenticate(&hash)
        })
        .await
        .map_err(|_| AuthRejection::Internal)?
        .map_err(AuthRejection::Store)?;
        found.map(AuthDevice).ok_or(AuthRejection::TokenInvalid)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::AtomicU64;
    use std::sync::{Arc, Mutex};

    use axum::body::to_bytes;
    use axum::http::Request;
    use uuid::Uuid;
    use wangge_schema::{Role, ScopeCode};

    use super::*;
    use crate::auth::new_token;
    use crate::config::Config;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{AccountStore, NewDevice};

    /// App state over a fresh database file with one enrolled device; its token and id.
    fn app_with_device(dir: &tempfile::TempDir) -> (AppState, String, Uuid) {
        let mut store = SqliteStore::open(&dir.path().join("relay.db")).unwrap();
        let grid = ScopeCode::parse("110105001001001").unwrap();
        store
            .add_division(&ScopeCode::parse("110105001001").unwrap(), "c")
            .unwrap();
        store.add_grid(&grid, "g").unwrap();
        let user = store.add_user("m", Role::Member, &[grid]).unwrap();
        store.add_enrollment_code(user, "code", i64::MAX).unwrap();
        let token = new_token().expose().to_owned();
        let device = NewDevice {
            device_id: Uuid::new_v4(),
            token_hash: hash_secret(&token),
            label: "phone".into(),
        };
        store.redeem_enrollment_code("code", 0, &device).unwrap();
        let app = AppState {
            store: Arc::new(Mutex::new(Box::new(store))),
            photos: None,
            hub: tokio::sync::mpsc::channel(1).0,
            config: Arc::new(Config::default()),
            next_conn: Arc::new(AtomicU64::new(1)),
            per_ip: Arc::new(Mutex::new(HashMap::new())),
            enroll_limiter: Arc::new(crate::server::rate::EnrollLimiter::new(
                10,
                std::time::Duration::from_secs(60),
            )),
            metrics: crate::metrics::Metrics::new(),
        };
        (app, token, device.device_id)
    }

    async fn extract(
        app: &AppState,
        authorization: Option<&str>,
    ) -> Result<AuthDevice, AuthRejection> {
        let mut req = Request::builder().uri("/v1/files");
        if let Some(value) = authorization {
            req = req.header(header::AUTHORIZATION, value);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        AuthDevice::from_request_parts(&mut parts, app).await
    }

    async fn answer(rejection: AuthRejection) -> (StatusCode, Option<String>, serde_json::Value) {
        let resp = rejection.into_response();
        let status = resp.status();
        let tus = resp
            .headers()
            .get("tus-resumable")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        (status, tus, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn a_device_token_gives_its_device() {
        let dir = tempfile::tempdir().unwrap();
        let (app, token, device) = app_with_device(&dir);
        let AuthDevice(auth) = extract(&app, Some(&format!("Bearer {token}")))
            .await
            .unwrap();
        assert_eq!(auth.device_id, device);
        assert_eq!(auth.user.principal.role, Role::Member);
    }

    #[tokio::test]
    async fn a_request_without_a_token_is_refused_as_missing() {
        let dir = tempfile::tempdir().unwrap();
        let (app, token, _) = app_with_device(&dir);
        for authorization in [
            None,
            Some("Basic abc"),
            Some("Bearer not-a-token"),
            Some(token.as_str()),
        ] {
            let rejection = extract(&app, authorization).await.unwrap_err();
            assert!(
                matches!(rejection, AuthRejection::TokenMissing),
                "{authorization:?}"
            );
            let (status, tus, body) = answer(rejection).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(tus.as_deref(), Some("1.0.0"));
            assert_eq!(body["code"], "token_missing");
        }
    }

    #[tokio::test]
    async fn an_unknown_or_revoked_token_is_refused_as_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let (app, token, device) = app_with_device(&dir);
        let stranger = new_token();
        let rejection = extract(&app, Some(&format!("Bearer {}", stranger.expose())))
            .await
            .unwrap_err();
        assert!(matches!(rejection, AuthRejection::TokenInvalid));
        app.store.lock().unwrap().revoke_device(device).unwrap();
        let rejection = extract(&app, Some(&format!("Bearer {token}")))
            .await
            .unwrap_err();
        assert!(matches!(rejection, AuthRejection::TokenInvalid));
        let (status, tus, body) = answer(rejection).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(tus.as_deref(), Some("1.0.0"));
        assert_eq!(body["code"], "token_invalid");
        assert_eq!(body["message"], "device token is unknown or revoked");
    }

    #[tokio::test]
    async fn a_store_failure_is_a_storage_error_not_a_refusal() {
        let (status, tus, body) =
            answer(AuthRejection::Store(StoreError::database("disk I/O error"))).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(tus.as_deref(), Some("1.0.0"));
        assert_eq!(body["code"], "storage_unavailable");
    }
}

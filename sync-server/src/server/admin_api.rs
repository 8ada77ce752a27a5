//! The admin API: `POST /v1/admin` runs one admin action (the body is an
//! [`AdminOp`](crate::admin::AdminOp), `{"op": "add_grid", "code": …, "name": …}`) and
//! `GET /v1/admin/log?limit=N` lists what was done inside the caller's division, newest
//! first. The caller is the device behind `Authorization: Bearer`; only a chief leader or
//! a centre may call either, and only inside what it governs
//! ([`govern`](crate::admin::AdminActor)). Every action goes through the same
//! [`perform`](crate::admin::perform) as the command line, which logs it with who did it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracing::{info, warn};

use super::auth_device::AuthDevice;
use super::http::{error, storage_error};
use super::state::AppState;
use crate::admin::{self, AdminActor, AdminError, AdminOp};
use crate::store::{RelayStore, StoreError};
use wangge_schema::enroll::codes;

/// Most log entries one request returns.
const MAX_LOG_ENTRIES: usize = 500;

fn actor(auth: &AuthDevice) -> AdminActor {
    AdminActor::Device {
        user: auth.0.user.id,
        device: auth.0.device_id,
        principal: auth.0.user.principal.clone(),
    }
}

fn refusal(e: &AdminError) -> Response {
    match e {
        AdminError::Refused(r) => error(StatusCode::FORBIDDEN, "admin_forbidden", &r.to_string()),
        AdminError::Invalid(f) => error(StatusCode::BAD_REQUEST, f.code.code(), &f.to_string()),
        AdminError::BadDocumentId(_) => {
            error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, &e.to_string())
        }
        AdminError::Missing(_) | AdminError::Store(StoreError::NotFound(_)) => {
            error(StatusCode::NOT_FOUND, "not_found", &e.to_string())
        }
        AdminError::Store(StoreError::AlreadyExists(_)) => {
            error(StatusCode::CONFLICT, "already_exists", &e.to_string())
        }
        AdminError::NotAHousehold(_) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_household",
            &e.to_string(),
        ),
        AdminError::Store(s) => storage_error(s),
        AdminError::BadDocument => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "a stored document is unreadable",
        ),
    }
}

/// Runs `f` on the store off the async threads.
async fn with_store<T: Send + 'static>(
    app: &AppState,
    f: impl FnOnce(&mut dyn RelayStore) -> Result<T, AdminError> + Send + 'static,
) -> Result<T, Response> {
    let store = app.store.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut s = store
            .lock()
            .map_err(|_| AdminError::Store(StoreError::database("store lock poisoned")))?;
        f(s.as_mut())
    })
    .await;
    match done {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(refusal(&e)),
        Err(_) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "admin action failed",
        )),
    }
}

/// `POST /v1/admin`.
pub(crate) async fn act(State(app): State<AppState>, auth: AuthDevice, body: Bytes) -> Response {
    let op: AdminOp = match serde_json::from_slice(&body) {
        Ok(op) => op,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                codes::BAD_REQUEST,
                &format!("body must be one admin action {{\"op\": …}}: {e}"),
            );
        }
    };
    let actor = actor(&auth);
    // Refuse a caller that administers nothing before touching the store.
    if let Err(r) = actor.governed() {
        return refusal(&AdminError::Refused(r));
    }
    let action = op.code();
    match with_store(&app, move |s| admin::perform(s, &actor, op)).await {
        Ok(outcome) => {
            info!(action, user = %auth.0.user.id, device = %auth.0.device_id, "admin action");
            Json(outcome).into_response()
        }
        Err(resp) => {
            warn!(action, user = %auth.0.user.id, status = resp.status().as_u16(), "admin action refused");
            resp
        }
    }
}

/// `?limit=` of `GET /v1/admin/log`.
#[derive(Debug, Deserialize)]
pub(crate) struct LogQuery {
    limit: Option<usize>,
}

/// `GET /v1/admin/log`.
pub(crate) async fn log(
    State(app): State<AppState>,
    auth: AuthDevice,
    Query(q): Query<LogQuery>,
) -> Response {
    let actor = actor(&auth);
    let governed = match actor.governed() {
        Ok(Some(g)) => g.clone(),
        // A device always has a role; only the command line governs everything.
        Ok(None) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "no governed division",
            );
        }
        Err(r) => return refusal(&AdminError::Refused(r)),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_LOG_ENTRIES);
    match with_store(&app, move |s| Ok(s.admin_log(&governed, limit)?)).await {
        Ok(entries) => Json(entries).into_response(),
        Err(resp) => resp,
    }
}

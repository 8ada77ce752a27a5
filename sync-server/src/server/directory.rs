//! `GET /v1/directory`: the names of the units a device's user works with: the divisions,
//! departments and grids under its scopes, so a centre picks a department to dispatch to
//! by name and screens name grids. Codes and unit names only (no personal data).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tracing::instrument;

use super::auth_device::AuthDevice;
use super::state::AppState;
use super::tus::with_store;

/// Most units one answer carries (a district has a few thousand grids).
pub const MAX_UNITS: usize = 20_000;

/// One unit as devices receive it.
#[derive(Debug, Serialize)]
pub struct Unit {
    /// Its code (division, department or grid).
    pub code: String,
    /// Its name.
    pub name: String,
}

/// The directory answer.
#[derive(Debug, Serialize)]
pub struct Directory {
    /// In code order.
    pub units: Vec<Unit>,
}

/// `GET /v1/directory` (device token).
#[instrument(skip_all)]
pub(crate) async fn directory(
    State(app): State<AppState>,
    AuthDevice(auth): AuthDevice,
) -> Response {
    let scopes = auth.user.principal.scopes.clone();
    match with_store(&app, move |s| s.units_under(&scopes, MAX_UNITS)).await {
        Ok(units) => Json(Directory {
            units: units
                .into_iter()
                .map(|(code, name)| Unit {
                    code: code.as_str().to_owned(),
                    name,
                })
                .collect(),
        })
        .into_response(),
        Err(resp) => resp,
    }
}

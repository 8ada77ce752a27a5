//! `GET /v1/directory`: the names of the units and people a device's user works with, in
//! the schema's [`Directory`] shape: the divisions, departments and grids under its scopes
//! (a centre picks a department to dispatch to by name, screens name grids) and the
//! divisions above them (a member's street and community, where notices come from), and, for
//! those who direct work ([`sees_people`]: leaders, chief leaders, centres), the users
//! whose every scope lies under the device's (who to hand a task to, who confirmed a
//! notice). Everyone else gets `people: []`. Names are personal data: never logged.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use tracing::{debug, instrument};
use wangge_schema::directory::{
    Directory, DirectoryPerson, DirectoryUnit, MAX_PEOPLE, MAX_UNITS, sees_people,
};

use super::auth_device::AuthDevice;
use super::state::AppState;
use super::tus::with_store;
use crate::store::{User, covering_codes};
use wangge_schema::ScopeCode;

/// One user as the directory lists them.
fn person(u: User) -> DirectoryPerson {
    DirectoryPerson {
        id: u.id,
        name: u.name,
        role: u.principal.role,
        scopes: u
            .principal
            .scopes
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
    }
}

/// `GET /v1/directory` (device token).
#[instrument(skip_all)]
pub(crate) async fn directory(
    State(app): State<AppState>,
    AuthDevice(auth): AuthDevice,
) -> Response {
    let principal = auth.user.principal.clone();
    let with_people = sees_people(principal.role);
    let found = with_store(&app, move |s| {
        let mut units = s.units_under(&principal.scopes, MAX_UNITS)?;
        // The units above the device's scopes, by name too (a member's street and
        // community, which notices and campaigns come from): the first unit in code order
        // under an ancestor's code is the ancestor itself, when it exists.
        for code in covering_codes(&principal.scopes) {
            let Ok(above) = ScopeCode::parse(&code) else {
                continue;
            };
            if principal.scopes.iter().any(|s| s.covers(&above)) {
                continue;
            }
            units.extend(
                s.units_under(std::slice::from_ref(&above), 1)?
                    .into_iter()
                    .filter(|(c, _)| *c == above),
            );
        }
        units.sort_by(|a, b| a.0.cmp(&b.0));
        units.dedup_by(|a, b| a.0 == b.0);
        let people = if with_people {
            s.users_under(&principal.scopes, MAX_PEOPLE)?
        } else {
            Vec::new()
        };
        Ok((units, people))
    })
    .await;
    match found {
        Ok((units, people)) => {
            // Counts only: the names stay out of the logs.
            debug!(device = %auth.device_id, units = units.len(), people = people.len(), "directory");
            Json(Directory {
                units: units
                    .into_iter()
                    .map(|(code, name)| DirectoryUnit {
                        code: code.as_str().to_owned(),
                        name,
                    })
                    .collect(),
                people: people.into_iter().map(person).collect(),
            })
            .into_response()
        }
        Err(resp) => resp,
    }
}

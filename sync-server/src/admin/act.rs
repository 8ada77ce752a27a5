//! One entry for every admin action, from the command line or the admin API: check the
//! actor may (see [`govern`](super::govern)), do it with the same functions, and log it
//! with who did it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wangge_schema::{DivisionCode, FieldError, GridCode, ScopeCode};

use super::govern::{AdminActor, common_scope};
use super::{
    AdminError, add_department, add_division, add_grid, add_user, enroll_code, move_household,
    now_millis, parse_household_doc, revoke_device,
};
use crate::store::{AdminLogEntry, RelayStore, StoreError};

/// An admin action, as the admin API takes it (`{"op": "add_grid", …}`) and the command
/// line builds it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum AdminOp {
    /// Adds a division below the governed one.
    AddDivision {
        /// Its code.
        code: String,
        /// Its name.
        name: String,
    },
    /// Adds a department of a division (`110105-cgj`).
    AddDepartment {
        /// Its code.
        code: String,
        /// Its name (城管局).
        name: String,
    },
    /// Adds a grid.
    AddGrid {
        /// Its code.
        code: String,
        /// Its name.
        name: String,
    },
    /// Adds a user (member, informant, leader, chief-leader, centre, department).
    AddUser {
        /// Display name (personal data: never logged).
        name: String,
        /// The role.
        role: String,
        /// Grid codes, or the community or division code.
        scopes: Vec<String>,
    },
    /// Issues a one-time enrollment code for a user.
    EnrollCode {
        /// The user.
        user: Uuid,
        /// Hours until it expires (default 72, at most 720).
        #[serde(default = "default_ttl_hours")]
        ttl_hours: u32,
    },
    /// Revokes a lost or replaced device. What it has not synced stays on it and syncs
    /// from the user's next device as usual; nothing on the relay is wiped.
    RevokeDevice {
        /// The device.
        device: Uuid,
    },
    /// Moves a household to another grid.
    MoveHousehold {
        /// Its document id or household UUID.
        doc: String,
        /// The target grid.
        to: String,
    },
}

fn default_ttl_hours() -> u32 {
    72
}

/// Longest enrollment code validity the API gives (30 days).
pub const MAX_TTL_HOURS: u32 = 720;

/// What an admin action produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminOutcome {
    /// Done; nothing to hand back.
    Done,
    /// The new user's id.
    User(Uuid),
    /// The enrollment code (shown once) and when it expires (unix seconds).
    EnrollmentCode {
        /// The code.
        code: String,
        /// Unix seconds.
        expires_at: i64,
    },
}

impl AdminOp {
    /// The action's code in the log.
    pub fn code(&self) -> &'static str {
        match self {
            AdminOp::AddDivision { .. } => "add_division",
            AdminOp::AddDepartment { .. } => "add_department",
            AdminOp::AddGrid { .. } => "add_grid",
            AdminOp::AddUser { .. } => "add_user",
            AdminOp::EnrollCode { .. } => "enroll_code",
            AdminOp::RevokeDevice { .. } => "revoke_device",
            AdminOp::MoveHousehold { .. } => "move_household",
        }
    }
}

fn scope(code: &str, field: &'static str) -> Result<ScopeCode, AdminError> {
    ScopeCode::parse(code.trim())
        .map_err(|e| AdminError::Invalid(FieldError::new(field, e.code, e.message)))
}

/// The scopes of a user, or `NotFound`.
fn user_scopes(store: &dyn RelayStore, user: Uuid) -> Result<Vec<ScopeCode>, AdminError> {
    Ok(store
        .user(user)?
        .ok_or(StoreError::NotFound("user"))?
        .principal
        .scopes)
}

/// Checks, runs and logs `op` for `actor`. A refused or failed action changes nothing and
/// is not logged.
pub fn perform(
    store: &mut dyn RelayStore,
    actor: &AdminActor,
    op: AdminOp,
) -> Result<AdminOutcome, AdminError> {
    let action = op.code();
    let (touched, target, outcome) = match op {
        AdminOp::AddDivision { code, name } => {
            let c = DivisionCode::parse(code.trim())?.scope().clone();
            actor.may_create_below(&c)?;
            add_division(store, &code, &name)?;
            (vec![c], code.trim().to_owned(), AdminOutcome::Done)
        }
        AdminOp::AddDepartment { code, name } => {
            let c = ScopeCode::parse(code.trim())?;
            actor.may_create_below(&c)?;
            add_department(store, &code, &name)?;
            (vec![c], code.trim().to_owned(), AdminOutcome::Done)
        }
        AdminOp::AddGrid { code, name } => {
            let c = GridCode::parse(code.trim())?.scope().clone();
            actor.may_touch(&c)?;
            add_grid(store, &code, &name)?;
            (vec![c], code.trim().to_owned(), AdminOutcome::Done)
        }
        AdminOp::AddUser { name, role, scopes } => {
            let codes = scopes
                .iter()
                .map(|s| scope(s, "scopes"))
                .collect::<Result<Vec<_>, _>>()?;
            for c in &codes {
                actor.may_touch(c)?;
            }
            let id = add_user(store, &name, &role, &scopes)?;
            (codes, id.to_string(), AdminOutcome::User(id))
        }
        AdminOp::EnrollCode { user, ttl_hours } => {
            let scopes = user_scopes(store, user)?;
            for c in &scopes {
                actor.may_touch(c)?;
            }
            let ttl_hours = ttl_hours.clamp(1, MAX_TTL_HOURS);
            let code = enroll_code(store, user, ttl_hours)?;
            let expires_at = now_millis() / 1000 + i64::from(ttl_hours) * 3600;
            (
                scopes,
                user.to_string(),
                AdminOutcome::EnrollmentCode {
                    code: code.expose().to_owned(),
                    expires_at,
                },
            )
        }
        AdminOp::RevokeDevice { device } => {
            let owner = store
                .device(device)?
                .ok_or(StoreError::NotFound("device"))?;
            for c in &owner.user.principal.scopes {
                actor.may_touch(c)?;
            }
            if !revoke_device(store, device)? {
                return Err(StoreError::NotFound("device").into());
            }
            (
                owner.user.principal.scopes,
                device.to_string(),
                AdminOutcome::Done,
            )
        }
        AdminOp::MoveHousehold { doc, to } => {
            let id = parse_household_doc(&doc)?;
            let record = store.doc(&id)?.ok_or(StoreError::NotFound("document"))?;
            let to_grid = GridCode::parse(&to)?;
            actor.may_touch(&record.scope)?;
            actor.may_touch(to_grid.scope())?;
            move_household(store, &doc, &to)?;
            (
                vec![record.scope, to_grid.scope().clone()],
                id.to_string(),
                AdminOutcome::Done,
            )
        }
    };
    let Some(scope) = common_scope(&touched) else {
        // Every action touches at least one code; a user across provinces is the only way
        // here, and a role's scopes never are.
        return Err(AdminError::BadDocument);
    };
    let (user, device) = actor.who();
    store.log_admin_action(&AdminLogEntry {
        id: Uuid::new_v4(),
        at_ms: now_millis(),
        user,
        device,
        action: action.to_owned(),
        scope,
        target,
    })?;
    Ok(outcome)
}

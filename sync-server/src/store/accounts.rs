//! [`AccountStore`]: divisions, grids, users, enrollment codes, devices, revocation, and
//! the admin generation through which running relays learn of admin changes.

use serde::Serialize;
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{Principal, Role, ScopeCode};

use super::StoreError;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The user's id.
    pub id: Uuid,
    /// Display name (personal data: never logged).
    #[serde(skip)]
    pub name: String,
    /// Role and scopes.
    #[serde(flatten)]
    pub principal: Principal,
}

/// An authenticated, unrevoked device and the user it acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    /// The device's id.
    pub device_id: Uuid,
    /// The user.
    pub user: User,
}

/// A device registered when its one-time enrollment code is redeemed.
#[derive(Debug, Clone)]
pub struct NewDevice {
    /// The new device's id.
    pub device_id: Uuid,
    /// SHA-256 (hex) of the device token.
    pub token_hash: String,
    /// A label for the device (model name); not personal data.
    pub label: String,
}

/// One admin action as the admin log keeps it: ids and codes only, never a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminLogEntry {
    /// The entry's id.
    pub id: Uuid,
    /// When (unix milliseconds).
    pub at_ms: i64,
    /// The user behind the admin API; `None` for the command line on the server.
    pub user: Option<Uuid>,
    /// That user's device.
    pub device: Option<Uuid>,
    /// What was done (`add_grid`, `add_user`, `enroll_code`, …).
    pub action: String,
    /// The division or grid it was done inside.
    pub scope: ScopeCode,
    /// What it was done to: a code, a user or device id, a document id.
    pub target: String,
}

/// Accounts and devices: who may connect, for whom, and what admins changed.
pub trait AccountStore: Send {
    /// Adds a division (district, street, community …). `NotFound` for a grid code,
    /// `AlreadyExists` if the code is taken.
    fn add_division(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError>;
    /// Whether a division exists.
    fn division_exists(&self, code: &ScopeCode) -> Result<bool, StoreError>;
    /// The divisions, departments and grids `scopes` cover ([`ScopeCode::covers`]), with
    /// their names, in code order, at most `limit`: the directory devices name units by.
    fn units_under(
        &self,
        scopes: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<(ScopeCode, String)>, StoreError>;
    /// The users whose every scope `scopes` cover ([`ScopeCode::covers`]), with their
    /// names, roles and scopes (in code order), in id order, at most `limit`: the people
    /// of the directory, for those who direct work ([`wangge_schema::directory`]). Names
    /// are personal data: never logged.
    fn users_under(&self, scopes: &[ScopeCode], limit: usize) -> Result<Vec<User>, StoreError>;
    /// Adds a grid; `NotFound` unless its community division exists, `AlreadyExists` if
    /// the code is taken.
    fn add_grid(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError>;
    /// Whether a grid exists.
    fn grid_exists(&self, code: &ScopeCode) -> Result<bool, StoreError>;
    /// Adds a user with a role and scopes (already checked against the role), atomically;
    /// returns the new user's id. Repeated scopes are kept once.
    fn add_user(
        &mut self,
        name: &str,
        role: Role,
        scopes: &[ScopeCode],
    ) -> Result<Uuid, StoreError>;
    /// A user by id, scopes in code order.
    fn user(&self, id: Uuid) -> Result<Option<User>, StoreError>;
    /// Stores a one-time enrollment code (by hash) for `user`, valid until `expires_at`
    /// (unix seconds, exclusive). `NotFound` if the user does not exist.
    fn add_enrollment_code(
        &mut self,
        user: Uuid,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Redeems a code atomically: if it exists, is unused and unexpired at `now`, marks it
    /// used and registers `device`; returns the user. `None` if the code is not redeemable.
    fn redeem_enrollment_code(
        &mut self,
        code_hash: &str,
        now: i64,
        device: &NewDevice,
    ) -> Result<Option<User>, StoreError>;
    /// The unrevoked device holding the token with this hash.
    fn authenticate(&self, token_hash: &str) -> Result<Option<DeviceAuth>, StoreError>;
    /// The device if it exists and is not revoked.
    fn device(&self, device_id: Uuid) -> Result<Option<DeviceAuth>, StoreError>;
    /// Revokes a device; returns whether it existed. Bumps the admin generation.
    fn revoke_device(&mut self, device_id: Uuid) -> Result<bool, StoreError>;
    /// A counter that grows whenever an admin change must reach running relays.
    fn admin_generation(&self) -> Result<i64, StoreError>;
    /// Records an admin change to documents (a move): bumps the admin generation and
    /// remembers which documents it touched, so running relays push them.
    fn record_admin_change(&mut self, docs: &[DocumentId]) -> Result<(), StoreError>;
    /// The documents admin changes touched after generation `since`, each once, in id
    /// order.
    fn admin_changes_since(&self, since: i64) -> Result<Vec<DocumentId>, StoreError>;
    /// Appends an entry to the admin log.
    fn log_admin_action(&mut self, entry: &AdminLogEntry) -> Result<(), StoreError>;
    /// The admin log entries inside `within` (their scope's code starts with its code),
    /// newest first, at most `limit`.
    fn admin_log(&self, within: &ScopeCode, limit: usize)
    -> Result<Vec<AdminLogEntry>, StoreError>;
}

/// What a prefix query over unit codes found, narrowed to what `scopes` cover (a
/// department's code is a prefix of its neighbours' but covers only itself), each once,
/// in code order, at most `limit`.
pub(crate) fn covered_units(
    scopes: &[ScopeCode],
    mut found: Vec<(ScopeCode, String)>,
    limit: usize,
) -> Vec<(ScopeCode, String)> {
    found.retain(|(c, _)| scopes.iter().any(|s| s.covers(c)));
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.dedup_by(|a, b| a.0 == b.0);
    found.truncate(limit);
    found
}

/// The users a prefix query over scope codes found (a row per user and scope, in any
/// order), narrowed to those whose every scope `scopes` cover (a department's code is a
/// prefix of its neighbours' but covers only itself; a leader may also have grids
/// elsewhere), each once with its scopes in code order, in id order, at most `limit`.
pub(crate) fn covered_users(
    scopes: &[ScopeCode],
    rows: impl IntoIterator<Item = (Uuid, String, Role, ScopeCode)>,
    limit: usize,
) -> Vec<User> {
    let mut users: std::collections::BTreeMap<Uuid, User> = std::collections::BTreeMap::new();
    for (id, name, role, scope) in rows {
        let user = users.entry(id).or_insert_with(|| User {
            id,
            name,
            principal: Principal {
                role,
                scopes: Vec::new(),
            },
        });
        user.principal.scopes.push(scope);
    }
    users
        .into_values()
        .filter_map(|mut u| {
            u.principal.scopes.sort();
            u.principal.scopes.dedup();
            u.principal
                .scopes
                .iter()
                .all(|c| scopes.iter().any(|s| s.covers(c)))
                .then_some(u)
        })
        .take(limit)
        .collect()
}

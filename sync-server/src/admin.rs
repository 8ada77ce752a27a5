//! Admin operations behind `wangge-relay admin …`: divisions, grids, users, enrollment
//! codes, revocation, moving households. Each runs against the store directly; a running
//! relay notices revocations and moves through the store's admin generation.

use std::time::{SystemTime, UNIX_EPOCH};

use automerge::transaction::Transactable;
use automerge::{ActorId, ROOT};
use uuid::Uuid;
use wangge_proto::DocumentId;

use crate::auth::{Secret, hash_secret, new_enrollment_code, normalize_enrollment_code};
use crate::engine::doc_meta::{load_chunks, read_meta};
use crate::scope::{DocKind, Role, ScopeCode, ScopeError};
use crate::store::{DocRecord, RelayStore, StoreError};

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A code, role or kind is invalid.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A referenced division or grid does not exist.
    #[error("{0} does not exist; add it first")]
    Missing(String),
    /// The document is not a household.
    #[error("document is a {0}, not a household")]
    NotAHousehold(&'static str),
    /// The stored document does not load or lacks its scope.
    #[error("stored document is unreadable")]
    BadDocument,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Adds a division; its code's length gives its level.
pub fn add_division(store: &mut dyn RelayStore, code: &str, name: &str) -> Result<(), AdminError> {
    let code = ScopeCode::parse(code)?;
    if code.is_grid() {
        return Err(ScopeError::WrongLevel {
            code: code.to_string(),
            expected: "division code (2, 4, 6, 9 or 12 digits)",
        }
        .into());
    }
    Ok(store.add_division(&code, name)?)
}

/// Adds a grid under its (existing) community.
pub fn add_grid(store: &mut dyn RelayStore, code: &str, name: &str) -> Result<(), AdminError> {
    let code = ScopeCode::parse(code)?;
    let community = code.community().ok_or_else(|| ScopeError::WrongLevel {
        code: code.to_string(),
        expected: "15-digit grid code",
    })?;
    if !store.division_exists(&community)? {
        return Err(AdminError::Missing(format!("community {community}")));
    }
    Ok(store.add_grid(&code, name)?)
}

/// Adds a user; the scopes must fit the role and exist.
pub fn add_user(
    store: &mut dyn RelayStore,
    name: &str,
    role: &str,
    scopes: &[String],
) -> Result<Uuid, AdminError> {
    let role: Role = role.parse()?;
    let scopes = scopes
        .iter()
        .map(|s| ScopeCode::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    role.check_scopes(&scopes)?;
    for s in &scopes {
        let exists = if s.is_grid() {
            store.grid_exists(s)?
        } else {
            store.division_exists(s)?
        };
        if !exists {
            return Err(AdminError::Missing(format!("scope {s}")));
        }
    }
    Ok(store.add_user(name, role, &scopes)?)
}

/// Issues a one-time enrollment code for a user, valid for `ttl_hours`.
pub fn enroll_code(
    store: &mut dyn RelayStore,
    user: Uuid,
    ttl_hours: u32,
) -> Result<Secret, AdminError> {
    let code = new_enrollment_code();
    let canonical = normalize_enrollment_code(code.expose()).ok_or(AdminError::BadDocument)?;
    let expires = now().saturating_add(i64::from(ttl_hours) * 3600);
    store.add_enrollment_code(user, &hash_secret(&canonical), expires)?;
    Ok(code)
}

/// Revokes a device; its open connections close within the relay's admin poll interval.
pub fn revoke_device(store: &mut dyn RelayStore, device: Uuid) -> Result<bool, AdminError> {
    Ok(store.revoke_device(device)?)
}

/// Moves a household document to another grid: the relay writes the new `scope` into the
/// document (as its own actor), stores the change and re-registers the document, so access
/// follows the move. The grids' index documents are the device side's to update.
pub fn move_household(
    store: &mut dyn RelayStore,
    doc: &str,
    to_grid: &str,
) -> Result<(), AdminError> {
    let id: DocumentId = doc.parse().map_err(|_| AdminError::BadDocument)?;
    let to = ScopeCode::parse(to_grid)?;
    if !to.is_grid() || !store.grid_exists(&to)? {
        return Err(AdminError::Missing(format!("grid {to}")));
    }
    let record = store.doc(&id)?.ok_or(StoreError::NotFound("document"))?;
    if record.kind != DocKind::Household {
        return Err(AdminError::NotAHousehold(record.kind.as_str()));
    }
    let mut am = load_chunks(&store.doc_chunks(&id)?).ok_or(AdminError::BadDocument)?;
    read_meta(&am).map_err(|_| AdminError::BadDocument)?;
    let before = am.get_heads();
    am.set_actor(ActorId::random());
    let mut tx = am.transaction();
    tx.put(ROOT, "scope", to.as_str())
        .map_err(|_| AdminError::BadDocument)?;
    tx.commit();
    let bytes = am.save_after(&before);
    store.append_changes(
        &DocRecord {
            id,
            scope: to,
            kind: record.kind,
        },
        &bytes,
    )?;
    store.bump_admin_generation()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    #[test]
    fn a_user_needs_existing_scopes_that_fit_the_role() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        add_division(&mut s, "110105001001", "社区").unwrap();
        assert!(matches!(
            add_grid(&mut s, "110105001002001", "x"),
            Err(AdminError::Missing(_))
        ));
        add_grid(&mut s, "110105001001001", "一网格").unwrap();
        let scopes = ["110105001001001".to_owned()];
        add_user(&mut s, "张三", "member", &scopes).unwrap();
        assert!(add_user(&mut s, "李四", "centre", &scopes).is_err());
        assert!(add_user(&mut s, "王五", "member", &["110105001001009".to_owned()]).is_err());
        assert!(add_user(&mut s, "赵六", "boss", &scopes).is_err());
    }
}

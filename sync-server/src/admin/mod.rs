//! Admin operations behind `wangge-relay admin …` and the relay's admin API: divisions,
//! grids, users, enrollment codes, revocation, moving households. Each runs against the
//! store directly; a running relay notices revocations and moves through the store's
//! admin generation, and pushes the documents an admin change touched to the devices that
//! read them.
//!
//! - [`act`]: [`perform`], the one entry both use: checks, runs and logs an [`AdminOp`];
//! - [`govern`]: who may administer where ([`AdminActor`]);
//! - [`link`]: the enrollment link printed beside a code;
//! - [`qr`]: enrollment links as QR codes (terminal half blocks, PNG).

mod act;
mod govern;
pub mod link;
pub mod qr;

pub use act::{AdminOp, AdminOutcome, MAX_TTL_HOURS, perform};
pub use govern::{AdminActor, AdminRefusal, common_scope};

use std::time::{SystemTime, UNIX_EPOCH};

use automerge::{ActorId, Automerge};
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::regrid::{EditError, household_grid};
use wangge_schema::{
    DocKind, DocMeta, FieldError, GridCode, HouseholdMove, Role, ScopeCode, genesis, read_meta,
};

use crate::auth::{Secret, hash_secret, new_enrollment_code, normalize_enrollment_code};
use crate::engine::guard::load_chunks;
use crate::store::{DocRecord, RelayStore, StoreError};

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A code, role or scope list is invalid.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A referenced division or grid does not exist.
    #[error("{0} does not exist; add it first")]
    Missing(String),
    /// The document is not a household.
    #[error("document is a {0}, not a household")]
    NotAHousehold(&'static str),
    /// The argument is not a document id (base58check) or a household UUID.
    #[error("{0:?} is not a document id or household id")]
    BadDocumentId(String),
    /// The stored document does not load or lacks its scope.
    #[error("stored document is unreadable")]
    BadDocument,
    /// The actor may not do this, or not there.
    #[error(transparent)]
    Refused(#[from] AdminRefusal),
}

impl From<EditError> for AdminError {
    fn from(_: EditError) -> Self {
        AdminError::BadDocument
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Adds a division; its code's length gives its level.
pub fn add_division(store: &mut dyn RelayStore, code: &str, name: &str) -> Result<(), AdminError> {
    let code = wangge_schema::DivisionCode::parse(code)?;
    Ok(store.add_division(code.scope(), name)?)
}

/// Adds a department (职能部门, `110105-cgj`) of an existing division, for its centre to
/// dispatch events to. Departments are kept with the divisions: a code and a name.
pub fn add_department(
    store: &mut dyn RelayStore,
    code: &str,
    name: &str,
) -> Result<(), AdminError> {
    let code = ScopeCode::parse(code.trim())?;
    let division = code
        .as_str()
        .split_once('-')
        .filter(|_| code.is_department())
        .and_then(|(d, _)| wangge_schema::DivisionCode::parse(d).ok())
        .ok_or_else(|| {
            AdminError::Invalid(wangge_schema::FieldError::new(
                "code",
                wangge_schema::ErrorCode::InvalidScopeCode,
                "a department code: its division's code, a hyphen and a short name (110105-cgj)",
            ))
        })?;
    if !store.division_exists(division.scope())? {
        return Err(AdminError::Missing(format!("division {division}")));
    }
    Ok(store.add_division(&code, name)?)
}

/// Adds a grid under its (existing) community.
pub fn add_grid(store: &mut dyn RelayStore, code: &str, name: &str) -> Result<(), AdminError> {
    let code = GridCode::parse(code)?;
    let community = code.community();
    if !store.division_exists(community.scope())? {
        return Err(AdminError::Missing(format!("community {community}")));
    }
    Ok(store.add_grid(code.scope(), name)?)
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
        .map(|s| ScopeCode::parse(s.trim()))
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

/// A household's document id, from a document id (base58check) or the household's UUID.
pub fn parse_household_doc(arg: &str) -> Result<DocumentId, AdminError> {
    let arg = arg.trim();
    arg.parse::<DocumentId>()
        .ok()
        .or_else(|| Uuid::parse_str(arg).ok().map(DocumentId::from_uuid))
        .ok_or_else(|| AdminError::BadDocumentId(arg.chars().take(64).collect()))
}

/// A stored document, loaded, with its record.
fn load(
    store: &dyn RelayStore,
    id: &DocumentId,
) -> Result<Option<(Automerge, DocRecord)>, AdminError> {
    let Some(record) = store.doc(id)? else {
        return Ok(None);
    };
    let doc = load_chunks(&store.doc_chunks(id)?).ok_or(AdminError::BadDocument)?;
    Ok(Some((doc, record)))
}

/// Moves a household to another grid with the schema's [`HouseholdMove`], the same
/// changes a device makes: the household document's scope and `household.grid`, the old
/// grid's index loses it, the new grid's index (created from its genesis if the relay has
/// none) lists it. All of it is stored in one write group, and running relays push the
/// three documents to the devices that read them; access follows the new scope.
pub fn move_household(
    store: &mut dyn RelayStore,
    doc: &str,
    to_grid: &str,
) -> Result<(), AdminError> {
    let id = parse_household_doc(doc)?;
    let to = GridCode::parse(to_grid)?;
    if !store.grid_exists(to.scope())? {
        return Err(AdminError::Missing(format!("grid {to}")));
    }
    let (household, record) = load(store, &id)?.ok_or(StoreError::NotFound("document"))?;
    if record.kind != DocKind::Household {
        return Err(AdminError::NotAHousehold(record.kind.code()));
    }
    let from = household_grid(&household).ok_or(AdminError::BadDocument)?;
    let mv = HouseholdMove {
        household: Uuid::from_bytes(*id.as_bytes()),
        from,
        to,
        at_millis: now_millis(),
    };
    if !mv.is_move() {
        return Ok(());
    }
    store.begin_batch()?;
    let done = apply_move(store, &mv, household)
        .and_then(|touched| Ok(store.record_admin_change(&touched)?));
    match done {
        Ok(()) => Ok(store.commit_batch()?),
        Err(e) => {
            // Nothing of a failed group is kept.
            let _ = store.abort_batch();
            Err(e)
        }
    }
}

fn apply_move(
    store: &mut dyn RelayStore,
    mv: &HouseholdMove,
    household: Automerge,
) -> Result<Vec<DocumentId>, AdminError> {
    let mut touched = vec![mv.household_doc()];
    append_edit(store, mv.household_doc(), household, |tx| {
        mv.edit_household(tx)
    })?;
    if let Some((from_index, _)) = load(store, &mv.from_index())?
        && append_edit(store, mv.from_index(), from_index, |tx| {
            mv.edit_from_index(tx)
        })?
    {
        touched.push(mv.from_index());
    }
    let to_id = mv.to_index();
    match load(store, &to_id)? {
        Some((to_index, _)) => {
            append_edit(store, to_id, to_index, |tx| mv.edit_to_index(tx))?;
        }
        None => {
            let mut doc = genesis(&to_id, DocKind::GridIndex, mv.to.scope(), &[])
                .map_err(|_| AdminError::BadDocument)?;
            doc.set_actor(ActorId::random());
            let mut tx = doc.transaction();
            mv.edit_to_index(&mut tx)?;
            tx.commit();
            let record = DocRecord {
                id: to_id,
                scope: mv.to.scope().clone(),
                kind: DocKind::GridIndex,
            };
            store.create_doc(&record, &doc.save())?;
        }
    }
    touched.push(to_id);
    Ok(touched)
}

/// Makes one change to a stored document as the relay (its own actor) and appends it;
/// returns whether the document moved on.
fn append_edit(
    store: &mut dyn RelayStore,
    id: DocumentId,
    mut doc: Automerge,
    edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), EditError>,
) -> Result<bool, AdminError> {
    let before = doc.get_heads();
    doc.set_actor(ActorId::random());
    let mut tx = doc.transaction();
    edit(&mut tx)?;
    tx.commit();
    if doc.get_heads() == before {
        return Ok(false);
    }
    let DocMeta { scope, kind } = read_meta(&doc).map_err(|_| AdminError::BadDocument)?;
    store.append_changes(&DocRecord { id, scope, kind }, &doc.save_after(&before))?;
    Ok(true)
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
        assert!(matches!(
            add_grid(&mut s, "110105001001000", "x"),
            Err(AdminError::Invalid(e)) if e.code == wangge_schema::ErrorCode::InvalidGridCode
        ));
        assert!(matches!(
            add_division(&mut s, "990105", "x"),
            Err(AdminError::Invalid(e)) if e.code == wangge_schema::ErrorCode::InvalidDivisionCode
        ));
    }

    #[test]
    fn household_documents_are_named_by_doc_id_or_uuid() {
        let u = Uuid::new_v4();
        let d = DocumentId::from_uuid(u);
        assert_eq!(parse_household_doc(&d.to_string()).unwrap(), d);
        assert_eq!(parse_household_doc(&u.to_string()).unwrap(), d);
        assert!(matches!(
            parse_household_doc("nope"),
            Err(AdminError::BadDocumentId(_))
        ));
    }
}

//! The write gate: every change a device sends is stored here and only here, after the
//! checks that decide whether this device may make it, and before anything acknowledges
//! it (the caller replies only once [`admit`] returned).
//!
//! A document the device may not write is refused with a [`RefusalReason`] for that
//! document alone; the connection and every other document go on.

use automerge::{Automerge, ChangeHash};
use tracing::debug;
use wangge_proto::{DocumentId, RefusalReason};
use wangge_schema::step_access::check_steps;
use wangge_schema::steps::{StoredSteps, read_steps};
use wangge_schema::{DocKind, DocMeta, MetaError, Principal, WriteRefusal, read_meta};

use crate::store::{DocRecord, RelayStore, StoreError, User};

/// Why the gate did not store.
#[derive(Debug)]
pub(crate) enum GateError {
    /// The device may not write this (for this document alone).
    Refused(RefusalReason),
    /// A new document's id was registered meanwhile (by another connection).
    Exists,
    /// The store failed: nothing was stored.
    Store(StoreError),
}

impl From<StoreError> for GateError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists(_) => GateError::Exists,
            e => GateError::Store(e),
        }
    }
}

/// What a refusal of the root fields is called on the wire.
pub(crate) fn meta_refusal(e: &MetaError) -> RefusalReason {
    match e {
        MetaError::NoScope | MetaError::NoKind => RefusalReason::NoMeta,
        MetaError::BadScope => RefusalReason::BadScope,
        MetaError::UnknownKind(_) => RefusalReason::UnknownKind,
    }
}

fn write_refusal(w: WriteRefusal) -> RefusalReason {
    match w {
        WriteRefusal::Scope => RefusalReason::ScopeForbidden,
        WriteRefusal::Kind => RefusalReason::KindForbidden,
    }
}

/// Whether `principal` may change the document registered as `record` at all.
pub(crate) fn may_change(principal: &Principal, record: &DocRecord) -> Result<(), RefusalReason> {
    match principal.write_refusal(&record.scope, record.kind) {
        Some(w) => Err(write_refusal(w)),
        None => Ok(()),
    }
}

/// The record the document would have, if `principal` may write it so.
pub(crate) fn check(
    principal: &Principal,
    id: DocumentId,
    doc: &Automerge,
) -> Result<DocRecord, RefusalReason> {
    let DocMeta { scope, kind } = read_meta(doc).map_err(|e| meta_refusal(&e))?;
    let record = DocRecord { id, scope, kind };
    may_change(principal, &record)?;
    Ok(record)
}

/// What the changes go on top of.
pub(crate) enum Base<'a> {
    /// A document not registered yet: stored whole.
    New,
    /// A registered document: the changes since `heads` are appended.
    Registered {
        record: &'a DocRecord,
        heads: &'a [ChangeHash],
    },
}

/// The steps of a dispatch document: every new one written by `user` as their own role
/// within their scopes, and none stored before changed ([`check_steps`]).
fn steps_written_by(user: &User, doc: &Automerge, base: &Base<'_>) -> Result<(), RefusalReason> {
    let unreadable = |_| RefusalReason::StepForbidden;
    let before = match base {
        Base::New => StoredSteps::default(),
        Base::Registered { heads, .. } => {
            let old = doc.fork_at(heads).map_err(unreadable)?;
            read_steps(&old).map_err(unreadable)?
        }
    };
    let after = read_steps(doc).map_err(unreadable)?;
    check_steps(user.id, &user.principal, &before, &after).map_err(|refusal| {
        debug!(refusal = refusal.code(), "event step refused");
        RefusalReason::StepForbidden
    })
}

/// Checks `doc` (the document as it would be) and stores it: the registered record must be
/// writable by `user`, and so must the kind and scope the document now declares, and the
/// steps of an event's dispatch document must be theirs to write. Returns the record as
/// stored and the number of the chunk written.
pub(crate) fn admit(
    store: &mut dyn RelayStore,
    user: &User,
    id: DocumentId,
    doc: &Automerge,
    base: Base<'_>,
) -> Result<(DocRecord, i64), GateError> {
    let principal = &user.principal;
    if let Base::Registered { record, .. } = &base {
        may_change(principal, record).map_err(GateError::Refused)?;
    }
    let record = check(principal, id, doc).map_err(GateError::Refused)?;
    if record.kind == DocKind::Dispatch {
        steps_written_by(user, doc, &base).map_err(GateError::Refused)?;
    }
    let seq = match base {
        Base::New => {
            store.create_doc(&record, &doc.save())?;
            0
        }
        Base::Registered { heads, .. } => store.append_changes(&record, &doc.save_after(heads))?,
    };
    Ok((record, seq))
}

//! The write gate: every change a device sends is stored here and only here, after the
//! checks that decide whether this device may make it, and before anything acknowledges
//! it (the caller replies only once [`admit`] returned).
//!
//! A document the device may not write is refused with a [`RefusalReason`] for that
//! document alone; the connection and every other document go on. Beyond the access
//! table (role, kind, scope), the records inside some kinds are checked against their
//! writer: an event's steps (`step-forbidden`), a notice and its receipts
//! (`record-forbidden`).

use automerge::{Automerge, ChangeHash};
use tracing::debug;
use wangge_proto::{DocumentId, RefusalReason};
use wangge_schema::campaign::{check_campaign, check_results};
use wangge_schema::notice::{check_notice, check_receipts};
use wangge_schema::step_access::{check_steps, departments_given, report_doc_of};
use wangge_schema::steps::{StoredSteps, read_steps};
use wangge_schema::{DocKind, DocMeta, MetaError, Principal, ScopeCode, WriteRefusal, read_meta};

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

/// The units the document `record` was given to, as far as `principal` needs them: only
/// a principal that reads what it is given looks them up, and only events' documents are
/// ever given.
pub(crate) fn grants_for(
    store: &dyn RelayStore,
    principal: &Principal,
    record: &DocRecord,
) -> Result<Vec<ScopeCode>, StoreError> {
    if principal.reads_grants() && matches!(record.kind, DocKind::Dispatch | DocKind::Report) {
        store.doc_grants(&record.id)
    } else {
        Ok(Vec::new())
    }
}

/// Whether `principal` may be served the document registered as `record`: by its scope
/// and kind (a notice also to everyone under its scope, [`Principal::can_read_kind`]), or
/// (a department) because the document was given to it. Every decision to serve a device
/// a document goes through here: sync, the heads summary, scope push (whose store queries
/// list the same documents), announcements, other instances' changes, admin rechecks.
pub(crate) fn readable(
    store: &dyn RelayStore,
    principal: &Principal,
    record: &DocRecord,
) -> Result<bool, StoreError> {
    if principal.can_read_kind(&record.scope, record.kind) {
        return Ok(true);
    }
    let grants = grants_for(store, principal, record)?;
    Ok(principal.can_read_doc(&record.scope, &grants))
}

/// Whether `principal` may change the document registered as `record` (given to the
/// units `grants`) at all.
pub(crate) fn may_change(
    principal: &Principal,
    record: &DocRecord,
    grants: &[ScopeCode],
) -> Result<(), RefusalReason> {
    match principal.write_refusal_doc(&record.scope, record.kind, grants) {
        Some(w) => Err(write_refusal(w)),
        None => Ok(()),
    }
}

/// The record the document would have, if `principal` may write it so (the document given
/// to the units `grants`).
pub(crate) fn check(
    principal: &Principal,
    id: DocumentId,
    doc: &Automerge,
    grants: &[ScopeCode],
) -> Result<DocRecord, RefusalReason> {
    let DocMeta { scope, kind } = read_meta(doc).map_err(|e| meta_refusal(&e))?;
    let record = DocRecord { id, scope, kind };
    may_change(principal, &record, grants)?;
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
/// Returns the departments the new steps give the event to.
fn steps_written_by(
    user: &User,
    doc: &Automerge,
    base: &Base<'_>,
) -> Result<Vec<ScopeCode>, RefusalReason> {
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
    })?;
    let had = departments_given(&before);
    Ok(departments_given(&after)
        .into_iter()
        .filter(|d| !had.contains(d))
        .collect())
}

/// The records of a notice, receipts, campaign or results document: every change `user`
/// makes to them is theirs to make ([`check_notice`], [`check_receipts`],
/// [`check_campaign`], [`check_results`]). A registered document never changes kind
/// ([`admit`]), so these rules cannot be got around by declaring another.
fn records_written_by(
    user: &User,
    doc: &Automerge,
    base: &Base<'_>,
    kind: DocKind,
) -> Result<(), RefusalReason> {
    if !matches!(
        kind,
        DocKind::Notice | DocKind::Receipts | DocKind::Campaign | DocKind::CampaignResults
    ) {
        return Ok(());
    }
    let before = match base {
        Base::New => None,
        Base::Registered { heads, .. } => Some(
            doc.fork_at(heads)
                .map_err(|_| RefusalReason::RecordForbidden)?,
        ),
    };
    let before = before.as_ref();
    let refusal = match kind {
        DocKind::Notice => check_notice(user.id, before, doc).err().map(|r| r.code()),
        DocKind::Receipts => check_receipts(user.id, before, doc).err().map(|r| r.code()),
        DocKind::Campaign => check_campaign(user.id, before, doc).err().map(|r| r.code()),
        _ => check_results(user.id, before, doc).err().map(|r| r.code()),
    };
    match refusal {
        None => Ok(()),
        Some(code) => {
            debug!(refusal = code, kind = kind.code(), "record refused");
            Err(RefusalReason::RecordForbidden)
        }
    }
}

/// What [`admit`] stored.
#[derive(Debug)]
pub(crate) struct Admitted {
    /// The record as stored.
    pub record: DocRecord,
    /// The number of the chunk written.
    pub seq: i64,
    /// The event's report document, when these changes gave the event to a department
    /// (it may now read the report too, and is to be offered it).
    pub granted_report: Option<DocumentId>,
}

/// Gives an event's dispatch document `id`, and the report document it names, to each of
/// `departments`. The report is given only where it is the same event's: registered in
/// the dispatch document's scope, or not registered yet (its id is the report's own,
/// random, and it will be registered in its filer's grid).
fn give(
    store: &mut dyn RelayStore,
    record: &DocRecord,
    doc: &Automerge,
    departments: &[ScopeCode],
) -> Result<Option<DocumentId>, StoreError> {
    if departments.is_empty() {
        return Ok(None);
    }
    let report = match report_doc_of(doc) {
        Some(r) => match store.doc(&r)? {
            Some(rec) if rec.scope != record.scope || rec.kind != DocKind::Report => None,
            _ => Some(r),
        },
        None => None,
    };
    let mut docs = vec![record.id];
    docs.extend(report);
    for d in departments {
        store.grant_docs(&docs, d)?;
    }
    Ok(report)
}

/// Checks `doc` (the document as it would be) and stores it: the registered record must be
/// writable by `user`, and so must the kind and scope the document now declares, the
/// steps of an event's dispatch document must be theirs to write, and so must the records
/// of a notice or receipts document ([`records_written_by`]). A 派遣 to a department
/// gives it the event's documents ([`give`]), in the same group of writes.
pub(crate) fn admit(
    store: &mut dyn RelayStore,
    user: &User,
    id: DocumentId,
    doc: &Automerge,
    base: Base<'_>,
) -> Result<Admitted, GateError> {
    let principal = &user.principal;
    let grants = match &base {
        Base::Registered { record, .. } => {
            let grants = grants_for(store, principal, record)?;
            may_change(principal, record, &grants).map_err(GateError::Refused)?;
            grants
        }
        Base::New => Vec::new(),
    };
    let record = check(principal, id, doc, &grants).map_err(GateError::Refused)?;
    // A document is one kind for good: declaring another would put it under other
    // rules (a dispatch document's steps, a notice's sender).
    if let Base::Registered { record: was, .. } = &base
        && was.kind != record.kind
    {
        return Err(GateError::Refused(RefusalReason::KindForbidden));
    }
    records_written_by(user, doc, &base, record.kind).map_err(GateError::Refused)?;
    let departments = if record.kind == DocKind::Dispatch {
        steps_written_by(user, doc, &base).map_err(GateError::Refused)?
    } else {
        Vec::new()
    };
    let seq = match base {
        Base::New => {
            store.create_doc(&record, &doc.save())?;
            0
        }
        Base::Registered { heads, .. } => store.append_changes(&record, &doc.save_after(heads))?,
    };
    let granted_report = give(store, &record, doc, &departments)?;
    Ok(Admitted {
        record,
        seq,
        granted_report,
    })
}

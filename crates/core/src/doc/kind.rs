//! Document kinds, their collections, ids and deterministic genesis.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ObjType, ROOT};
use wangge_proto::DocumentId;

use crate::error::Result;
use crate::model::codes::code_enum;
use crate::model::derived;

code_enum! {
    /// What a document holds.
    pub enum DocKind {
        /// One household and its residents.
        Household = "household",
        /// Which households a grid has.
        GridIndex = "grid_index",
        /// A grid's temperature checks for one local day.
        Checks = "checks",
        /// A member's visits and collected needs in one grid for one month.
        Visits = "visits",
        /// A member's journal in one grid for one month.
        Journal = "journal",
        /// One report, as its author wrote it.
        Report = "report",
        /// One report's dispatch and status history, written by the centre and handler.
        Dispatch = "dispatch",
    }
}

impl DocKind {
    /// The maps at the root of a document of this kind.
    pub(crate) fn collections(self) -> &'static [&'static str] {
        match self {
            DocKind::Household => &["household", "residents"],
            DocKind::GridIndex => &["households"],
            DocKind::Checks => &["checks"],
            DocKind::Visits => &["visits", "needs"],
            DocKind::Journal => &["entries"],
            DocKind::Report => &["report"],
            DocKind::Dispatch => &["events"],
        }
    }
}

/// The id of a document named by a natural key (a grid's day of checks, a member's month
/// of visits): every device derives the same id offline.
pub(crate) fn period_doc_id(kind: DocKind, key: &str) -> DocumentId {
    DocumentId::from_uuid(derived(&format!("doc/{}/{key}", kind.code())))
}

/// A new document's first change, byte-identical on every device that creates the same
/// document: fixed actor (from the doc id), time 0, same content. Two devices creating a
/// grid's day of checks offline therefore share one root and one `checks` map, instead of
/// two concurrent maps of which only one would stay visible.
pub(crate) fn genesis(
    id: &DocumentId,
    kind: DocKind,
    scope: &str,
    attrs: &[(&str, &str)],
) -> Result<Automerge> {
    let mut doc = Automerge::new().with_actor(ActorId::from(*id.as_bytes()));
    let mut tx = doc.transaction();
    tx.put(ROOT, "kind", kind.code())?;
    tx.put(ROOT, "scope", scope)?;
    for (k, v) in attrs {
        tx.put(ROOT, *k, *v)?;
    }
    for name in kind.collections() {
        tx.put_object(ROOT, *name, ObjType::Map)?;
    }
    tx.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_is_identical_on_every_device() {
        let id = period_doc_id(DocKind::Checks, "110105001001001/2026-11-24");
        let a = genesis(
            &id,
            DocKind::Checks,
            "110105001001001",
            &[("date", "2026-11-24")],
        )
        .unwrap();
        let b = genesis(
            &id,
            DocKind::Checks,
            "110105001001001",
            &[("date", "2026-11-24")],
        )
        .unwrap();
        assert_eq!(a.get_heads(), b.get_heads());
        assert_eq!(a.save(), b.save());
    }
}

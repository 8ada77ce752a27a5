//! The [`RelayStore`] suite: what must hold across the traits of a backend that
//! implements them all on one store. Moving a household (`admin::move_household`) groups
//! document writes and the admin change that announces them: both are kept or neither.

use wangge_proto::DocumentId;
use wangge_schema::DocKind;

use super::{GRID_A, GRID_B, code};
use crate::store::{DocRecord, RelayStore};

/// Runs every cross-trait case, each on a fresh store from `make`.
pub fn run_relay_suite(mut make: impl FnMut() -> Box<dyn RelayStore>) {
    run_cases!(
        "relay",
        make,
        [
            a_group_commit_keeps_admin_changes_with_document_writes,
            an_aborted_group_drops_admin_changes_with_document_writes,
        ]
    );
}

/// A moved document, as an admin move writes it, inside a group.
fn move_in_group(store: &mut dyn RelayStore) -> (DocRecord, i64) {
    let rec = DocRecord {
        id: DocumentId::random(),
        scope: code(GRID_A),
        kind: DocKind::Household,
    };
    store.create_doc(&rec, b"household").expect("create");
    let g0 = store.admin_generation().expect("generation");
    store.begin_batch().expect("begin");
    let moved = DocRecord {
        scope: code(GRID_B),
        ..rec.clone()
    };
    store.append_changes(&moved, b"move").expect("append");
    store.record_admin_change(&[rec.id]).expect("record");
    (rec, g0)
}

fn a_group_commit_keeps_admin_changes_with_document_writes(store: &mut dyn RelayStore) {
    let (rec, g0) = move_in_group(store);
    store.commit_batch().expect("commit");
    assert!(store.admin_generation().expect("generation") > g0);
    assert_eq!(store.admin_changes_since(g0).expect("since"), vec![rec.id]);
    assert_eq!(
        store.doc(&rec.id).expect("query").map(|r| r.scope),
        Some(code(GRID_B))
    );
}

fn an_aborted_group_drops_admin_changes_with_document_writes(store: &mut dyn RelayStore) {
    let (rec, g0) = move_in_group(store);
    store.abort_batch().expect("abort");
    assert_eq!(store.admin_generation().expect("generation"), g0);
    assert!(store.admin_changes_since(g0).expect("since").is_empty());
    assert_eq!(store.doc(&rec.id).expect("query"), Some(rec.clone()));
    assert_eq!(
        store.doc_chunks(&rec.id).expect("chunks"),
        vec![b"household".to_vec()]
    );
}

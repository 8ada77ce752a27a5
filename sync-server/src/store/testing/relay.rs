//! The [`RelayStore`] suite: what must hold across the traits of a backend that
//! implements them all on one store. Moving a household (`admin::move_household`) groups
//! document writes and the admin change that announces them: both are kept or neither.

use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{DocKind, Role};

use super::{COMMUNITY, GRID_A, GRID_B, code};
use crate::store::{DocRecord, NewDevice, NewUpload, RelayStore, StoreError};

/// Runs every cross-trait case, each on a fresh store from `make`.
pub fn run_relay_suite(mut make: impl FnMut() -> Box<dyn RelayStore>) {
    run_cases!(
        "relay",
        make,
        [
            a_group_commit_keeps_admin_changes_with_document_writes,
            an_aborted_group_drops_admin_changes_with_document_writes,
            a_failed_write_of_any_kind_in_a_group_leaves_the_others,
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

fn device(token_hash: &str) -> NewDevice {
    NewDevice {
        device_id: Uuid::new_v4(),
        token_hash: token_hash.to_owned(),
        label: "test".to_owned(),
    }
}

/// Inside a group, writes of other traits that fail (a token already held, an upload id
/// taken) are undone alone; the group's other writes are kept.
fn a_failed_write_of_any_kind_in_a_group_leaves_the_others(store: &mut dyn RelayStore) {
    store
        .add_division(&code(COMMUNITY), "community")
        .expect("division");
    store.add_grid(&code(GRID_A), "grid").expect("grid");
    let user = store
        .add_user("member", Role::Member, &[code(GRID_A)])
        .expect("user");
    store
        .add_enrollment_code(user, "h1", i64::MAX)
        .expect("code");
    store
        .redeem_enrollment_code("h1", 0, &device("tok"))
        .expect("redeem")
        .expect("redeemable");
    let upload = NewUpload {
        id: Uuid::new_v4(),
        device_id: Uuid::new_v4(),
        sha256: "0".repeat(64),
        scope: code(GRID_A),
        length: 4,
        complete: false,
    };
    store.create_upload(&upload, 8).expect("upload");
    let newer = NewUpload {
        id: Uuid::new_v4(),
        ..upload.clone()
    };
    store.create_upload(&newer, 8).expect("upload");

    store.begin_batch().expect("begin");
    let first = DocRecord {
        id: DocumentId::random(),
        scope: code(GRID_A),
        kind: DocKind::Household,
    };
    store.create_doc(&first, b"first").expect("create");
    store
        .add_enrollment_code(user, "h2", i64::MAX)
        .expect("code");
    assert!(
        store
            .redeem_enrollment_code("h2", 0, &device("tok"))
            .is_err(),
        "the token is held"
    );
    assert!(
        store.add_enrollment_code(user, "h1", i64::MAX).is_err(),
        "the code hash is taken"
    );
    assert!(matches!(
        store.create_upload(&newer, 2),
        Err(StoreError::AlreadyExists(_))
    ));
    let second = DocRecord {
        id: DocumentId::random(),
        ..first.clone()
    };
    store
        .create_doc(&second, b"second")
        .expect("create after the failures");
    store.commit_batch().expect("commit");

    assert_eq!(store.doc(&first.id).expect("query"), Some(first));
    assert_eq!(store.doc(&second.id).expect("query"), Some(second));
    assert!(
        store.upload_state(upload.id).expect("query").is_some(),
        "the refused creation made no room"
    );
    assert!(
        store
            .redeem_enrollment_code("h2", 0, &device("tok-2"))
            .expect("redeem")
            .is_some(),
        "the code added in the group is kept and was not used by the failed redemption"
    );
}

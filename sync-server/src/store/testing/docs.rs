//! The [`DocStore`] suite: document records and chunks, compaction, `docs_under`, the
//! notices read downward, sync states and group commit.

use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::DocKind;

use super::{
    COMMUNITY, DISTRICT, GRID_A, GRID_B, GRID_C, OTHER_COMMUNITY, OTHER_GRID, OTHER_STREET, STREET,
    code,
};
use crate::store::{DocRecord, DocStore, StoreError};

/// Runs every [`DocStore`] case, each on a fresh store from `make`.
pub fn run_docs_suite(mut make: impl FnMut() -> Box<dyn DocStore>) {
    run_cases!(
        "docs",
        make,
        [
            a_document_is_created_with_its_first_bytes,
            a_document_is_created_once,
            changes_append_in_order_and_update_the_record,
            changes_to_an_unknown_document_are_refused,
            compaction_replaces_every_chunk_by_the_snapshot,
            compaction_keeps_the_chunks_after_what_it_holds,
            chunks_are_numbered_without_gaps_and_read_after_a_number,
            documents_changed_since_a_time_come_with_their_last_chunk,
            compacting_an_unknown_document_is_refused,
            docs_under_follows_the_code_prefix,
            docs_under_deduplicates_orders_and_limits,
            docs_under_sees_a_moved_document_in_its_new_scope,
            notices_are_read_downward_from_the_units_above_a_scope,
            notices_read_downward_come_once_in_id_order_and_limited,
            a_moved_notice_is_read_downward_from_its_new_scope,
            documents_given_to_a_department_come_back_for_it_alone,
            sync_states_are_per_device_and_document,
            a_committed_group_keeps_every_write,
            an_aborted_group_keeps_nothing,
            a_failed_write_in_a_group_leaves_the_others,
            aborting_without_a_group_changes_nothing,
            groups_follow_one_another,
        ]
    );
}

fn record(scope: &str, kind: DocKind) -> DocRecord {
    DocRecord {
        id: DocumentId::random(),
        scope: code(scope),
        kind,
    }
}

fn chunks(store: &dyn DocStore, id: &DocumentId) -> Vec<Vec<u8>> {
    store.doc_chunks(id).expect("chunks")
}

fn a_document_is_created_with_its_first_bytes(store: &mut dyn DocStore) {
    let rec = record(GRID_A, DocKind::Household);
    assert!(store.doc(&rec.id).expect("query").is_none());
    assert!(chunks(store, &rec.id).is_empty());
    store.create_doc(&rec, b"first").expect("create");
    assert_eq!(store.doc(&rec.id).expect("query"), Some(rec.clone()));
    assert_eq!(chunks(store, &rec.id), vec![b"first".to_vec()]);
    let other = record(GRID_A, DocKind::Household);
    assert!(
        store.doc(&other.id).expect("query").is_none(),
        "only the created document exists"
    );
}

fn a_document_is_created_once(store: &mut dyn DocStore) {
    let rec = record(GRID_A, DocKind::Household);
    store.create_doc(&rec, b"first").expect("create");
    let again = DocRecord {
        scope: code(GRID_B),
        kind: DocKind::Checks,
        ..rec.clone()
    };
    assert!(matches!(
        store.create_doc(&again, b"again"),
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(
        store.doc(&rec.id).expect("query"),
        Some(rec.clone()),
        "the record is untouched"
    );
    assert_eq!(
        chunks(store, &rec.id),
        vec![b"first".to_vec()],
        "no bytes were added"
    );
}

fn changes_append_in_order_and_update_the_record(store: &mut dyn DocStore) {
    let rec = record(GRID_A, DocKind::Household);
    store.create_doc(&rec, b"first").expect("create");
    let moved = DocRecord {
        scope: code(GRID_B),
        ..rec.clone()
    };
    store.append_changes(&moved, b"second").expect("append");
    assert_eq!(store.doc(&rec.id).expect("query"), Some(moved));
    let rekinded = DocRecord {
        kind: DocKind::Visits,
        ..rec.clone()
    };
    store.append_changes(&rekinded, b"third").expect("append");
    store.append_changes(&rekinded, b"").expect("append empty");
    store.append_changes(&rekinded, b"fourth").expect("append");
    assert_eq!(store.doc(&rec.id).expect("query"), Some(rekinded));
    assert_eq!(
        chunks(store, &rec.id),
        vec![
            b"first".to_vec(),
            b"second".to_vec(),
            b"third".to_vec(),
            Vec::new(),
            b"fourth".to_vec()
        ]
    );
    let other = record(GRID_A, DocKind::Checks);
    store.create_doc(&other, b"other").expect("create other");
    assert_eq!(
        chunks(store, &rec.id).len(),
        5,
        "another document's bytes stay its own"
    );
    assert_eq!(chunks(store, &other.id), vec![b"other".to_vec()]);
}

fn changes_to_an_unknown_document_are_refused(store: &mut dyn DocStore) {
    let unknown = record(GRID_A, DocKind::Household);
    assert!(matches!(
        store.append_changes(&unknown, b"x"),
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store.doc(&unknown.id).expect("query").is_none(),
        "not registered by the refused append"
    );
    assert!(chunks(store, &unknown.id).is_empty());
}

fn compaction_replaces_every_chunk_by_the_snapshot(store: &mut dyn DocStore) {
    let rec = record(GRID_A, DocKind::Household);
    store.create_doc(&rec, b"first").expect("create");
    store.append_changes(&rec, b"second").expect("append");
    let third = store.append_changes(&rec, b"third").expect("append");
    let other = record(GRID_A, DocKind::Household);
    store.create_doc(&other, b"other").expect("create other");
    store
        .compact_doc(&rec.id, b"all three", third)
        .expect("compact");
    assert_eq!(chunks(store, &rec.id), vec![b"all three".to_vec()]);
    assert_eq!(
        store.doc_chunks_after(&rec.id, -1).expect("chunks"),
        vec![(third, b"all three".to_vec())],
        "the snapshot takes the number of the last chunk it holds"
    );
    assert_eq!(
        store.doc(&rec.id).expect("query"),
        Some(rec.clone()),
        "the record is untouched"
    );
    assert_eq!(
        chunks(store, &other.id),
        vec![b"other".to_vec()],
        "other documents are untouched"
    );
    let fourth = store.append_changes(&rec, b"fourth").expect("append");
    assert_eq!(fourth, third + 1, "numbering goes on after the snapshot");
    assert_eq!(
        chunks(store, &rec.id),
        vec![b"all three".to_vec(), b"fourth".to_vec()],
        "later changes follow the snapshot"
    );
    store
        .compact_doc(&rec.id, b"all four", fourth)
        .expect("compact again");
    assert_eq!(chunks(store, &rec.id), vec![b"all four".to_vec()]);
}

fn compaction_keeps_the_chunks_after_what_it_holds(store: &mut dyn DocStore) {
    // Another relay instance appended after the snapshot was taken: its chunk stays.
    let rec = record(GRID_A, DocKind::Household);
    store.create_doc(&rec, b"first").expect("create");
    let held = store.append_changes(&rec, b"second").expect("append");
    let theirs = store.append_changes(&rec, b"theirs").expect("append");
    store
        .compact_doc(&rec.id, b"first two", held)
        .expect("compact");
    assert_eq!(
        store.doc_chunks_after(&rec.id, -1).expect("chunks"),
        vec![(held, b"first two".to_vec()), (theirs, b"theirs".to_vec())]
    );
}

fn chunks_are_numbered_without_gaps_and_read_after_a_number(store: &mut dyn DocStore) {
    let rec = record(GRID_A, DocKind::Household);
    store.create_doc(&rec, b"c0").expect("create");
    let one = store.append_changes(&rec, b"c1").expect("append");
    let two = store.append_changes(&rec, b"c2").expect("append");
    assert_eq!((one, two), (1, 2), "the first chunk is 0");
    assert_eq!(
        store.doc_chunks_after(&rec.id, 0).expect("after 0"),
        vec![(1, b"c1".to_vec()), (2, b"c2".to_vec())]
    );
    assert!(
        store
            .doc_chunks_after(&rec.id, 2)
            .expect("after 2")
            .is_empty()
    );
    assert!(
        store
            .doc_chunks_after(&DocumentId::random(), -1)
            .expect("unknown")
            .is_empty()
    );
}

fn documents_changed_since_a_time_come_with_their_last_chunk(store: &mut dyn DocStore) {
    let old = record(GRID_A, DocKind::Household);
    store.create_doc(&old, b"old").expect("create");
    let fresh = record(GRID_B, DocKind::Household);
    store.create_doc(&fresh, b"new").expect("create");
    let last = store.append_changes(&fresh, b"more").expect("append");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut changed = store.docs_changed_since(now - 60).expect("changed");
    changed.sort();
    let mut want = vec![(old.id, 0), (fresh.id, last)];
    want.sort();
    assert_eq!(changed, want);
    assert!(
        store
            .docs_changed_since(now + 3600)
            .expect("none")
            .is_empty(),
        "nothing changed in the future"
    );
}

fn compacting_an_unknown_document_is_refused(store: &mut dyn DocStore) {
    let unknown = DocumentId::random();
    assert!(matches!(
        store.compact_doc(&unknown, b"snapshot", 0),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.doc(&unknown).expect("query").is_none());
    assert!(chunks(store, &unknown).is_empty());
}

fn ids(records: &[DocRecord]) -> Vec<DocumentId> {
    records.iter().map(|r| r.id).collect()
}

fn sorted(mut ids: Vec<DocumentId>) -> Vec<DocumentId> {
    ids.sort();
    ids
}

fn docs_under_follows_the_code_prefix(store: &mut dyn DocStore) {
    let a1 = record(GRID_A, DocKind::Household);
    let a2 = record(GRID_A, DocKind::Checks);
    let b = record(GRID_B, DocKind::GridIndex);
    let community = record(COMMUNITY, DocKind::Household);
    let elsewhere = record(OTHER_GRID, DocKind::Checks);
    for r in [&a1, &a2, &b, &community, &elsewhere] {
        store.create_doc(r, b"x").expect("create");
    }
    let under = |store: &dyn DocStore, scope: &str| {
        ids(&store.docs_under(&[code(scope)], 100).expect("query"))
    };
    assert_eq!(under(store, GRID_A), sorted(vec![a1.id, a2.id]));
    assert_eq!(under(store, GRID_B), vec![b.id]);
    assert_eq!(
        under(store, COMMUNITY),
        sorted(vec![a1.id, a2.id, b.id, community.id]),
        "a division covers its grids and itself"
    );
    assert_eq!(
        under(store, STREET),
        sorted(vec![a1.id, a2.id, b.id, community.id])
    );
    assert_eq!(
        under(store, DISTRICT),
        sorted(vec![a1.id, a2.id, b.id, community.id, elsewhere.id])
    );
    assert_eq!(under(store, OTHER_COMMUNITY), vec![elsewhere.id]);
    assert!(under(store, GRID_C).is_empty());
    assert!(under(store, "120101").is_empty());
    let got = store.docs_under(&[code(GRID_B)], 100).expect("query");
    assert_eq!(got, vec![b], "records come back whole");
}

fn documents_given_to_a_department_come_back_for_it_alone(store: &mut dyn DocStore) {
    let (cgj, zjj) = (
        code(&format!("{DISTRICT}-cgj")),
        code(&format!("{DISTRICT}-zjj")),
    );
    let dispatch = record(GRID_A, DocKind::Dispatch);
    let report = record(GRID_A, DocKind::Report);
    let other = record(GRID_B, DocKind::Dispatch);
    for r in [&dispatch, &other] {
        store.create_doc(r, b"x").expect("create");
    }
    // The report is given before it is registered (it may reach the relay later).
    store
        .grant_docs(&[dispatch.id, report.id], &cgj)
        .expect("grant");
    store.grant_docs(&[dispatch.id], &cgj).expect("again");
    store.grant_docs(&[other.id], &zjj).expect("grant");
    assert_eq!(
        store.doc_grants(&dispatch.id).expect("grants"),
        vec![cgj.clone()]
    );
    assert_eq!(
        store.doc_grants(&report.id).expect("grants"),
        vec![cgj.clone()]
    );
    assert_eq!(
        store
            .docs_granted(std::slice::from_ref(&cgj), 100)
            .expect("q"),
        vec![dispatch.clone()],
        "only registered documents come back"
    );
    store.create_doc(&report, b"x").expect("create");
    let got = ids(&store
        .docs_granted(std::slice::from_ref(&cgj), 100)
        .expect("q"));
    assert_eq!(got, sorted(vec![dispatch.id, report.id]));
    assert_eq!(
        store
            .docs_granted(std::slice::from_ref(&cgj), 1)
            .expect("q")
            .len(),
        1
    );
    assert_eq!(
        ids(&store
            .docs_granted(&[zjj.clone(), cgj.clone()], 100)
            .expect("q")),
        sorted(vec![dispatch.id, report.id, other.id])
    );
    // Given is not scoped: nothing under the department's code.
    assert!(store.docs_under(&[cgj], 100).expect("q").is_empty());
    assert!(
        store
            .doc_grants(&DocumentId::random())
            .expect("grants")
            .is_empty()
    );
}

fn docs_under_deduplicates_orders_and_limits(store: &mut dyn DocStore) {
    let mut all = Vec::new();
    for scope in [GRID_A, GRID_A, GRID_B, GRID_B, OTHER_GRID] {
        let r = record(scope, DocKind::Household);
        store.create_doc(&r, b"x").expect("create");
        all.push(r.id);
    }
    let in_community = sorted(all[..4].to_vec());
    let both = store
        .docs_under(&[code(GRID_A), code(COMMUNITY), code(GRID_A)], 100)
        .expect("query");
    assert_eq!(ids(&both), in_community, "each once, in id order");
    let two_scopes = store
        .docs_under(&[code(OTHER_GRID), code(GRID_B)], 100)
        .expect("query");
    assert_eq!(
        ids(&two_scopes),
        sorted(vec![all[2], all[3], all[4]]),
        "in id order whatever the order of the scopes"
    );
    for limit in 0..=5 {
        let got = store.docs_under(&[code(DISTRICT)], limit).expect("query");
        assert_eq!(
            got.len(),
            limit,
            "at most {limit}, and no fewer if there are"
        );
        assert!(got.windows(2).all(|w| w[0].id < w[1].id));
    }
    assert_eq!(
        store.docs_under(&[code(DISTRICT)], 6).expect("query").len(),
        5
    );
    assert!(store.docs_under(&[], 100).expect("query").is_empty());
}

fn docs_under_sees_a_moved_document_in_its_new_scope(store: &mut dyn DocStore) {
    let rec = record(GRID_A, DocKind::Household);
    store.create_doc(&rec, b"first").expect("create");
    let moved = DocRecord {
        scope: code(GRID_B),
        ..rec.clone()
    };
    store.append_changes(&moved, b"move").expect("append");
    assert!(
        store
            .docs_under(&[code(GRID_A)], 100)
            .expect("query")
            .is_empty()
    );
    assert_eq!(
        store.docs_under(&[code(GRID_B)], 100).expect("query"),
        vec![moved]
    );
}

fn notices_are_read_downward_from_the_units_above_a_scope(store: &mut dyn DocStore) {
    let district = record(DISTRICT, DocKind::Notice);
    let street = record(STREET, DocKind::Notice);
    let community = record(COMMUNITY, DocKind::Notice);
    let grid_a = record(GRID_A, DocKind::Notice);
    let other_street = record(OTHER_STREET, DocKind::Notice);
    let other_province = record("120101", DocKind::Notice);
    // Other kinds above a scope are not read downward.
    let street_household = record(STREET, DocKind::Household);
    let receipts = record(GRID_A, DocKind::Receipts);
    for r in [
        &district,
        &street,
        &community,
        &grid_a,
        &other_street,
        &other_province,
        &street_household,
        &receipts,
    ] {
        store.create_doc(r, b"x").expect("create");
    }
    let over = |store: &dyn DocStore, scopes: &[&str]| {
        let scopes: Vec<_> = scopes.iter().map(|s| code(s)).collect();
        ids(&store.docs_read_downward(&scopes, 100).expect("query"))
    };
    assert_eq!(
        over(store, &[GRID_A]),
        sorted(vec![district.id, street.id, community.id, grid_a.id]),
        "a grid reads the notices of its units and its own"
    );
    assert_eq!(
        over(store, &[GRID_B]),
        sorted(vec![district.id, street.id, community.id]),
        "not another grid's"
    );
    assert_eq!(
        over(store, &[COMMUNITY]),
        sorted(vec![district.id, street.id, community.id]),
        "a community reads those above it, not those below (it covers them anyway)"
    );
    assert_eq!(
        over(store, &[OTHER_GRID]),
        sorted(vec![district.id, other_street.id])
    );
    assert!(
        over(store, &[&format!("{STREET}-cgj")]).is_empty(),
        "a department none"
    );
    assert!(over(store, &[]).is_empty());
    let got = store
        .docs_read_downward(&[code(GRID_B)], 100)
        .expect("query");
    assert!(got.contains(&street), "records come back whole");
}

fn notices_read_downward_come_once_in_id_order_and_limited(store: &mut dyn DocStore) {
    let mut all = Vec::new();
    for scope in [STREET, STREET, COMMUNITY, DISTRICT, GRID_A] {
        let r = record(scope, DocKind::Notice);
        store.create_doc(&r, b"x").expect("create");
        all.push(r.id);
    }
    let both = store
        .docs_read_downward(&[code(GRID_A), code(GRID_B), code(GRID_A)], 100)
        .expect("query");
    assert_eq!(ids(&both), sorted(all.clone()), "each once, in id order");
    for limit in 0..=5 {
        let got = store
            .docs_read_downward(&[code(GRID_A)], limit)
            .expect("query");
        assert_eq!(
            got.len(),
            limit,
            "at most {limit}, and no fewer if there are"
        );
        assert!(got.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(ids(&got), &sorted(all.clone())[..limit], "the first by id");
    }
}

fn a_moved_notice_is_read_downward_from_its_new_scope(store: &mut dyn DocStore) {
    let rec = record(COMMUNITY, DocKind::Notice);
    store.create_doc(&rec, b"first").expect("create");
    let moved = DocRecord {
        scope: code(OTHER_COMMUNITY),
        ..rec.clone()
    };
    store.append_changes(&moved, b"move").expect("append");
    assert!(
        store
            .docs_read_downward(&[code(GRID_A)], 100)
            .expect("query")
            .is_empty()
    );
    assert_eq!(
        store
            .docs_read_downward(&[code(OTHER_GRID)], 100)
            .expect("query"),
        vec![moved]
    );
}

fn sync_states_are_per_device_and_document(store: &mut dyn DocStore) {
    let (dev, other_dev) = (Uuid::new_v4(), Uuid::new_v4());
    let (doc, other_doc) = (DocumentId::random(), DocumentId::random());
    assert!(store.sync_state(dev, &doc).expect("query").is_none());
    store.put_sync_states(dev, &[]).expect("put nothing");
    store
        .put_sync_states(dev, &[(doc, vec![1, 2]), (other_doc, vec![9])])
        .expect("put");
    store
        .put_sync_states(other_dev, &[(doc, vec![7])])
        .expect("put");
    store.put_sync_states(dev, &[(doc, vec![3])]).expect("put");
    assert_eq!(
        store.sync_state(dev, &doc).expect("query"),
        Some(vec![3]),
        "the last state wins"
    );
    assert_eq!(
        store.sync_state(dev, &other_doc).expect("query"),
        Some(vec![9]),
        "states of other documents stay"
    );
    assert_eq!(
        store.sync_state(other_dev, &doc).expect("query"),
        Some(vec![7]),
        "states of other devices stay"
    );
    assert!(
        store
            .sync_state(other_dev, &other_doc)
            .expect("query")
            .is_none()
    );
    store
        .put_sync_states(dev, &[(other_doc, Vec::new())])
        .expect("put empty");
    assert_eq!(
        store.sync_state(dev, &other_doc).expect("query"),
        Some(Vec::new()),
        "an empty state is a state"
    );
}

fn a_committed_group_keeps_every_write(store: &mut dyn DocStore) {
    let existing = record(GRID_B, DocKind::Checks);
    let device = Uuid::new_v4();
    store.begin_batch().expect("begin");
    let created = record(GRID_A, DocKind::Household);
    store.create_doc(&created, b"new").expect("create");
    store.create_doc(&existing, b"old").expect("create");
    store.append_changes(&existing, b"more").expect("append");
    store
        .put_sync_states(device, &[(created.id, vec![1])])
        .expect("put state");
    assert_eq!(
        store.doc(&created.id).expect("query"),
        Some(created.clone()),
        "reads see the group's writes before the commit"
    );
    assert_eq!(chunks(store, &existing.id).len(), 2);
    store.commit_batch().expect("commit");
    assert_eq!(
        store.doc(&created.id).expect("query"),
        Some(created.clone())
    );
    assert_eq!(
        chunks(store, &existing.id),
        vec![b"old".to_vec(), b"more".to_vec()]
    );
    assert_eq!(
        store.sync_state(device, &created.id).expect("query"),
        Some(vec![1])
    );
}

fn an_aborted_group_keeps_nothing(store: &mut dyn DocStore) {
    let device = Uuid::new_v4();
    let existing = record(GRID_B, DocKind::Checks);
    store.create_doc(&existing, b"old").expect("create before");
    store
        .put_sync_states(device, &[(existing.id, vec![5])])
        .expect("put before");
    store.begin_batch().expect("begin");
    let created = record(GRID_A, DocKind::Household);
    store.create_doc(&created, b"new").expect("create");
    let moved = DocRecord {
        scope: code(GRID_A),
        ..existing.clone()
    };
    let more = store.append_changes(&moved, b"more").expect("append");
    store
        .compact_doc(&existing.id, b"snapshot", more)
        .expect("compact");
    store
        .put_sync_states(device, &[(created.id, vec![1]), (existing.id, vec![6])])
        .expect("put state");
    store.abort_batch().expect("abort");
    assert!(store.doc(&created.id).expect("query").is_none());
    assert!(chunks(store, &created.id).is_empty());
    assert_eq!(
        store.doc(&existing.id).expect("query"),
        Some(existing.clone())
    );
    assert_eq!(chunks(store, &existing.id), vec![b"old".to_vec()]);
    assert!(
        store
            .sync_state(device, &created.id)
            .expect("query")
            .is_none()
    );
    assert_eq!(
        store.sync_state(device, &existing.id).expect("query"),
        Some(vec![5])
    );
}

fn a_failed_write_in_a_group_leaves_the_others(store: &mut dyn DocStore) {
    let first = record(GRID_A, DocKind::Household);
    let second = record(GRID_B, DocKind::Household);
    store.begin_batch().expect("begin");
    store.create_doc(&first, b"first").expect("create");
    assert!(matches!(
        store.create_doc(&first, b"again"),
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(matches!(
        store.append_changes(&record(GRID_A, DocKind::Household), b"x"),
        Err(StoreError::NotFound(_))
    ));
    store.create_doc(&second, b"second").expect("create");
    store.commit_batch().expect("commit");
    assert_eq!(store.doc(&first.id).expect("query"), Some(first.clone()));
    assert_eq!(chunks(store, &first.id), vec![b"first".to_vec()]);
    assert_eq!(store.doc(&second.id).expect("query"), Some(second.clone()));
}

fn aborting_without_a_group_changes_nothing(store: &mut dyn DocStore) {
    let rec = record(GRID_A, DocKind::Household);
    store.create_doc(&rec, b"first").expect("create");
    store.abort_batch().expect("abort without a group");
    assert_eq!(
        store.doc(&rec.id).expect("query"),
        Some(rec.clone()),
        "a write outside a group is stored at once"
    );
    assert_eq!(chunks(store, &rec.id), vec![b"first".to_vec()]);
}

fn groups_follow_one_another(store: &mut dyn DocStore) {
    let device = Uuid::new_v4();
    store.begin_batch().expect("begin");
    let dropped = record(GRID_A, DocKind::Household);
    store.create_doc(&dropped, b"dropped").expect("create");
    store.abort_batch().expect("abort");
    store.begin_batch().expect("begin after an abort");
    let kept = record(GRID_A, DocKind::Household);
    store.create_doc(&kept, b"kept").expect("create");
    store.commit_batch().expect("commit");
    store.begin_batch().expect("begin after a commit");
    store
        .put_sync_states(device, &[(kept.id, vec![1])])
        .expect("put");
    store.commit_batch().expect("commit");
    let after = record(GRID_B, DocKind::Checks);
    store
        .create_doc(&after, b"after")
        .expect("create outside a group");
    assert!(store.doc(&dropped.id).expect("query").is_none());
    assert_eq!(store.doc(&kept.id).expect("query"), Some(kept.clone()));
    assert_eq!(
        store.sync_state(device, &kept.id).expect("query"),
        Some(vec![1])
    );
    assert_eq!(store.doc(&after.id).expect("query"), Some(after));
}

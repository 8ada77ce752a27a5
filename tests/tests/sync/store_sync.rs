//! Two stores syncing through `generate_sync_message` / `receive_sync_message`, no sockets.

use std::collections::BTreeSet;

use wangge_core::*;

use crate::helpers::*;

/// Exchanges sync messages for every doc either side has until neither has anything to
/// say (bounded); returns the number of messages sent.
fn sync_until_quiet(a: &mut Store, b: &mut Store) -> usize {
    let mut ids: BTreeSet<DocumentId> = BTreeSet::new();
    for s in [&*a, &*b] {
        ids.extend(s.doc_ids().unwrap().into_iter().map(|(id, _, _)| id));
    }
    let mut sent = 0;
    for _round in 0..50 {
        let mut quiet = true;
        for id in &ids {
            if let Some(m) = a.generate_sync_message(id, "b").unwrap() {
                b.receive_sync_message(id, "a", &m).unwrap();
                quiet = false;
                sent += 1;
            }
            if let Some(m) = b.generate_sync_message(id, "a").unwrap() {
                a.receive_sync_message(id, "b", &m).unwrap();
                quiet = false;
                sent += 1;
            }
        }
        if quiet {
            return sent;
        }
    }
    panic!("sync did not go quiet in 50 rounds");
}

fn offline_edits(a: &mut Store, b: &mut Store) {
    let ha = a.create_household(&grid_a(), &flat("501")).unwrap();
    a.add_resident(ha, &person("王芳", Relation::Head)).unwrap();
    let hb = b.create_household(&grid_a(), &flat("502")).unwrap();
    b.add_resident(hb, &person("李强", Relation::Head)).unwrap();
    b.add_resident(hb, &person("李小明", Relation::Child))
        .unwrap();
}

#[test]
fn two_stores_converge_through_sync_messages() {
    let mut a = store_as("a");
    let mut b = store_as("b");
    offline_edits(&mut a.store, &mut b.store);
    sync_until_quiet(&mut a.store, &mut b.store);
    let va = view(&mut a.store);
    assert_eq!(va.len(), 2);
    assert_eq!(va, view(&mut b.store));
    for (id, _, _) in a.store.doc_ids().unwrap() {
        assert!(!a.store.doc_bytes(&id).unwrap().is_empty());
        assert!(a.store.sync_acknowledged(&id, "b").unwrap());
        assert!(b.store.sync_acknowledged(&id, "a").unwrap());
    }
    // Once in sync, nothing more to say; a new session (from saved states) is cheap.
    assert_eq!(sync_until_quiet(&mut a.store, &mut b.store), 0);
    a.store.begin_sync_session("b");
    b.store.begin_sync_session("a");
    let again = sync_until_quiet(&mut a.store, &mut b.store);
    assert!(again <= 2 * a.store.doc_ids().unwrap().len() + 2, "{again}");
    // A later edit on one side arrives on the other.
    let h = a.store.households_of_grid(&grid_a()).unwrap()[0].id;
    a.store
        .add_resident(h, &person("赵敏", Relation::Spouse))
        .unwrap();
    sync_until_quiet(&mut a.store, &mut b.store);
    assert_eq!(view(&mut a.store), view(&mut b.store));
}

#[test]
fn received_changes_survive_reopen_and_states_persist() {
    let dir_a = tempfile::tempdir().unwrap();
    let key = DbKey::generate();
    let cfg = StoreConfig {
        synchronous: Synchronous::Normal,
        ..Default::default()
    };
    let path = dir_a.path().join("wangge.db");
    let mut a = Store::open(&path, &key, cfg.clone()).unwrap();
    let mut b = store_as("b");
    offline_edits(&mut a, &mut b.store);
    sync_until_quiet(&mut a, &mut b.store);
    let before = view(&mut a);
    drop(a);
    let mut a = Store::open(&path, &key, cfg).unwrap();
    assert_eq!(
        view(&mut a),
        before,
        "received changes and index rows are on disk"
    );
    // Starting from saved states only shared heads are known: a resync sends no changes.
    b.store.begin_sync_session("a");
    let ids = doc_id_list(&a);
    for id in &ids {
        if let Some(m) = a.generate_sync_message(id, "b").unwrap() {
            let outcome = b.store.receive_sync_message(id, "a", &m).unwrap();
            assert_eq!(outcome.new_changes, 0);
        }
    }
}

#[test]
fn bad_sync_bytes_are_refused_with_nothing_written() {
    let mut a = store_as("a");
    let mut b = store_as("b");
    offline_edits(&mut a.store, &mut b.store);
    let before = view(&mut b.store);
    let id = a.store.doc_ids().unwrap()[0].0;
    for bad in [&b""[..], b"\x00\x01garbage", &[0x42; 64][..]] {
        assert!(b.store.receive_sync_message(&id, "a", bad).is_err());
    }
    // A valid message with its change bytes corrupted.
    let mut m = a.store.generate_sync_message(&id, "b").unwrap().unwrap();
    let n = m.len();
    m[n / 2] ^= 0xff;
    let _ = b.store.receive_sync_message(&id, "a", &m);
    assert_eq!(view(&mut b.store), before);
    // An unknown doc is created empty: a first message about it is fine.
    let fresh = DocumentId::random();
    let m = a.store.generate_sync_message(&fresh, "b").unwrap();
    if let Some(m) = m {
        b.store.receive_sync_message(&fresh, "a", &m).unwrap();
    }
    assert_eq!(b.store.integrity_check().unwrap(), "ok");
}

/// A plain automerge peer's first sync message (the relay's, say) names a document's heads
/// before any change arrives; the receiver then knows the document without content. A user
/// action that creates that document (a grid's index, a day of checks) must still work,
/// and merge with what arrives later.
#[test]
fn an_action_on_a_document_known_only_from_a_first_sync_message_succeeds() {
    use automerge::sync::SyncDoc;

    let mut a = store_as("a");
    let mut b = store_as("b");
    let ha = a.store.create_household(&grid_a(), &flat("501")).unwrap();
    let ids = doc_id_list(&a.store);
    let mut stubs = 0;
    for id in &ids {
        let doc = automerge::Automerge::load(&a.store.doc_bytes(id).unwrap()).unwrap();
        let first = doc.generate_sync_message(&mut automerge::sync::State::new());
        if let Some(m) = first.map(automerge::sync::Message::encode) {
            let outcome = b.store.receive_sync_message(id, "a", &m).unwrap();
            assert_eq!(outcome.new_changes, 0, "a first message carries no changes");
            stubs += 1;
        }
    }
    assert!(stubs >= 2, "the household and the grid index are announced");
    assert!(view(&mut b.store).is_empty());
    // The household action writes the grid index, which B knows only by its id.
    let hb = b.store.create_household(&grid_a(), &flat("502")).unwrap();
    b.store
        .add_resident(hb, &person("李强", Relation::Head))
        .unwrap();
    sync_until_quiet(&mut a.store, &mut b.store);
    let va = view(&mut a.store);
    assert_eq!(va.len(), 2);
    assert_eq!(va, view(&mut b.store));
    for s in [&mut a.store, &mut b.store] {
        let mut index = s.grid_index(&grid_a()).unwrap();
        index.sort();
        let mut want = vec![ha, hb];
        want.sort();
        assert_eq!(index, want, "both grid indexes list both households");
    }
}

/// A document never synced with the peer goes whole in the first message (no round trip
/// waiting for the peer to ask); one synced before starts from the saved shared heads and
/// sends its changes only once the peer has said what it holds.
#[test]
fn a_document_never_synced_goes_whole_in_the_first_message() {
    let mut a = store_as("a");
    let mut b = store_as("b");
    let h = a.store.create_household(&grid_a(), &flat("601")).unwrap();
    a.store
        .add_resident(h, &person("孙丽", Relation::Head))
        .unwrap();
    let ids = doc_id_list(&a.store);
    for id in &ids {
        let m = a.store.generate_sync_message(id, "b").unwrap().unwrap();
        let outcome = b.store.receive_sync_message(id, "a", &m).unwrap();
        assert!(outcome.new_changes > 0, "the first message carries the doc");
    }
    assert_eq!(view(&mut b.store), view(&mut a.store));
    assert_eq!(view(&mut b.store).len(), 1);
    sync_until_quiet(&mut a.store, &mut b.store);

    // Synced once: a new session with a new edit waits for the peer's answer.
    a.store
        .add_resident(h, &person("孙小雨", Relation::Child))
        .unwrap();
    a.store.begin_sync_session("b");
    b.store.begin_sync_session("a");
    let doc = DocumentId::from_uuid(h.0);
    let m = a.store.generate_sync_message(&doc, "b").unwrap().unwrap();
    assert_eq!(
        b.store
            .receive_sync_message(&doc, "a", &m)
            .unwrap()
            .new_changes,
        0
    );
    sync_until_quiet(&mut a.store, &mut b.store);
    assert_eq!(view(&mut b.store), view(&mut a.store));
}

/// Every document id the store holds.
fn doc_id_list(store: &Store) -> Vec<DocumentId> {
    store
        .doc_ids()
        .unwrap()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect()
}

/// Reads treat a document a peer has only named (a stub: no change here yet) as absent:
/// a report whose dispatch document is such a stub shows no status history and takes a
/// new status; a day of checks, a household and a grid index known only so read as
/// missing, not as damaged.
#[test]
fn reads_treat_a_document_known_only_by_name_as_absent() {
    use automerge::sync::SyncDoc;

    let mut a = store_as("a");
    let mut b = store_as("b");
    let h = a.store.create_household(&grid_a(), &flat("701")).unwrap();
    let r = a
        .store
        .add_resident(h, &person("周红", Relation::Head))
        .unwrap();
    a.store
        .record_checks(
            Slot::Morning,
            &[CheckInput {
                resident: r,
                temperature: "36.6".into(),
                method: Method::InPerson,
            }],
        )
        .unwrap();
    let report = a
        .store
        .file_report(
            &grid_a(),
            &ReportInput {
                category: Category::ALL[0],
                severity: Severity::Minor,
                place: "7栋".into(),
                gps: None,
                description: "楼道堆物".into(),
                photos: vec![],
            },
        )
        .unwrap();
    a.store
        .add_report_status(report, ReportStatus::Dispatched, "派单", None, None)
        .unwrap();
    let report_doc = DocumentId::from_uuid(report.0);
    for id in doc_id_list(&a.store) {
        if id == report_doc {
            let changes = a.store.doc_changes(&id).unwrap();
            b.store.apply_changes(&id, &changes).unwrap();
            continue;
        }
        // What a plain automerge peer (the relay) says first: heads, no changes.
        let doc = automerge::Automerge::load(&a.store.doc_bytes(&id).unwrap()).unwrap();
        let m = doc
            .generate_sync_message(&mut automerge::sync::State::new())
            .unwrap()
            .encode();
        let outcome = b.store.receive_sync_message(&id, "a", &m).unwrap();
        assert_eq!(outcome.new_changes, 0);
    }
    let (_, events) = b.store.report(report).unwrap();
    assert!(events.is_empty(), "the dispatch history has not arrived");
    let today = b.store.today();
    assert!(
        b.store
            .household_checks(&grid_a(), h, today)
            .unwrap()
            .is_empty()
    );
    assert!(b.store.grid_index(&grid_a()).unwrap().is_empty());
    assert_eq!(b.store.household(h).unwrap_err().code(), "not_found");
    b.store
        .add_report_status(report, ReportStatus::Handling, "处置中", None, None)
        .unwrap();
    // Once the rest arrives, both histories merge.
    sync_until_quiet(&mut a.store, &mut b.store);
    let (_, events) = b.store.report(report).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        b.store.report(report).unwrap(),
        a.store.report(report).unwrap()
    );
}

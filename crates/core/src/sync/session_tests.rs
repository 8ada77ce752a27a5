//! [`Session`]'s decisions over a real encrypted store, without sockets.

use std::collections::BTreeMap;

use wangge_proto::{DocumentId, Message, PeerId, WanggeCapabilities};

use super::LinkError;
use super::session::Session;
use crate::model::{
    Address, Category, GridCode, HouseholdId, HouseholdInput, Relation, ReportInput,
    ResidenceStatus, ResidentInput, Severity,
};
use crate::store::{Interest, Store};
use crate::{DbKey, DocKind, StoreConfig, Synchronous};

const GRID: &str = "110105001001001";

struct Fixture {
    store: Store,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        member: "member-1".into(),
        synchronous: Synchronous::Normal,
        ..Default::default()
    };
    let store = Store::open(&dir.path().join("wangge.db"), &DbKey::generate(), cfg).unwrap();
    Fixture { store, _dir: dir }
}

fn grid() -> GridCode {
    GridCode::parse(GRID).unwrap()
}

fn household(store: &mut Store, room: &str) -> HouseholdId {
    let input = HouseholdInput {
        address: Address::Flat {
            estate: "幸福小区".into(),
            building: "1".into(),
            unit: "1".into(),
            room: room.into(),
        },
        tags: vec![],
        needs_home_visit: false,
        notes: String::new(),
    };
    store.create_household(&grid(), &input).unwrap()
}

fn resident(store: &mut Store, h: HouseholdId) {
    let input = ResidentInput {
        name: "王芳".into(),
        id_number: String::new(),
        phone: String::new(),
        relation: Some(Relation::Head),
        status: Some(ResidenceStatus::Registered),
        tags: vec![],
        notes: String::new(),
    };
    store.add_resident(h, &input).unwrap();
}

fn report(store: &mut Store) -> DocumentId {
    let input = ReportInput {
        category: Category::ALL[0],
        severity: Severity::Minor,
        place: "3栋".into(),
        gps: None,
        description: "楼道堆放杂物".into(),
        photos: vec![],
    };
    DocumentId::from_uuid(store.file_report(&grid(), &input).unwrap().0)
}

fn session(summary: bool, kinds: Option<Vec<&str>>) -> Session {
    let caps = kinds.map(|k| WanggeCapabilities::new(["scope-push"]).with_kinds(k));
    Session::new(
        PeerId::new("device-1".to_owned()),
        PeerId::new("relay".to_owned()),
        summary,
        caps,
    )
}

/// The documents `msgs` carry `sync` messages for.
fn synced_docs(msgs: &[Message]) -> Vec<DocumentId> {
    let mut ids: Vec<DocumentId> = msgs
        .iter()
        .filter_map(|m| match m {
            Message::Sync { document_id, .. } => Some(*document_id),
            _ => None,
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_first_round_leaves_out_kinds_the_relay_does_not_take() {
    let mut f = fixture();
    let h = household(&mut f.store, "101");
    let r = report(&mut f.store);
    let kinds: Vec<&str> = DocKind::codes().filter(|k| *k != "report").collect();

    let mut s = session(true, Some(kinds.clone()));
    let msgs = s.first_round(&mut f.store).unwrap();
    let Some(Message::HeadsSummary { docs, .. }) = msgs.first() else {
        panic!("a summary first: {msgs:?}");
    };
    let ids: Vec<DocumentId> = docs.iter().map(|(id, _)| *id).collect();
    assert!(ids.contains(&DocumentId::from_uuid(h.0)));
    assert!(!ids.contains(&r), "the report is held back");
    assert!(
        matches!(msgs.last(), Some(Message::Request { .. })),
        "then the barrier"
    );
    let counts = s.count(&mut f.store).unwrap();
    assert_eq!(counts.waiting, 1);
    assert_eq!(counts.reasons, BTreeMap::from([("unknown-kind", 1)]));

    // The standard protocol holds it back the same way; a relay naming no kinds takes it.
    let mut s = session(false, Some(kinds));
    assert!(!synced_docs(&s.first_round(&mut f.store).unwrap()).contains(&r));
    let mut s = session(false, None);
    assert!(synced_docs(&s.first_round(&mut f.store).unwrap()).contains(&r));
}

#[test]
fn a_saved_action_is_sent_for_exactly_the_documents_it_changed() {
    let mut f = fixture();
    let homes: Vec<HouseholdId> = (0..40)
        .map(|i| household(&mut f.store, &format!("{i}")))
        .collect();
    let feed = f.store.subscribe(Interest::Everything);
    let mut s = session(false, None);
    s.first_round(&mut f.store).unwrap();
    s.count(&mut f.store).unwrap();

    resident(&mut f.store, homes[7]);
    let changes = feed.take();
    let one = DocumentId::from_uuid(homes[7].0);
    assert_eq!(changes.docs.iter().copied().collect::<Vec<_>>(), vec![one]);
    assert!(!changes.uploads);
    let msgs = s.local_changes(&mut f.store, changes.docs).unwrap();
    assert_eq!(synced_docs(&msgs), vec![one]);
}

#[test]
fn a_refused_document_waits_for_the_next_connection() {
    let mut f = fixture();
    let h = household(&mut f.store, "101");
    let doc = DocumentId::from_uuid(h.0);
    let mut s = session(false, None);
    s.first_round(&mut f.store).unwrap();
    s.on_refused(&mut f.store, doc, "scope-forbidden").unwrap();
    let counts = s.count(&mut f.store).unwrap();
    assert_eq!(
        (counts.waiting, counts.reasons.clone()),
        (1, BTreeMap::from([("scope-forbidden", 1)]))
    );
    assert!(!s.needs_count());

    // Edited meanwhile: still not offered on this connection, nor by a periodic round.
    resident(&mut f.store, h);
    assert!(s.local_changes(&mut f.store, [doc]).unwrap().is_empty());
    assert!(synced_docs(&s.retry(&mut f.store).unwrap()).is_empty());

    // A transient refusal is offered again by the next periodic round.
    let other = DocumentId::from_uuid(household(&mut f.store, "102").0);
    s.local_changes(&mut f.store, [other]).unwrap();
    s.on_refused(&mut f.store, other, "busy").unwrap();
    let again = synced_docs(&s.retry(&mut f.store).unwrap());
    assert!(again.contains(&other) && !again.contains(&doc), "{again:?}");

    // The next connection offers the refused one again.
    f.store.begin_sync_session("relay");
    let mut next = session(false, None);
    assert!(synced_docs(&next.first_round(&mut f.store).unwrap()).contains(&doc));
}

#[test]
fn doc_unavailable_marks_a_held_document_waiting_and_an_unknown_one_unavailable() {
    let mut f = fixture();
    let doc = DocumentId::from_uuid(household(&mut f.store, "101").0);
    let mut s = session(false, None);
    s.first_round(&mut f.store).unwrap();
    s.on_unavailable(&mut f.store, doc).unwrap();
    s.on_unavailable(&mut f.store, DocumentId::random())
        .unwrap();
    let counts = s.count(&mut f.store).unwrap();
    assert_eq!((counts.waiting, counts.unavailable), (1, 1));
    assert_eq!(counts.reasons, BTreeMap::from([("doc-unavailable", 1)]));
    assert!(!counts.barrier, "an unrelated answer is not the barrier");
}

#[test]
fn a_heads_reply_without_a_summary_breaks_the_protocol() {
    let mut f = fixture();
    let mut s = session(false, None);
    s.first_round(&mut f.store).unwrap();
    assert_eq!(
        s.on_heads_reply(&mut f.store, vec![]).unwrap_err(),
        LinkError::Protocol
    );
}

//! Refused documents never break sync: a relay that does not take a kind, or refuses a
//! document, costs that document alone. It waits on the device, nothing is lost, every
//! other document syncs meanwhile, the link stays up, and the next connection (to a relay
//! that takes it) lets it through.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT};
use wangge_core::sync::SyncStatus;
use wangge_core::*;

use crate::fake_relay::{FakeRelay, Refuse};
use crate::helpers::*;

const WITHIN: Duration = Duration::from_secs(30);

fn status(d: &TestDevice) -> SyncStatus {
    d.engine.as_ref().unwrap().status().borrow().clone()
}

fn reasons(pairs: &[(&'static str, usize)]) -> BTreeMap<&'static str, usize> {
    pairs.iter().copied().collect()
}

/// A document as a newer app would write it: a kind this build does not know (`survey`).
fn notice_doc() -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "kind", "survey").unwrap();
    tx.put(ROOT, "scope", GRID_A).unwrap();
    let notice = tx.put_object(ROOT, "notice", ObjType::Map).unwrap();
    tx.put(&notice, "title", "停水通知").unwrap();
    tx.commit();
    doc
}

fn sorted_heads(doc: &Automerge) -> Vec<automerge::ChangeHash> {
    let mut h = doc.get_heads();
    h.sort();
    h
}

/// Households with residents and one report, written offline; returns the report's
/// documents and every other document.
fn records(d: &TestDevice) -> (Vec<DocumentId>, Vec<DocumentId>) {
    d.with(|s| {
        for room in ["101", "102", "103"] {
            let h = s.create_household(&grid_a(), &flat(room)).unwrap();
            s.add_resident(h, &person("王芳", Relation::Head)).unwrap();
        }
        s.file_report(
            &grid_a(),
            &ReportInput {
                category: Category::ALL[0],
                severity: Severity::Minor,
                place: "3栋".into(),
                gps: None,
                description: "楼道堆放杂物".into(),
                photos: vec![],
            },
        )
        .unwrap();
        let ids = s.doc_ids().unwrap();
        let (reports, others): (Vec<_>, Vec<_>) = ids
            .into_iter()
            .partition(|(_, k, _)| *k == Some(DocKind::Report));
        (
            reports.into_iter().map(|(id, _, _)| id).collect(),
            others.into_iter().map(|(id, _, _)| id).collect(),
        )
    })
}

/// A relay that does not take reports (and pushes a document of a kind the device does not
/// know), then the real relay: the report waits and then syncs, the unknown document is
/// kept, nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_of_a_kind_the_relay_does_not_take_wait_and_sync_once_one_does() {
    let relay = spawn_relay().await;
    let mut d = TestDevice::new(&relay, GRID_A).await;
    let (reports, others) = records(&d);
    assert_eq!(reports.len(), 1);
    let before = d.with(view);

    let kinds: Vec<String> = DocKind::codes()
        .filter(|k| *k != DocKind::Report.code())
        .map(str::to_owned)
        .collect();
    let notice_id = DocumentId::random();
    let notice = notice_doc();
    let fake = FakeRelay::start(
        Some(kinds),
        vec![(notice_id, notice.clone())],
        HashMap::new(),
    )
    .await;
    d.start(&fake.url(), fast());
    d.wait_synced(WITHIN).await;
    eventually(
        WITHIN,
        "every other document reaches the fake relay",
        || {
            others
                .iter()
                .all(|id| fake.heads(id) == Some(d.with(|s| device_heads_of(s, id))))
        },
    )
    .await;
    let st = status(&d);
    assert!(st.synced && st.online, "{st:?}");
    assert_eq!(st.docs_waiting, 1, "{st:?}");
    assert_eq!(st.waiting_reasons, reasons(&[("unknown-kind", 1)]));
    assert_eq!((st.connections, st.last_error), (1, None), "{st:?}");
    assert!(!fake.seen(&reports[0]), "the report was never offered");

    // The newer app's document is kept, unindexed, without an error.
    eventually(WITHIN, "the unknown kind's document is kept", || {
        d.with(|s| {
            s.doc_ids()
                .unwrap()
                .iter()
                .any(|(id, _, _)| *id == notice_id)
        })
    })
    .await;
    assert_eq!(
        d.with(|s| device_heads_of(s, &notice_id)),
        sorted_heads(&notice)
    );
    let kept = d.with(|s| s.doc_ids().unwrap());
    assert!(
        kept.iter()
            .any(|(id, k, _)| *id == notice_id && k.is_none())
    );
    assert_eq!(d.with(view), before, "the ledger reads as before");

    // The real relay takes reports but not surveys (no app knows them yet): now the survey waits, the report goes.
    d.engine = None;
    d.start(&relay.url(), fast());
    d.wait_synced(WITHIN).await;
    eventually(WITHIN, "the held-back report reaches the relay", || {
        relay_heads_of(&relay, &reports[0]) == Some(d.with(|s| device_heads_of(s, &reports[0])))
    })
    .await;
    for id in &others {
        assert_eq!(
            relay_heads_of(&relay, id),
            Some(d.with(|s| device_heads_of(s, id)))
        );
    }
    let st = status(&d);
    assert_eq!(st.docs_waiting, 1, "{st:?}");
    assert_eq!(st.waiting_reasons, reasons(&[("unknown-kind", 1)]));
    assert!(relay_heads_of(&relay, &notice_id).is_none());
    assert_eq!(
        d.with(|s| device_heads_of(s, &notice_id)),
        sorted_heads(&notice)
    );
    assert_eq!(d.with(view), before, "nothing was lost");
    assert_eq!(st.last_error, None);
    relay.stop().await;
}

/// The real relay refuses a member's document of another grid as `scope-forbidden`, for
/// that document alone: the rest syncs, edits keep flowing on the same connection.
async fn another_grids_document_is_refused_alone(heads_summary: bool) {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let grid_b: GridCode = GRID_B.parse().unwrap();
    let (mine, theirs) = a.with(|s| {
        let h = s.create_household(&grid_a(), &flat("201")).unwrap();
        s.add_resident(h, &person("王芳", Relation::Head)).unwrap();
        let hb = s.create_household(&grid_b, &flat("301")).unwrap();
        s.add_resident(hb, &person("李强", Relation::Head)).unwrap();
        (h, hb)
    });
    let b_docs: Vec<DocumentId> = a.with(|s| {
        s.doc_ids()
            .unwrap()
            .into_iter()
            .filter(|(_, _, scope)| scope == GRID_B)
            .map(|(id, _, _)| id)
            .collect()
    });
    assert_eq!(b_docs.len(), 2, "grid B's household and index");
    a.start(
        &relay.url(),
        wangge_core::sync::SyncConfig {
            heads_summary,
            ..fast()
        },
    );
    a.wait_synced(WITHIN).await;
    let mut rx = a.engine.as_ref().unwrap().status();
    eventually(WITHIN, "grid B's documents wait as scope-forbidden", || {
        rx.borrow_and_update().waiting_reasons == reasons(&[("scope-forbidden", 2)])
    })
    .await;
    let doc = DocumentId::from_uuid(mine.0);
    assert_eq!(
        relay_heads_of(&relay, &doc),
        Some(a.with(|s| device_heads_of(s, &doc)))
    );
    for id in &b_docs {
        assert!(relay_heads_of(&relay, id).is_none(), "nothing of it stored");
    }

    // The link stays up: an edit saved now goes on the same connection, unnudged.
    a.with(|s| {
        s.add_resident(mine, &person("王小明", Relation::Child))
            .unwrap()
    });
    eventually(WITHIN, "the edit reaches the relay", || {
        relay_heads_of(&relay, &doc) == Some(a.with(|s| device_heads_of(s, &doc)))
    })
    .await;
    a.wait_synced(WITHIN).await;
    let st = status(&a);
    assert!(st.online && st.synced, "{st:?}");
    assert_eq!((st.connections, st.last_error), (1, None), "{st:?}");
    assert_eq!(st.docs_waiting, 2, "{st:?}");
    // Kept on the device.
    let kept = a.with(|s| s.household(theirs).unwrap());
    assert_eq!(kept.residents.len(), 1);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_grids_document_is_refused_alone_with_the_heads_summary() {
    another_grids_document_is_refused_alone(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_grids_document_is_refused_alone_with_the_standard_protocol() {
    another_grids_document_is_refused_alone(false).await;
}

/// A `busy` refusal is retried on the same connection; a plain `doc-unavailable` for a
/// document the device holds waits until the next connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_document_is_retried_on_the_same_connection_and_an_unavailable_one_waits() {
    let relay = spawn_relay().await;
    let mut d = TestDevice::new(&relay, GRID_A).await;
    let (busy, gone) = d.with(|s| {
        let a = s.create_household(&grid_a(), &flat("401")).unwrap();
        let b = s.create_household(&grid_a(), &flat("402")).unwrap();
        (DocumentId::from_uuid(a.0), DocumentId::from_uuid(b.0))
    });
    let refuse = HashMap::from([
        (busy, Refuse::Reason("busy", 1)),
        (gone, Refuse::Unavailable),
    ]);
    let fake = FakeRelay::start(None, vec![], refuse).await;
    d.start(&fake.url(), fast());
    eventually(
        WITHIN,
        "the busy document goes through on a later round",
        || fake.heads(&busy) == Some(d.with(|s| device_heads_of(s, &busy))),
    )
    .await;
    d.wait_synced(WITHIN).await;
    let mut rx = d.engine.as_ref().unwrap().status();
    eventually(WITHIN, "the unavailable document waits", || {
        rx.borrow_and_update().waiting_reasons == reasons(&[("doc-unavailable", 1)])
    })
    .await;
    let st = status(&d);
    assert_eq!((st.connections, st.docs_waiting), (1, 1), "{st:?}");
    assert!(fake.heads(&gone).is_none());
    let sent = fake.refusals_sent();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        fake.refusals_sent(),
        sent,
        "a waiting document is not offered again on this connection"
    );
    // The next connection offers it again (and this fake relay refuses it again).
    d.engine = None;
    d.start(&fake.url(), fast());
    eventually(WITHIN, "offered again on the next connection", || {
        fake.refusals_sent() > sent
    })
    .await;
    relay.stop().await;
}

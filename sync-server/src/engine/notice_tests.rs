//! Notices (通知) and receipts (回执) through the hub: a notice is served downward, to the
//! grids under the unit it is sent in and to no others, at the handshake and when it is
//! announced; only its sender writes it, and never rewrites it; in a grid's receipts
//! document each recipient writes only its own receipt and clues, and the sender is
//! served them all. What the relay refuses is never stored.

use std::time::Instant;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc, Value};
use uuid::Uuid;
use wangge_proto::{
    DocumentId, FEATURE_HEADS_SUMMARY, FEATURE_SCOPE_PUSH, Message, PeerId, RefusalReason,
};
use wangge_schema::notice::{
    Audience, Clue, NOTICE, NOTICE_ID_KEY, Notice, NoticeSort, Priority, Receipt, Reminder,
    read_notice, read_receipts, receipts_attrs, receipts_doc_id, write_clue, write_notice,
    write_receipt, write_reminder,
};
use wangge_schema::{DocKind, GridCode, Role, ScopeCode, genesis};

use super::refusal_tests::{join_wangge, sync_doc};
use super::tests::{digest, enrolled, join_wangge_with, summarize};
use super::{EngineLimits, Hub, Output};
use crate::engine::guard::load_chunks;
use crate::store::sqlite::SqliteStore;
use crate::store::{AccountStore, DeviceAuth};

pub(super) const STREET: &str = "110105001";
const COMMUNITY: &str = "110105001001";
pub(super) const GRID: &str = "110105001001001";
const OTHER_STREET: &str = "110105002";
const OTHER_COMMUNITY: &str = "110105002001";
const FAR_GRID: &str = "110105002001001";

/// A street with its centre (two users), two members of one grid, and a member of a grid
/// of another street.
pub(super) struct Street {
    pub(super) hub: Hub,
    pub(super) centre: DeviceAuth,
    pub(super) centre2: DeviceAuth,
    pub(super) member_a: DeviceAuth,
    pub(super) member_b: DeviceAuth,
    pub(super) far: DeviceAuth,
    next_conn: u64,
}

pub(super) fn code(s: &str) -> ScopeCode {
    ScopeCode::parse(s).unwrap()
}

pub(super) fn street() -> Street {
    let mut store = SqliteStore::open_in_memory().unwrap();
    for c in [STREET, COMMUNITY, OTHER_STREET, OTHER_COMMUNITY] {
        store.add_division(&code(c), c).unwrap();
    }
    for g in [GRID, FAR_GRID] {
        store.add_grid(&code(g), g).unwrap();
    }
    let centre = enrolled(&mut store, Role::Centre, STREET, "centre");
    let centre2 = enrolled(&mut store, Role::Centre, STREET, "centre2");
    let member_a = enrolled(&mut store, Role::Member, GRID, "a");
    let member_b = enrolled(&mut store, Role::Member, GRID, "b");
    let far = enrolled(&mut store, Role::Member, FAR_GRID, "far");
    Street {
        hub: Hub::new(
            Box::new(store),
            PeerId::from("relay"),
            EngineLimits::default(),
        ),
        centre,
        centre2,
        member_a,
        member_b,
        far,
        next_conn: 1,
    }
}

/// A notice from `sender`, a user of `role` in `unit`, to the grid.
fn notice(sender: &DeviceAuth, role: Role, unit: &str) -> Notice {
    Notice {
        id: Uuid::new_v4(),
        sender: sender.user.id,
        sender_role: role,
        sender_unit: unit.into(),
        sort: NoticeSort::Notice,
        priority: Priority::Urgent,
        title: "防汛通知".into(),
        text: "今晚有暴雨,请检查地下室。".into(),
        photos: vec![],
        grids: vec![GRID.into()],
        audience: Audience::All,
        sent_ms: 1_795_000_000_000,
        ack_by_ms: None,
        person: None,
    }
}

/// The notice's document as its sender's device makes it: genesis in `scope`, then the
/// notice, written by the device's own actor.
fn notice_doc(n: &Notice, scope: &str) -> (DocumentId, Automerge) {
    let id = DocumentId::from_uuid(n.id);
    let mut doc = genesis(&id, DocKind::Notice, &code(scope), &[]).unwrap();
    doc.set_actor(ActorId::random());
    let mut tx = doc.transaction();
    write_notice(&mut tx, n).unwrap();
    tx.commit();
    (id, doc)
}

/// The receipts document of `notice` for the grid, as every recipient's device makes it.
fn receipts_doc(notice: Uuid) -> (DocumentId, Automerge) {
    let grid = GridCode::parse(GRID).unwrap();
    let id = receipts_doc_id(notice, &grid);
    let attr = receipts_attrs(notice);
    let mut doc = genesis(
        &id,
        DocKind::Receipts,
        grid.scope(),
        &[(NOTICE_ID_KEY, attr.as_str())],
    )
    .unwrap();
    doc.set_actor(ActorId::random());
    (id, doc)
}

pub(super) fn edit(
    doc: &mut Automerge,
    f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) {
    let mut tx = doc.transaction();
    f(&mut tx);
    tx.commit();
}

/// The document as the relay stored it.
pub(super) fn stored(hub: &Hub, id: &DocumentId) -> Automerge {
    load_chunks(&hub.store.doc_chunks(id).unwrap()).unwrap()
}

/// The sync messages in `out`, by connection and document.
fn syncs(out: &[Output]) -> Vec<(u64, DocumentId)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { conn, bytes } => match Message::decode(bytes) {
                Ok(Message::Sync { document_id, .. }) => Some((*conn, document_id)),
                _ => None,
            },
            Output::Close { .. } => None,
        })
        .collect()
}

impl Street {
    fn conn(&mut self) -> u64 {
        self.next_conn += 1;
        self.next_conn
    }

    /// A fresh connection of `who`'s device (every extension); returns its copy of `id`
    /// as the relay serves it (with `fetch`; empty if the relay has none), its sync state,
    /// the connection and its peer.
    fn device(
        &mut self,
        who: &DeviceAuth,
        id: DocumentId,
        fetch: bool,
    ) -> (Automerge, sync::State, u64, PeerId) {
        let conn = self.conn();
        let (peer, _) = join_wangge(&mut self.hub, conn, who);
        let mut doc = Automerge::new();
        let mut state = sync::State::new();
        if fetch && self.hub.store.doc(&id).unwrap().is_some() {
            let round = sync_doc(&mut self.hub, conn, &peer, id, &mut doc, &mut state);
            assert_eq!(round.refusal(id), None);
        }
        (doc, state, conn, peer)
    }

    /// What `who`'s device is served of `id` on a fresh connection (`None`: nothing).
    pub(super) fn served(&mut self, who: &DeviceAuth, id: DocumentId) -> Option<Automerge> {
        let (doc, _, conn, _) = self.device(who, id, true);
        self.hub.disconnect(conn);
        (!doc.get_heads().is_empty()).then_some(doc)
    }

    /// `who` edits the relay's copy of `id` (or `offline`, the document as its device
    /// made it without the relay's) and syncs; returns the refusal, if any.
    pub(super) fn write(
        &mut self,
        who: &DeviceAuth,
        id: DocumentId,
        offline: Option<&Automerge>,
        change: impl FnOnce(&mut Automerge),
    ) -> Option<RefusalReason> {
        let (mut doc, mut state, conn, peer) = self.device(who, id, offline.is_none());
        if let Some(own) = offline {
            doc = own.clone();
        }
        change(&mut doc);
        let round = sync_doc(&mut self.hub, conn, &peer, id, &mut doc, &mut state);
        assert!(!round.closed, "the connection goes on");
        self.hub.disconnect(conn);
        round.refusal(id)
    }

    /// The documents the relay offers `who` on joining with scope push.
    pub(super) fn offered(&mut self, who: &DeviceAuth) -> Vec<DocumentId> {
        let conn = self.conn();
        let (_, out) = join_wangge_with(&mut self.hub, conn, who, &[FEATURE_SCOPE_PUSH]);
        self.hub.disconnect(conn);
        let mut ids: Vec<DocumentId> = syncs(&out).into_iter().map(|(_, id)| id).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[test]
fn a_centres_notice_reaches_the_grids_under_its_street_and_no_others() {
    let mut s = street();
    let (centre, member_a, far) = (s.centre.clone(), s.member_a.clone(), s.far.clone());
    // Connected with scope push before the notice is sent.
    let (a_conn, far_conn) = (s.conn(), s.conn());
    join_wangge_with(&mut s.hub, a_conn, &member_a, &[FEATURE_SCOPE_PUSH]);
    join_wangge_with(&mut s.hub, far_conn, &far, &[FEATURE_SCOPE_PUSH]);

    let n = notice(&centre, Role::Centre, STREET);
    let (id, first) = notice_doc(&n, STREET);
    // The centre sends it, on a connection of its own; the announcement goes out.
    let conn = s.conn();
    let (peer, _) = join_wangge(&mut s.hub, conn, &centre);
    let mut doc = first.clone();
    let mut state = sync::State::new();
    let mut announced = Vec::new();
    for _ in 0..20 {
        let Some(m) = doc.generate_sync_message(&mut state) else {
            break;
        };
        let out = s.hub.receive(
            conn,
            Message::Sync {
                sender_id: peer.clone(),
                target_id: "relay".into(),
                document_id: id,
                data: m.encode(),
            },
            Instant::now(),
        );
        for o in &out {
            if let Output::Send { conn: c, bytes } = o
                && *c == conn
                && let Ok(Message::Sync { data, .. }) = Message::decode(bytes)
            {
                doc.receive_sync_message(&mut state, sync::Message::decode(&data).unwrap())
                    .unwrap();
            }
        }
        announced.extend(syncs(&out).into_iter().filter(|(c, _)| *c != conn));
    }
    assert!(s.hub.store.doc(&id).unwrap().is_some(), "registered");
    assert_eq!(
        announced,
        vec![(a_conn, id)],
        "offered to the grid's member, not to the other street's"
    );
    s.hub.disconnect(conn);

    // At the handshake (scope push): the member is offered it, the far member is not.
    assert!(s.offered(&member_a).contains(&id));
    assert!(!s.offered(&far).contains(&id));
    // Served whole to the member; the far member asking learns nothing.
    let copy = s.served(&member_a, id).expect("served");
    assert_eq!(read_notice(&copy).notice, Some(n));
    assert!(s.served(&far, id).is_none());
    let conn = s.conn();
    let (peer, _) = join_wangge(&mut s.hub, conn, &far);
    let ask = Automerge::new()
        .generate_sync_message(&mut sync::State::new())
        .expect("a first message");
    let out = s.hub.receive(
        conn,
        Message::Request {
            sender_id: peer,
            target_id: "relay".into(),
            document_id: id,
            data: ask.encode(),
        },
        Instant::now(),
    );
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Send { bytes, .. } if matches!(
            Message::decode(bytes),
            Ok(Message::DocUnavailable { document_id, .. }) if document_id == id
        )
    )));
    s.hub.disconnect(conn);

    // A heads summary: the member's stale copy is synced at once, the far member is told
    // to ask the standard way (as for an unknown document).
    let stale = digest(&Automerge::new());
    let features = [FEATURE_SCOPE_PUSH, FEATURE_HEADS_SUMMARY];
    for (who, readable) in [(&member_a, true), (&far, false)] {
        let conn = s.conn();
        let (peer, _) = join_wangge_with(&mut s.hub, conn, who, &features);
        let seen = summarize(&mut s.hub, conn, &peer, vec![(id, stale)]);
        let synced = seen
            .iter()
            .any(|m| matches!(m, Message::Sync { document_id, .. } if *document_id == id));
        let Some(Message::HeadsReply { sync, .. }) = seen.last() else {
            panic!("no heads reply: {seen:?}");
        };
        assert_eq!((synced, sync.contains(&id)), (readable, !readable));
        s.hub.disconnect(conn);
    }
}

#[test]
fn only_the_sender_writes_a_notice_and_never_rewrites_it() {
    let mut s = street();
    let (centre, centre2, member_a) = (s.centre.clone(), s.centre2.clone(), s.member_a.clone());

    // A member may not send notices at all.
    let by_member = notice(&member_a, Role::Member, GRID);
    let (mid, mdoc) = notice_doc(&by_member, GRID);
    assert_eq!(
        s.write(&member_a, mid, Some(&mdoc), |_| {}),
        Some(RefusalReason::KindForbidden)
    );
    assert!(s.hub.store.doc(&mid).unwrap().is_none());

    // Another centre user may not send one in the sender's name.
    let n = notice(&centre, Role::Centre, STREET);
    let (id, first) = notice_doc(&n, STREET);
    assert_eq!(
        s.write(&centre2, id, Some(&first), |_| {}),
        Some(RefusalReason::RecordForbidden)
    );
    assert!(s.hub.store.doc(&id).unwrap().is_none(), "nothing stored");
    assert_eq!(s.write(&centre, id, Some(&first), |_| {}), None);

    let reminder = |users: Vec<Uuid>| Reminder {
        id: Uuid::new_v4(),
        at_ms: 1_795_000_600_000,
        users,
    };
    // The other centre user may not add to it; the member who reads it may not write it.
    let r = reminder(vec![member_a.user.id]);
    assert_eq!(
        s.write(&centre2, id, None, |d| edit(d, |tx| {
            write_reminder(tx, &r).unwrap();
        })),
        Some(RefusalReason::RecordForbidden)
    );
    assert_eq!(
        s.write(&member_a, id, None, |d| edit(d, |tx| {
            write_reminder(tx, &r).unwrap();
        })),
        Some(RefusalReason::ScopeForbidden)
    );
    // The sender may not rewrite what it sent.
    let rewritten = s.write(&centre, id, None, |d| {
        let Some((Value::Object(ObjType::Map), obj)) = d.get(ROOT, NOTICE).unwrap() else {
            panic!("no notice");
        };
        edit(d, |tx| tx.put(&obj, "title", "改过的标题").unwrap());
    });
    assert_eq!(rewritten, Some(RefusalReason::RecordForbidden));
    // It reminds those who have not confirmed: taken.
    let mine = reminder(vec![member_a.user.id]);
    assert_eq!(
        s.write(&centre, id, None, |d| edit(d, |tx| {
            write_reminder(tx, &mine).unwrap();
        })),
        None
    );

    let kept = read_notice(&stored(&s.hub, &id));
    assert_eq!(kept.notice, Some(n), "as sent");
    assert_eq!(kept.reminders, vec![mine], "the sender's reminder alone");
    assert_eq!(s.hub.connections(), 0);
}

#[test]
fn each_recipient_writes_only_its_own_receipt_and_the_sender_reads_them_all() {
    let mut s = street();
    let (centre, member_a, member_b, far) = (
        s.centre.clone(),
        s.member_a.clone(),
        s.member_b.clone(),
        s.far.clone(),
    );
    let n = notice(&centre, Role::Centre, STREET);
    let (nid, ndoc) = notice_doc(&n, STREET);
    assert_eq!(s.write(&centre, nid, Some(&ndoc), |_| {}), None);
    let (rid, first) = receipts_doc(n.id);
    let receipt = |ms| Receipt {
        role: Some(Role::Member),
        delivered_ms: Some(ms),
        ..Receipt::default()
    };

    // Member A confirms delivery in its own name: taken (the document is new).
    let (a, b) = (member_a.user.id, member_b.user.id);
    assert_eq!(
        s.write(&member_a, rid, Some(&first), |d| edit(d, |tx| {
            write_receipt(tx, a, &receipt(10)).unwrap();
        })),
        None
    );
    // Not in B's name, and not by moving B's on once B wrote it.
    assert_eq!(
        s.write(&member_a, rid, None, |d| edit(d, |tx| {
            write_receipt(tx, b, &receipt(11)).unwrap();
        })),
        Some(RefusalReason::RecordForbidden)
    );
    // B's device made the document offline from the same genesis: its receipt merges.
    let mut offline = first.fork();
    edit(&mut offline, |tx| {
        write_receipt(tx, b, &receipt(12)).unwrap();
    });
    assert_eq!(s.write(&member_b, rid, Some(&offline), |_| {}), None);
    let confirm = Receipt {
        confirmed_ms: Some(20),
        reply: Some("收到".into()),
        ..Receipt::default()
    };
    assert_eq!(
        s.write(&member_a, rid, None, |d| edit(d, |tx| {
            write_receipt(tx, b, &confirm).unwrap();
        })),
        Some(RefusalReason::RecordForbidden)
    );
    // Clues name their writer.
    let clue = |by| Clue {
        id: Uuid::new_v4(),
        by,
        at_ms: 30,
        text: "公园见过".into(),
        place: "北门".into(),
        photos: vec!["ab".repeat(32)],
    };
    let (posing, own) = (clue(b), clue(a));
    assert_eq!(
        s.write(&member_a, rid, None, |d| edit(d, |tx| {
            write_clue(tx, &posing).unwrap();
        })),
        Some(RefusalReason::RecordForbidden)
    );
    assert_eq!(
        s.write(&member_a, rid, None, |d| edit(d, |tx| {
            write_clue(tx, &own).unwrap();
        })),
        None
    );
    // The centre reads receipts, never writes them.
    assert_eq!(
        s.write(&centre, rid, None, |d| edit(d, |tx| {
            write_receipt(tx, centre.user.id, &receipt(40)).unwrap();
        })),
        Some(RefusalReason::KindForbidden)
    );

    let kept = read_receipts(&stored(&s.hub, &rid));
    assert_eq!(kept.notice, Some(n.id));
    assert_eq!(kept.receipts.keys().copied().collect::<Vec<_>>(), {
        let mut both = vec![a, b];
        both.sort();
        both
    });
    assert_eq!(kept.receipts[&a].delivered_ms, Some(10));
    assert_eq!(kept.receipts[&b].delivered_ms, Some(12));
    assert_eq!(kept.receipts[&b].confirmed_ms, None, "B's stays B's");
    assert_eq!(kept.clues, vec![own]);

    // The sender is offered the grid's receipts with its notice and served them whole;
    // the far member neither.
    let offered = s.offered(&centre);
    assert!(offered.contains(&rid) && offered.contains(&nid));
    let served = s.served(&centre, rid).expect("served to the centre");
    assert_eq!(read_receipts(&served), kept);
    assert!(!s.offered(&far).contains(&rid));
    assert!(s.served(&far, rid).is_none());
    assert_eq!(s.hub.connections(), 0);
}

#[test]
fn a_receipt_is_pushed_live_to_the_sender_not_to_the_grids_other_recipients() {
    let mut s = street();
    let (centre, a, b) = (s.centre.clone(), s.member_a.clone(), s.member_b.clone());
    let n = notice(&centre, Role::Centre, STREET);
    let (nid, ndoc) = notice_doc(&n, STREET);
    assert_eq!(s.write(&centre, nid, Some(&ndoc), |_| {}), None);
    let (rid, first) = receipts_doc(n.id);
    let delivered = Receipt {
        role: Some(Role::Member),
        delivered_ms: Some(1_795_000_000_000),
        ..Receipt::default()
    };
    assert_eq!(
        s.write(&a, rid, Some(&first), |d| edit(d, |tx| {
            write_receipt(tx, a.user.id, &delivered).unwrap();
        })),
        None
    );
    // B (another recipient) and the centre both hold the receipts document, connected.
    let (_, _, b_conn, _) = s.device(&b, rid, true);
    let (_, _, c_conn, _) = s.device(&centre, rid, true);
    // A confirms on its own connection: what goes to the others?
    let (mut doc, mut state, a_conn, peer) = s.device(&a, rid, true);
    let confirmed = Receipt {
        confirmed_ms: Some(1_795_000_060_000),
        ..Receipt::default()
    };
    edit(&mut doc, |tx| {
        write_receipt(tx, a.user.id, &confirmed).unwrap()
    });
    let mut pushed = Vec::new();
    for _ in 0..20 {
        let Some(m) = doc.generate_sync_message(&mut state) else {
            break;
        };
        let out = s.hub.receive(
            a_conn,
            Message::Sync {
                sender_id: peer.clone(),
                target_id: "relay".into(),
                document_id: rid,
                data: m.encode(),
            },
            Instant::now(),
        );
        for o in &out {
            if let Output::Send { conn, bytes } = o
                && *conn == a_conn
                && let Ok(Message::Sync { data, .. }) = Message::decode(bytes)
            {
                doc.receive_sync_message(&mut state, sync::Message::decode(&data).unwrap())
                    .unwrap();
            }
        }
        pushed.extend(
            syncs(&out)
                .into_iter()
                .filter(|(c, _)| *c != a_conn)
                .map(|(c, _)| c),
        );
    }
    assert!(
        pushed.contains(&c_conn),
        "the sender follows its receipts live"
    );
    assert!(
        !pushed.contains(&b_conn),
        "another recipient is not pushed A's receipt"
    );
    // B gets it the next time it syncs the document.
    let later = s.served(&b, rid).expect("served");
    assert_eq!(
        read_receipts(&later).receipts[&a.user.id].confirmed_ms,
        confirmed.confirmed_ms
    );
    for c in [b_conn, c_conn, a_conn] {
        s.hub.disconnect(c);
    }
}

//! Documents the relay will not take are refused for that document alone: the connection
//! and every other document go on, and nothing of the refused one is stored.

use std::time::Instant;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT};
use wangge_proto::{
    DocumentId, FEATURE_DOC_REFUSED, FEATURE_HEADS_SUMMARY, FEATURE_SCOPE_PUSH, Message, PeerId,
    PeerMetadata, RefusalReason, WanggeCapabilities,
};
use wangge_schema::DocKind;

use super::tests::{GRID, GRID2, Setup, join, join_wangge_with, new_doc, new_doc_in, setup};
use super::{EngineLimits, Hub, Output};
use crate::store::DeviceAuth;

/// Joins as a Wangge device announcing every extension; returns the peer id and the
/// relay's `wangge` answer.
pub(super) fn join_wangge(
    hub: &mut Hub,
    conn: u64,
    auth: &DeviceAuth,
) -> (PeerId, WanggeCapabilities) {
    let features = [
        FEATURE_SCOPE_PUSH,
        FEATURE_HEADS_SUMMARY,
        FEATURE_DOC_REFUSED,
    ];
    let (peer, out) = join_wangge_with(hub, conn, auth, &features);
    let Some(Output::Send { bytes, .. }) = out.first() else {
        panic!("{out:?}");
    };
    let Ok(Message::Peer {
        peer_metadata: Some(PeerMetadata {
            wangge: Some(caps), ..
        }),
        ..
    }) = Message::decode(bytes.as_slice())
    else {
        panic!("not a peer message with capabilities");
    };
    (peer, caps)
}

/// What one round of a document's sync did on the connection.
#[derive(Default, Debug)]
pub(super) struct Round {
    pub messages: Vec<Message>,
    pub closed: bool,
}

impl Round {
    pub fn refusal(&self, id: DocumentId) -> Option<RefusalReason> {
        self.messages.iter().find_map(|m| match m {
            Message::DocRefused {
                document_id,
                reason,
                ..
            } if *document_id == id => Some(RefusalReason::parse(reason)),
            _ => None,
        })
    }

    fn unavailable(&self, id: DocumentId) -> bool {
        self.messages
            .iter()
            .any(|m| matches!(m, Message::DocUnavailable { document_id, .. } if *document_id == id))
    }
}

/// Syncs a local doc with the hub until quiet, a refusal or a close (bounded).
pub(super) fn sync_doc(
    hub: &mut Hub,
    conn: u64,
    peer: &PeerId,
    id: DocumentId,
    doc: &mut Automerge,
    state: &mut sync::State,
) -> Round {
    let mut round = Round::default();
    for _ in 0..20 {
        let Some(m) = doc.generate_sync_message(state) else {
            return round;
        };
        let out = hub.receive(
            conn,
            Message::Sync {
                sender_id: peer.clone(),
                target_id: "relay".into(),
                document_id: id,
                data: m.encode(),
            },
            Instant::now(),
        );
        let mut stop = false;
        for o in out {
            match o {
                Output::Close { .. } => {
                    round.closed = true;
                    stop = true;
                }
                Output::Send { bytes, .. } => {
                    let msg = Message::decode(&bytes).unwrap();
                    match &msg {
                        Message::Sync { data, .. } => {
                            doc.receive_sync_message(state, sync::Message::decode(data).unwrap())
                                .unwrap();
                        }
                        Message::DocRefused { .. } | Message::DocUnavailable { .. } => stop = true,
                        _ => {}
                    }
                    round.messages.push(msg);
                }
            }
        }
        if stop {
            return round;
        }
    }
    round
}

fn doc_of(kind: &str, scope: &str) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "kind", kind).unwrap();
    tx.put(ROOT, "scope", scope).unwrap();
    tx.commit();
    doc
}

fn stored(hub: &Hub, id: &DocumentId) -> bool {
    hub.store.doc(id).unwrap().is_some()
}

#[test]
fn the_relay_tells_a_wangge_peer_the_kinds_it_accepts_and_the_refusal_feature() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let (_, caps) = join_wangge(&mut hub, 1, &auth);
    assert!(caps.has(FEATURE_DOC_REFUSED));
    let kinds = caps.kinds.expect("kinds announced");
    assert_eq!(kinds.len(), DocKind::ALL.len());
    assert!(
        DocKind::ALL
            .iter()
            .all(|k| kinds.iter().any(|c| c == k.code()))
    );
}

#[test]
fn an_unknown_kind_is_refused_alone_and_the_connection_goes_on() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let (peer, _) = join_wangge(&mut hub, 1, &auth);
    let (novel, known) = (DocumentId::random(), DocumentId::random());
    let mut novel_doc = doc_of("from_a_newer_app", GRID);
    let round = sync_doc(
        &mut hub,
        1,
        &peer,
        novel,
        &mut novel_doc,
        &mut sync::State::new(),
    );
    assert_eq!(
        round.refusal(novel),
        Some(RefusalReason::UnknownKind),
        "{round:?}"
    );
    assert!(!round.closed);
    assert!(
        !stored(&hub, &novel),
        "nothing of a refused document is stored"
    );
    assert_eq!(hub.connections(), 1);

    let mut household = new_doc();
    let mut state = sync::State::new();
    let round = sync_doc(&mut hub, 1, &peer, known, &mut household, &mut state);
    assert!(!round.closed && round.refusal(known).is_none(), "{round:?}");
    assert!(
        stored(&hub, &known),
        "the next document syncs on the same connection"
    );
}

#[test]
fn a_plain_peer_gets_doc_unavailable_for_a_refusal_and_stays_connected() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let peer = join(&mut hub, 1, &auth);
    let id = DocumentId::random();
    let mut doc = doc_of("from_a_newer_app", GRID);
    let round = sync_doc(&mut hub, 1, &peer, id, &mut doc, &mut sync::State::new());
    assert!(round.unavailable(id) && !round.closed, "{round:?}");
    assert!(round.refusal(id).is_none());
    assert!(!stored(&hub, &id));
}

#[test]
fn writing_outside_ones_grid_is_refused_as_scope_forbidden() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let (peer, _) = join_wangge(&mut hub, 1, &auth);
    let id = DocumentId::random();
    let mut doc = new_doc_in(GRID2);
    let round = sync_doc(&mut hub, 1, &peer, id, &mut doc, &mut sync::State::new());
    assert_eq!(round.refusal(id), Some(RefusalReason::ScopeForbidden));
    assert!(!round.closed && !stored(&hub, &id));
    let mut bad = doc_of("household", "99");
    let id = DocumentId::random();
    let round = sync_doc(&mut hub, 1, &peer, id, &mut bad, &mut sync::State::new());
    assert_eq!(round.refusal(id), Some(RefusalReason::BadScope));
}

#[test]
fn moving_a_registered_document_out_of_scope_is_refused_and_the_relay_keeps_its_state() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let (peer, _) = join_wangge(&mut hub, 1, &auth);
    let id = DocumentId::random();
    let mut doc = new_doc();
    let mut state = sync::State::new();
    sync_doc(&mut hub, 1, &peer, id, &mut doc, &mut state);
    assert!(stored(&hub, &id));
    let mut tx = doc.transaction();
    tx.put(ROOT, "scope", GRID2).unwrap();
    tx.commit();
    let round = sync_doc(&mut hub, 1, &peer, id, &mut doc, &mut state);
    assert_eq!(
        round.refusal(id),
        Some(RefusalReason::ScopeForbidden),
        "{round:?}"
    );
    assert!(!round.closed);
    let rec = hub.store.doc(&id).unwrap().unwrap();
    assert_eq!(rec.scope.as_str(), GRID);
    assert_eq!(
        hub.store.doc_chunks(&id).unwrap().len(),
        1,
        "the move was not stored"
    );
}

#[test]
fn a_new_document_waits_until_its_changes_show_kind_and_scope() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let peer = join(&mut hub, 1, &auth);
    let id = DocumentId::random();
    // As a standard peer may build it: a first change without the root fields.
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "note", "draft").unwrap();
    tx.commit();
    let mut state = sync::State::new();
    let round = sync_doc(&mut hub, 1, &peer, id, &mut doc, &mut state);
    assert!(!round.closed && !round.unavailable(id), "{round:?}");
    assert!(
        !stored(&hub, &id),
        "not registered before it says what it is"
    );

    let mut tx = doc.transaction();
    tx.put(ROOT, "kind", "household").unwrap();
    tx.put(ROOT, "scope", GRID).unwrap();
    tx.commit();
    let round = sync_doc(&mut hub, 1, &peer, id, &mut doc, &mut state);
    assert!(!round.closed, "{round:?}");
    assert!(stored(&hub, &id), "registered once the root fields arrived");
    let acked = round.messages.iter().any(|m| match m {
        Message::Sync { data, .. } => sync::Message::decode(data).unwrap().heads == doc.get_heads(),
        _ => false,
    });
    assert!(acked, "both changes acknowledged: {round:?}");
}

#[test]
fn a_document_still_without_root_fields_is_held_within_a_byte_budget() {
    let limits = EngineLimits {
        max_pending_bytes_per_connection: 4096,
        ..EngineLimits::default()
    };
    let Setup { mut hub, auth, .. } = setup(limits);
    let (peer, _) = join_wangge(&mut hub, 1, &auth);
    let id = DocumentId::random();
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    let text = tx
        .put_object(ROOT, "note", automerge::ObjType::Text)
        .unwrap();
    // Varied text: automerge compresses a run of one character to almost nothing.
    let varied: String = (0..4000u32)
        .filter_map(|i| char::from_u32(0x4e00 + (i * 7919) % 20000))
        .collect();
    tx.splice_text(&text, 0, 0, &varied).unwrap();
    tx.commit();
    let round = sync_doc(&mut hub, 1, &peer, id, &mut doc, &mut sync::State::new());
    assert_eq!(
        round.refusal(id),
        Some(RefusalReason::TooLarge),
        "{round:?}"
    );
    assert!(!round.closed && !stored(&hub, &id));
}

#[test]
fn a_member_of_another_grid_cannot_tell_a_refused_id_from_an_unknown_one() {
    let Setup {
        mut hub,
        auth,
        other,
        ..
    } = setup(EngineLimits::default());
    let (peer, _) = join_wangge(&mut hub, 1, &auth);
    let id = DocumentId::random();
    let mut doc = new_doc();
    sync_doc(&mut hub, 1, &peer, id, &mut doc, &mut sync::State::new());
    // Grid 2's member claims the same id for a document of their own grid.
    let (peer2, _) = join_wangge(&mut hub, 2, &other);
    let mut theirs = new_doc_in(GRID2);
    let round = sync_doc(
        &mut hub,
        2,
        &peer2,
        id,
        &mut theirs,
        &mut sync::State::new(),
    );
    assert_eq!(
        round.refusal(id),
        Some(RefusalReason::ScopeForbidden),
        "{round:?}"
    );
    assert!(!round.closed);
    assert_eq!(hub.store.doc(&id).unwrap().unwrap().scope.as_str(), GRID);
}

//! The hub without sockets: messages in, outputs out, a real SQLite store underneath.

use std::time::{Duration, Instant};

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT};
use uuid::Uuid;
use wangge_proto::{DocumentId, Message, PeerId};

use super::{EngineLimits, Hub, Output};
use crate::auth::device_peer_id;
use crate::store::sqlite::SqliteStore;
use crate::store::{
    AccountStore, AdminLogEntry, BlobStore, ChunkOutcome, DeviceAuth, DocRecord, DocStore,
    FinishOutcome, NewDevice, NewUpload, StagedUpload, StoreError, StoredBlob, UploadState, User,
};
use wangge_schema::{Role, ScopeCode};

pub(super) const GRID: &str = "110105001001001";
pub(super) const GRID2: &str = "110105001001002";

/// A store whose document writes can be made to fail.
struct Flaky {
    inner: SqliteStore,
    fail_writes: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

macro_rules! delegate {
    ($($name:ident(&self $(, $a:ident: $t:ty)*) -> $r:ty;)*) => {
        $(fn $name(&self $(, $a: $t)*) -> $r { self.inner.$name($($a),*) })*
    };
}
macro_rules! delegate_mut {
    ($($name:ident(&mut self $(, $a:ident: $t:ty)*) -> $r:ty;)*) => {
        $(fn $name(&mut self $(, $a: $t)*) -> $r { self.inner.$name($($a),*) })*
    };
}

impl Flaky {
    fn check(&self) -> Result<(), StoreError> {
        if self.fail_writes.load(std::sync::atomic::Ordering::SeqCst) {
            Err(StoreError::database("disk full"))
        } else {
            Ok(())
        }
    }
}

impl AccountStore for Flaky {
    delegate! {
        units_under(&self, s: &[ScopeCode], l: usize) -> Result<Vec<(ScopeCode, String)>, StoreError>;
        users_under(&self, s: &[ScopeCode], l: usize) -> Result<Vec<User>, StoreError>;
        division_exists(&self, c: &ScopeCode) -> Result<bool, StoreError>;
        grid_exists(&self, c: &ScopeCode) -> Result<bool, StoreError>;
        user(&self, id: Uuid) -> Result<Option<User>, StoreError>;
        authenticate(&self, h: &str) -> Result<Option<DeviceAuth>, StoreError>;
        device(&self, id: Uuid) -> Result<Option<DeviceAuth>, StoreError>;
        admin_generation(&self) -> Result<i64, StoreError>;
        admin_changes_since(&self, g: i64) -> Result<Vec<DocumentId>, StoreError>;
        admin_log(&self, w: &ScopeCode, l: usize) -> Result<Vec<AdminLogEntry>, StoreError>;
    }
    delegate_mut! {
        add_division(&mut self, c: &ScopeCode, n: &str) -> Result<(), StoreError>;
        add_grid(&mut self, c: &ScopeCode, n: &str) -> Result<(), StoreError>;
        add_user(&mut self, n: &str, r: Role, s: &[ScopeCode]) -> Result<Uuid, StoreError>;
        add_enrollment_code(&mut self, u: Uuid, h: &str, e: i64) -> Result<(), StoreError>;
        redeem_enrollment_code(&mut self, h: &str, n: i64, d: &NewDevice) -> Result<Option<User>, StoreError>;
        revoke_device(&mut self, d: Uuid) -> Result<bool, StoreError>;
        record_admin_change(&mut self, d: &[DocumentId]) -> Result<(), StoreError>;
        log_admin_action(&mut self, e: &AdminLogEntry) -> Result<(), StoreError>;
    }
}

impl DocStore for Flaky {
    delegate! {
        doc(&self, id: &DocumentId) -> Result<Option<DocRecord>, StoreError>;
        docs_under(&self, s: &[ScopeCode], l: usize) -> Result<Vec<DocRecord>, StoreError>;
        docs_read_downward(&self, s: &[ScopeCode], l: usize) -> Result<Vec<DocRecord>, StoreError>;
        doc_grants(&self, id: &DocumentId) -> Result<Vec<ScopeCode>, StoreError>;
        docs_granted(&self, u: &[ScopeCode], l: usize) -> Result<Vec<DocRecord>, StoreError>;
        doc_chunks_after(&self, id: &DocumentId, a: i64) -> Result<Vec<(i64, Vec<u8>)>, StoreError>;
        docs_changed_since(&self, t: i64) -> Result<Vec<(DocumentId, i64)>, StoreError>;
        sync_state(&self, d: Uuid, id: &DocumentId) -> Result<Option<Vec<u8>>, StoreError>;
    }
    delegate_mut! {
        compact_doc(&mut self, id: &DocumentId, s: &[u8], t: i64) -> Result<(), StoreError>;
        grant_docs(&mut self, d: &[DocumentId], u: &ScopeCode) -> Result<(), StoreError>;
        put_sync_states(&mut self, d: Uuid, s: &[(DocumentId, Vec<u8>)]) -> Result<(), StoreError>;
        begin_batch(&mut self) -> Result<(), StoreError>;
        abort_batch(&mut self) -> Result<(), StoreError>;
    }
    fn commit_batch(&mut self) -> Result<(), StoreError> {
        if self.fail_writes.load(std::sync::atomic::Ordering::SeqCst) {
            // As a failed COMMIT leaves things: nothing of the group stored.
            self.inner.rollback_for_tests();
            return Err(StoreError::database("disk full"));
        }
        self.inner.commit_batch()
    }
    fn create_doc(&mut self, r: &DocRecord, b: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        self.inner.create_doc(r, b)
    }
    fn append_changes(&mut self, r: &DocRecord, b: &[u8]) -> Result<i64, StoreError> {
        self.check()?;
        self.inner.append_changes(r, b)
    }
}

impl BlobStore for Flaky {
    delegate! {
        upload_state(&self, id: Uuid) -> Result<Option<UploadState>, StoreError>;
        blob_linked(&self, h: &str, s: &ScopeCode) -> Result<Option<u64>, StoreError>;
        blob_for_scope(&self, h: &str, s: &[ScopeCode]) -> Result<Option<Vec<u8>>, StoreError>;
        blob_count(&self) -> Result<u64, StoreError>;
        staged_upload(&self, id: Uuid) -> Result<StagedUpload, StoreError>;
        blob_in_scope(&self, h: &str, s: &[ScopeCode]) -> Result<Option<StoredBlob>, StoreError>;
    }
    delegate_mut! {
        create_upload(&mut self, u: &NewUpload, m: usize) -> Result<(), StoreError>;
        append_upload_chunk(&mut self, id: Uuid, o: u64, b: &[u8]) -> Result<ChunkOutcome, StoreError>;
        finish_upload(&mut self, id: Uuid) -> Result<FinishOutcome, StoreError>;
        discard_upload(&mut self, id: Uuid) -> Result<bool, StoreError>;
        link_blob_scope(&mut self, h: &str, s: &ScopeCode) -> Result<bool, StoreError>;
        record_object_blob(&mut self, id: Uuid) -> Result<(), StoreError>;
    }
}

/// Adds a user of `role` over `scope` to `store` and enrolls a device for them (token
/// `token-{n}`).
pub(super) fn enrolled(store: &mut SqliteStore, role: Role, scope: &str, n: &str) -> DeviceAuth {
    let user = store
        .add_user(n, role, &[ScopeCode::parse(scope).unwrap()])
        .unwrap();
    store.add_enrollment_code(user, n, i64::MAX).unwrap();
    let device = NewDevice {
        device_id: Uuid::new_v4(),
        token_hash: format!("token-{n}"),
        label: String::new(),
    };
    store.redeem_enrollment_code(n, 0, &device).unwrap();
    store.authenticate(&format!("token-{n}")).unwrap().unwrap()
}

pub(super) struct Setup {
    pub hub: Hub,
    pub auth: DeviceAuth,
    /// A member of another grid.
    pub other: DeviceAuth,
    pub fail: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

pub(super) fn setup(limits: EngineLimits) -> Setup {
    let mut inner = SqliteStore::open_in_memory().unwrap();
    let grid = ScopeCode::parse(GRID).unwrap();
    inner
        .add_division(&ScopeCode::parse("110105001001").unwrap(), "c")
        .unwrap();
    inner.add_grid(&grid, "g").unwrap();
    let user = inner.add_user("m", Role::Member, &[grid]).unwrap();
    inner.add_enrollment_code(user, "h", i64::MAX).unwrap();
    let device = NewDevice {
        device_id: Uuid::new_v4(),
        token_hash: "t".into(),
        label: String::new(),
    };
    inner.redeem_enrollment_code("h", 0, &device).unwrap();
    let auth = inner.authenticate("t").unwrap().unwrap();
    let grid2 = ScopeCode::parse(GRID2).unwrap();
    inner.add_grid(&grid2, "g2").unwrap();
    let user2 = inner.add_user("m2", Role::Member, &[grid2]).unwrap();
    inner.add_enrollment_code(user2, "h2", i64::MAX).unwrap();
    let device2 = NewDevice {
        device_id: Uuid::new_v4(),
        token_hash: "t2".into(),
        label: String::new(),
    };
    inner.redeem_enrollment_code("h2", 0, &device2).unwrap();
    let other = inner.authenticate("t2").unwrap().unwrap();
    let fail = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let store = Flaky {
        inner,
        fail_writes: fail.clone(),
    };
    Setup {
        hub: Hub::new(Box::new(store), PeerId::from("relay"), limits),
        auth,
        other,
        fail,
    }
}

pub(super) fn join(hub: &mut Hub, conn: u64, auth: &DeviceAuth) -> PeerId {
    hub.connect(conn, auth.clone());
    let peer = device_peer_id(auth.device_id);
    let out = hub.receive(
        conn,
        Message::Join {
            sender_id: peer.clone(),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: None,
        },
        Instant::now(),
    );
    assert!(matches!(&out[..], [Output::Send { .. }]));
    peer
}

pub(super) fn new_doc() -> Automerge {
    new_doc_in(GRID)
}

pub(super) fn new_doc_in(grid: &str) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "kind", "household").unwrap();
    tx.put(ROOT, "scope", grid).unwrap();
    tx.commit();
    doc
}

/// Runs the sync loop between a local doc and the hub until quiet (bounded).
pub(super) fn sync_with(
    hub: &mut Hub,
    conn: u64,
    peer: &PeerId,
    id: DocumentId,
    doc: &mut Automerge,
    state: &mut sync::State,
) -> Vec<Message> {
    let mut seen = Vec::new();
    for _ in 0..20 {
        let Some(m) = doc.generate_sync_message(state) else {
            return seen;
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
        for o in out {
            if let Output::Send { bytes, .. } = o {
                let msg = Message::decode(&bytes).unwrap();
                if let Message::Sync { data, .. } = &msg {
                    doc.receive_sync_message(state, sync::Message::decode(data).unwrap())
                        .unwrap();
                }
                seen.push(msg);
            }
        }
    }
    seen
}

#[test]
fn a_change_is_acknowledged_only_after_it_is_stored() {
    let Setup {
        mut hub,
        auth,
        fail,
        ..
    } = setup(EngineLimits::default());
    let peer = join(&mut hub, 1, &auth);
    let id = DocumentId::random();
    let mut doc = new_doc();
    let mut state = sync::State::new();

    fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = sync_with(&mut hub, 1, &peer, id, &mut doc, &mut state);
    assert!(
        seen.iter()
            .any(|m| matches!(m, Message::Error { message, .. } if message.contains("storage"))),
        "{seen:?}"
    );
    for m in &seen {
        if let Message::Sync { data, .. } = m {
            let heads = sync::Message::decode(data).unwrap().heads;
            assert!(heads.is_empty(), "no sync message names unstored heads");
        }
    }

    fail.store(false, std::sync::atomic::Ordering::SeqCst);
    let peer = join(&mut hub, 2, &auth);
    let mut state = sync::State::new();
    let seen = sync_with(&mut hub, 2, &peer, id, &mut doc, &mut state);
    let acked = seen.iter().any(|m| match m {
        Message::Sync { data, .. } => sync::Message::decode(data).unwrap().heads == doc.get_heads(),
        _ => false,
    });
    assert!(acked, "{seen:?}");
}

#[test]
fn idle_documents_are_unloaded_and_reload_on_demand() {
    let limits = EngineLimits {
        idle_doc: Duration::from_millis(0),
        ..EngineLimits::default()
    };
    let Setup { mut hub, auth, .. } = setup(limits);
    let peer = join(&mut hub, 1, &auth);
    let id = DocumentId::random();
    let mut doc = new_doc();
    let mut state = sync::State::new();
    sync_with(&mut hub, 1, &peer, id, &mut doc, &mut state);
    assert_eq!(hub.loaded_docs(), 1);
    hub.tick(Instant::now() + Duration::from_millis(5));
    assert_eq!(hub.loaded_docs(), 0);

    let mut tx = doc.transaction();
    tx.put(ROOT, "head", "x").unwrap();
    tx.commit();
    sync_with(&mut hub, 1, &peer, id, &mut doc, &mut state);
    assert_eq!(hub.loaded_docs(), 1);
    hub.disconnect(1);
    assert_eq!(hub.connections(), 0);
}

#[test]
fn a_panicking_or_garbage_sync_message_changes_nothing() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let peer = join(&mut hub, 1, &auth);
    let out = hub.receive(
        1,
        Message::Sync {
            sender_id: peer,
            target_id: "relay".into(),
            document_id: DocumentId::random(),
            data: vec![0x42, 0x01, 0xff],
        },
        Instant::now(),
    );
    assert!(matches!(out.last(), Some(Output::Close { conn: 1 })));
    assert_eq!(hub.loaded_docs(), 0);
    assert_eq!(hub.connections(), 0);
}

/// Joins with the extensions `features` and returns all the relay sent: the peer
/// message, then (with scope push and without the heads summary) the offers of the
/// documents the device reads.
pub(super) fn join_wangge_with(
    hub: &mut Hub,
    conn: u64,
    auth: &DeviceAuth,
    features: &[&str],
) -> (PeerId, Vec<Output>) {
    hub.connect(conn, auth.clone());
    let peer = device_peer_id(auth.device_id);
    let out = hub.receive(
        conn,
        Message::Join {
            sender_id: peer.clone(),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: Some(wangge_proto::PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
                wangge: Some(wangge_proto::WanggeCapabilities::new(
                    features.iter().copied(),
                )),
            }),
        },
        Instant::now(),
    );
    (peer, out)
}

/// Joins announcing `features`; returns the peer id and the agreed features.
pub(super) fn join_with(
    hub: &mut Hub,
    conn: u64,
    auth: &DeviceAuth,
    features: &[&str],
) -> (PeerId, Vec<String>) {
    let (peer, out) = join_wangge_with(hub, conn, auth, features);
    let [Output::Send { bytes, .. }] = &out[..] else {
        panic!("{out:?}");
    };
    let Message::Peer {
        peer_metadata: Some(meta),
        ..
    } = Message::decode(bytes).unwrap()
    else {
        panic!("not a peer message");
    };
    (peer, meta.wangge.unwrap().features)
}

pub(super) fn digest(doc: &Automerge) -> wangge_proto::HeadsDigest {
    wangge_proto::heads_digest(doc.get_heads().iter().map(|h| &h.0))
}

/// Sends a heads summary; returns every message the hub answered with, the reply last.
pub(super) fn summarize(
    hub: &mut Hub,
    conn: u64,
    peer: &PeerId,
    docs: Vec<(DocumentId, wangge_proto::HeadsDigest)>,
) -> Vec<Message> {
    let out = hub.receive(
        conn,
        Message::HeadsSummary {
            sender_id: peer.clone(),
            target_id: "relay".into(),
            docs,
        },
        Instant::now(),
    );
    out.iter()
        .map(|o| match o {
            Output::Send { bytes, .. } => Message::decode(bytes).unwrap(),
            Output::Close { .. } => panic!("connection closed: {out:?}"),
        })
        .collect()
}

pub(super) const FEATURES: &[&str] = &[
    wangge_proto::FEATURE_SCOPE_PUSH,
    wangge_proto::FEATURE_HEADS_SUMMARY,
];

#[test]
fn a_matching_summary_sends_nothing_and_later_changes_flow() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let peer = join(&mut hub, 1, &auth);
    let id = DocumentId::random();
    let mut doc = new_doc();
    let mut state = sync::State::new();
    sync_with(&mut hub, 1, &peer, id, &mut doc, &mut state);
    hub.disconnect(1);

    let (peer, agreed) = join_with(&mut hub, 2, &auth, FEATURES);
    assert_eq!(agreed, FEATURES);
    let seen = summarize(&mut hub, 2, &peer, vec![(id, digest(&doc))]);
    assert!(
        matches!(&seen[..], [Message::HeadsReply { sync, .. }] if sync.is_empty()),
        "{seen:?}"
    );

    // A change from another connection of the same member reaches this one with the
    // change in the first message: the state made from the summary is a synced one.
    let peer3 = join(&mut hub, 3, &auth);
    let mut doc3 = doc.fork();
    let mut tx = doc3.transaction();
    tx.put(ROOT, "head", "x").unwrap();
    tx.commit();
    let mut state3 = sync::State::new();
    let mut to_2 = vec![];
    for _ in 0..20 {
        let Some(m) = doc3.generate_sync_message(&mut state3) else {
            break;
        };
        let out = hub.receive(
            3,
            Message::Sync {
                sender_id: peer3.clone(),
                target_id: "relay".into(),
                document_id: id,
                data: m.encode(),
            },
            Instant::now(),
        );
        for o in out {
            let Output::Send { conn, bytes } = o else {
                continue;
            };
            let Message::Sync { data, .. } = Message::decode(&bytes).unwrap() else {
                continue;
            };
            let m = sync::Message::decode(&data).unwrap();
            match conn {
                3 => doc3.receive_sync_message(&mut state3, m).unwrap(),
                2 => to_2.push(m),
                _ => {}
            }
        }
    }
    assert_eq!(to_2.len(), 1, "one push to the summarized connection");
    let m = to_2.remove(0);
    assert!(!m.changes.is_empty(), "the push carries the change");
    let mut mine = sync::State::new();
    doc.receive_sync_message(&mut mine, m).unwrap();
    assert_eq!(doc.get_heads(), doc3.get_heads());
}

#[test]
fn a_differing_summary_starts_sync_and_unknown_or_unreadable_docs_look_alike() {
    let Setup {
        mut hub,
        auth,
        other,
        ..
    } = setup(EngineLimits::default());
    // A document of the member's grid, and one of another grid.
    let peer = join(&mut hub, 1, &auth);
    let mine = DocumentId::random();
    let mut doc = new_doc();
    let mut state = sync::State::new();
    sync_with(&mut hub, 1, &peer, mine, &mut doc, &mut state);
    let peer_o = join(&mut hub, 9, &other);
    let theirs = DocumentId::random();
    let mut doc_o = new_doc_in(GRID2);
    let mut state_o = sync::State::new();
    sync_with(&mut hub, 9, &peer_o, theirs, &mut doc_o, &mut state_o);
    hub.disconnect(1);

    // The device has moved on locally.
    let mut tx = doc.transaction();
    tx.put(ROOT, "head", "x").unwrap();
    tx.commit();
    let unknown = DocumentId::random();
    let (peer, _) = join_with(&mut hub, 2, &auth, FEATURES);
    let seen = summarize(
        &mut hub,
        2,
        &peer,
        vec![
            (mine, digest(&doc)),
            (theirs, digest(&doc_o)),
            (unknown, digest(&doc_o)),
        ],
    );
    let (last, before) = seen.split_last().unwrap();
    let Message::HeadsReply { sync, .. } = last else {
        panic!("{seen:?}");
    };
    // The out-of-scope document is named exactly like the unknown one, and nothing else
    // is said about either.
    assert_eq!(sync, &vec![theirs, unknown]);
    assert!(
        matches!(before, [Message::Sync { document_id, .. }] if *document_id == mine),
        "{seen:?}"
    );
}

#[test]
fn a_summary_without_the_feature_is_refused() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let (peer, agreed) = join_with(&mut hub, 1, &auth, &[wangge_proto::FEATURE_SCOPE_PUSH]);
    assert_eq!(agreed, vec![wangge_proto::FEATURE_SCOPE_PUSH.to_owned()]);
    let out = hub.receive(
        1,
        Message::HeadsSummary {
            sender_id: peer,
            target_id: "relay".into(),
            docs: vec![],
        },
        Instant::now(),
    );
    assert!(
        matches!(out.last(), Some(Output::Close { conn: 1 })),
        "{out:?}"
    );
}

#[test]
fn a_device_with_more_new_docs_than_the_pending_limit_uploads_them_all() {
    let Setup { mut hub, auth, .. } = setup(EngineLimits::default());
    let peer = join(&mut hub, 1, &auth);
    let n = EngineLimits::default().max_pending_docs_per_connection + 44;
    let mut docs: Vec<(DocumentId, Automerge, sync::State)> = (0..n)
        .map(|_| (DocumentId::random(), new_doc(), sync::State::new()))
        .collect();
    // Every first message at once (pipelined), as the engine sends them.
    let mut replies = vec![];
    for (id, doc, state) in &mut docs {
        let m = doc.generate_sync_message(state).unwrap();
        replies.extend(hub.receive(
            1,
            Message::Sync {
                sender_id: peer.clone(),
                target_id: "relay".into(),
                document_id: *id,
                data: m.encode(),
            },
            Instant::now(),
        ));
    }
    assert_eq!(replies.len(), n, "one answer each, no refusal");
    for r in replies {
        let Output::Send { bytes, .. } = r else {
            panic!("{r:?}");
        };
        let Message::Sync {
            document_id, data, ..
        } = Message::decode(&bytes).unwrap()
        else {
            panic!("not a sync");
        };
        let (_, doc, state) = docs.iter_mut().find(|d| d.0 == document_id).unwrap();
        doc.receive_sync_message(state, sync::Message::decode(&data).unwrap())
            .unwrap();
    }
    for (id, doc, state) in &mut docs {
        sync_with(&mut hub, 1, &peer, *id, doc, state);
    }
    assert_eq!(hub.connections(), 1);
    assert_eq!(hub.loaded_docs(), n);
}

#[test]
fn a_failed_group_commit_sends_no_acknowledgement_and_keeps_nothing() {
    let Setup {
        mut hub,
        auth,
        fail,
        ..
    } = setup(EngineLimits::default());
    let peer = join(&mut hub, 1, &auth);
    let id = DocumentId::random();
    let mut doc = new_doc();
    let mut state = sync::State::new();
    sync_with(&mut hub, 1, &peer, id, &mut doc, &mut state);

    let mut tx = doc.transaction();
    tx.put(ROOT, "head", "x").unwrap();
    tx.commit();
    hub.begin_batch();
    let m = doc.generate_sync_message(&mut state).unwrap();
    let held = hub.receive(
        1,
        Message::Sync {
            sender_id: peer.clone(),
            target_id: "relay".into(),
            document_id: id,
            data: m.encode(),
        },
        Instant::now(),
    );
    assert!(!held.is_empty(), "the acknowledgement exists, held back");
    fail.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(!hub.commit_batch());
    let out = hub.abandon([1]);
    assert_eq!(out, vec![Output::Close { conn: 1 }]);
    fail.store(false, std::sync::atomic::Ordering::SeqCst);

    // A new connection finds the document without the change and asks for it again.
    let peer = join(&mut hub, 2, &auth);
    let mut state = sync::State::new();
    let seen = sync_with(&mut hub, 2, &peer, id, &mut doc, &mut state);
    let acked = seen.iter().any(|m| match m {
        Message::Sync { data, .. } => sync::Message::decode(data).unwrap().heads == doc.get_heads(),
        _ => false,
    });
    assert!(acked, "{seen:?}");
}

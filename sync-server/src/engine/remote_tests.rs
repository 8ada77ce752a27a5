//! Two hubs over one database, as two relay instances: what one stores reaches the
//! other's connections, and neither loses what the other wrote. SQLite files stand in
//! for the shared database here (two connections to one file); the relay tests run the
//! same over PostgreSQL with its change feed.

use std::time::{Duration, Instant};

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use wangge_proto::{DocumentId, Message, PeerId};

use super::tests::{
    FEATURES, GRID, digest, enrolled, join, join_with, new_doc, summarize, sync_with,
};
use super::{EngineLimits, Hub, Output};
use crate::store::sqlite::SqliteStore;
use crate::store::{AccountStore, DeviceAuth, DocStore};
use wangge_schema::{Role, ScopeCode};

struct Two {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    one: Hub,
    two: Hub,
    a: DeviceAuth,
    b: DeviceAuth,
}

fn two(limits: EngineLimits) -> Two {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let grid = ScopeCode::parse(GRID).unwrap();
    store
        .add_division(&ScopeCode::parse("110105001001").unwrap(), "c")
        .unwrap();
    store.add_grid(&grid, "g").unwrap();
    let a = enrolled(&mut store, Role::Member, GRID, "a");
    let b = enrolled(&mut store, Role::Member, GRID, "b");
    let hub = |limits| {
        Hub::new(
            Box::new(SqliteStore::open(&path).unwrap()),
            PeerId::from("relay"),
            limits,
        )
    };
    Two {
        one: hub(limits.clone()),
        two: hub(limits),
        _dir: dir,
        path,
        a,
        b,
    }
}

fn set(doc: &mut Automerge, key: &str, value: &str) {
    let mut tx = doc.transaction();
    tx.put(ROOT, key, value).unwrap();
    tx.commit();
}

fn get(doc: &Automerge, key: &str) -> Option<String> {
    doc.get(ROOT, key)
        .unwrap()
        .and_then(|(v, _)| v.into_string().ok())
}

/// Applies what the hub sent `conn` to the device's copy; returns how many sync messages.
fn deliver(out: Vec<Output>, conn: u64, doc: &mut Automerge, state: &mut sync::State) -> usize {
    let mut n = 0;
    for o in out {
        if let Output::Send { conn: c, bytes } = o
            && c == conn
            && let Message::Sync { data, .. } = Message::decode(&bytes).unwrap()
        {
            doc.receive_sync_message(state, sync::Message::decode(&data).unwrap())
                .unwrap();
            n += 1;
        }
    }
    n
}

/// Device A (on hub one) creates a document; device B (on hub two) syncs it. Returns
/// both copies and B's sync state.
fn shared_doc(t: &mut Two) -> (DocumentId, Automerge, sync::State, Automerge, sync::State) {
    let pa = join(&mut t.one, 1, &t.a);
    let pb = join(&mut t.two, 2, &t.b);
    let id = DocumentId::random();
    let mut da = new_doc();
    let mut sa = sync::State::new();
    sync_with(&mut t.one, 1, &pa, id, &mut da, &mut sa);
    let mut db = Automerge::new();
    let mut sb = sync::State::new();
    sync_with(&mut t.two, 2, &pb, id, &mut db, &mut sb);
    assert_eq!(db.get_heads(), da.get_heads(), "B has the document");
    (id, da, sa, db, sb)
}

#[test]
fn a_change_stored_by_one_instance_reaches_a_device_of_the_other() {
    let mut t = two(EngineLimits::default());
    let (id, mut da, mut sa, mut db, mut sb) = shared_doc(&mut t);
    let pa = crate::auth::device_peer_id(t.a.device_id);
    set(&mut da, "note", "from A");
    sync_with(&mut t.one, 1, &pa, id, &mut da, &mut sa);
    let seq = SqliteStore::open(&t.path)
        .unwrap()
        .doc_chunks_after(&id, -1)
        .unwrap()
        .last()
        .map(|(s, _)| *s)
        .unwrap();

    // Hub two hears of it (the feed) and pushes it to B at once.
    let out = t.two.remote_changes(&[(id, seq)], Instant::now());
    assert!(
        deliver(out, 2, &mut db, &mut sb) > 0,
        "B is sent the change"
    );
    assert_eq!(get(&db, "note").as_deref(), Some("from A"));
    // Hearing of it again (its own or a repeated notification) sends nothing.
    let again = t.two.remote_changes(&[(id, seq)], Instant::now());
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn catching_up_finds_what_the_feed_missed() {
    let mut t = two(EngineLimits::default());
    let (id, mut da, mut sa, mut db, mut sb) = shared_doc(&mut t);
    let pa = crate::auth::device_peer_id(t.a.device_id);
    set(&mut da, "note", "missed");
    sync_with(&mut t.one, 1, &pa, id, &mut da, &mut sa);
    // No notification reached hub two; the catch-up after its feed came back finds it.
    let out = t.two.catch_up(0, Instant::now());
    assert!(
        deliver(out, 2, &mut db, &mut sb) > 0,
        "B is sent the change"
    );
    assert_eq!(get(&db, "note").as_deref(), Some("missed"));
}

#[test]
fn compacting_on_one_instance_keeps_what_the_other_wrote_meanwhile() {
    let limits = EngineLimits {
        idle_doc: Duration::ZERO,
        compact_after_chunks: 0,
        ..EngineLimits::default()
    };
    let mut t = two(limits);
    let (id, mut da, mut sa, mut db, mut sb) = shared_doc(&mut t);
    let pa = crate::auth::device_peer_id(t.a.device_id);
    let pb = crate::auth::device_peer_id(t.b.device_id);
    set(&mut da, "a", "1");
    sync_with(&mut t.one, 1, &pa, id, &mut da, &mut sa);
    // B writes through hub two; hub one, not told, still holds the document without it.
    set(&mut db, "b", "2");
    sync_with(&mut t.two, 2, &pb, id, &mut db, &mut sb);
    // Hub one unloads the document and compacts what it holds.
    let later = Instant::now() + Duration::from_secs(1);
    t.one.tick(later);
    assert_eq!(t.one.loaded_docs(), 0, "unloaded");
    let store = SqliteStore::open(&t.path).unwrap();
    let doc = crate::engine::guard::load_chunks(&store.doc_chunks(&id).unwrap()).unwrap();
    assert_eq!(get(&doc, "a").as_deref(), Some("1"));
    assert_eq!(
        get(&doc, "b").as_deref(),
        Some("2"),
        "the other instance's change survives the compaction"
    );
}

#[test]
fn a_document_nobody_here_reads_is_not_loaded_for_a_remote_change() {
    let mut t = two(EngineLimits::default());
    let (id, ..) = shared_doc(&mut t);
    let mut idle = Hub::new(
        Box::new(SqliteStore::open(&t.path).unwrap()),
        PeerId::from("relay"),
        EngineLimits::default(),
    );
    let out = idle.remote_changes(&[(id, 0)], Instant::now());
    assert!(out.is_empty());
    assert_eq!(idle.loaded_docs(), 0);
}

#[test]
fn a_document_another_connection_loaded_first_is_still_pushed_on_its_notification() {
    let mut t = two(EngineLimits::default());
    // C on hub two asked for the scope push; it joins before the document exists.
    let c = {
        let mut s = SqliteStore::open(&t.path).unwrap();
        enrolled(&mut s, Role::Member, GRID, "c")
    };
    super::tests::join_with(&mut t.two, 3, &c, &[wangge_proto::FEATURE_SCOPE_PUSH]);
    let pa = join(&mut t.one, 1, &t.a);
    let pb = join(&mut t.two, 2, &t.b);
    let id = DocumentId::random();
    let mut da = new_doc();
    let mut sa = sync::State::new();
    sync_with(&mut t.one, 1, &pa, id, &mut da, &mut sa);
    // B asks hub two for it before hub two hears of it: hub two loads it for B alone.
    let mut db = Automerge::new();
    let mut sb = sync::State::new();
    sync_with(&mut t.two, 2, &pb, id, &mut db, &mut sb);
    assert_eq!(db.get_heads(), da.get_heads());
    // The notification comes after; the document in memory is already up to date, but C
    // has not been offered it.
    let out = t.two.remote_changes(&[(id, 0)], Instant::now());
    let to_c = out.iter().any(|o| {
        matches!(o, Output::Send { conn: 3, bytes }
            if matches!(Message::decode(bytes), Ok(Message::Sync { document_id, .. }) if document_id == id))
    });
    assert!(to_c, "C is offered the new document: {out:?}");
}

/// A device that said it sends a heads summary is offered nothing before it arrives: a
/// catch-up right after an instance starts (every recent change at once) would otherwise
/// start a sync round on each of its documents that the summary then shows was needless.
#[test]
fn a_catch_up_before_the_heads_summary_sends_nothing_and_the_summary_settles_it() {
    let mut t = two(EngineLimits::default());
    let (id, mut da, mut sa, db, _) = shared_doc(&mut t);
    let pa = crate::auth::device_peer_id(t.a.device_id);
    t.two.disconnect(2);
    // B reconnects to hub two with the summary coming; A changes the document on hub one.
    let (pb, agreed) = join_with(&mut t.two, 3, &t.b, FEATURES);
    assert_eq!(agreed, FEATURES);
    set(&mut da, "note", "while B reconnects");
    sync_with(&mut t.one, 1, &pa, id, &mut da, &mut sa);

    let out = t.two.catch_up(0, Instant::now());
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::Send { conn: 3, .. })),
        "nothing offered before the summary: {out:?}"
    );
    // B's summary names its older heads: the relay answers with the change, once.
    let seen = summarize(&mut t.two, 3, &pb, vec![(id, digest(&db))]);
    let syncs: Vec<_> = seen
        .iter()
        .filter(|m| matches!(m, Message::Sync { document_id, .. } if *document_id == id))
        .collect();
    assert_eq!(syncs.len(), 1, "{seen:?}");
    assert!(
        matches!(seen.last(), Some(Message::HeadsReply { sync, .. }) if sync.is_empty()),
        "{seen:?}"
    );

    // A summary that matches: a catch-up over everything sends this connection nothing.
    t.two.disconnect(3);
    let (pb, _) = join_with(&mut t.two, 4, &t.b, FEATURES);
    let out = t.two.catch_up(0, Instant::now());
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::Send { conn: 4, .. })),
        "{out:?}"
    );
    let seen = summarize(&mut t.two, 4, &pb, vec![(id, digest(&da))]);
    assert!(
        matches!(&seen[..], [Message::HeadsReply { sync, .. }] if sync.is_empty()),
        "{seen:?}"
    );
}

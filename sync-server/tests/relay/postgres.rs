//! The relay on PostgreSQL: the same relay, `serve` path and admin calls, with a
//! `postgres://` database URL on a server the test starts.

use wangge_relay::store::testing::TestDatabase;

use crate::helpers::*;

#[tokio::test]
async fn a_document_synced_through_a_relay_on_postgres_survives_a_restart() {
    let db = TestDatabase::new();
    let relay = start_relay(db.url()).await;
    relay.seed();
    let mut a = relay.device("member", &[GRID_A]).await;
    let doc = a.create_doc("household", GRID_A);
    a.edit(doc, "address", "3-2-501");
    a.connect().await.unwrap();
    a.sync().await;
    a.disconnect().await;
    let stored = relay.with_store(|s| s.doc(&doc).unwrap());
    assert_eq!(
        stored.map(|r| r.scope.as_str().to_owned()).as_deref(),
        Some(GRID_A),
        "the relay registered the document in PostgreSQL"
    );
    relay.stop().await;

    // A new relay process on the same database: accounts, devices and documents are
    // all still there.
    let relay = start_relay(db.url()).await;
    let mut b = relay.device("member", &[GRID_A]).await;
    b.connect().await.unwrap();
    b.sync().await;
    b.disconnect().await;
    assert_eq!(b.get(doc, "address").as_deref(), Some("3-2-501"));
    a.use_relay(relay.addr);
    a.edit(doc, "head", "after the restart");
    a.connect().await.unwrap();
    a.sync().await;
    a.disconnect().await;
    b.connect().await.unwrap();
    b.sync().await;
    assert_eq!(
        b.get(doc, "head").as_deref(),
        Some("after the restart"),
        "the first device's token still works and its change gets through"
    );
    assert_eq!(a.docs[&doc].get_heads(), b.docs[&doc].get_heads());
    relay.stop().await;

    // Once more: the change appended after the first restart is stored too.
    let relay = start_relay(db.url()).await;
    let mut c = relay.device("member", &[GRID_A]).await;
    c.connect().await.unwrap();
    c.sync().await;
    assert_eq!(c.get(doc, "address").as_deref(), Some("3-2-501"));
    assert_eq!(c.get(doc, "head").as_deref(), Some("after the restart"));
    assert_eq!(c.docs[&doc].get_heads(), a.docs[&doc].get_heads());
    relay.stop().await;
}

/// Pumps `device` until its copy of `doc` has `key` = `value` or `within` passes; returns
/// how long it took.
async fn wait_for(
    device: &mut Device,
    doc: wangge_proto::DocumentId,
    key: &str,
    value: &str,
    within: std::time::Duration,
) -> Option<std::time::Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < within {
        if device.get(doc, key).as_deref() == Some(value) {
            return Some(start.elapsed());
        }
        device.pump_once(std::time::Duration::from_millis(50)).await;
    }
    (device.get(doc, key).as_deref() == Some(value)).then(|| start.elapsed())
}

#[tokio::test]
async fn two_instances_on_one_database_push_each_others_changes_and_lose_nothing() {
    let db = TestDatabase::new();
    let one = start_relay(db.url()).await;
    one.seed();
    let two = start_relay(db.url()).await;
    let mut a = one.device("member", &[GRID_A]).await;
    // Enrolled through the other instance: accounts are shared.
    let mut b = two.device("member", &[GRID_A]).await;
    b.connect().await.unwrap();
    b.sync().await;

    // A new document on instance one is pushed to B on instance two (scope push), with
    // no request from B.
    let doc = a.create_doc("household", GRID_A);
    a.edit(doc, "address", "3-2-501");
    a.connect().await.unwrap();
    a.sync().await;
    let took = wait_for(&mut b, doc, "address", "3-2-501", SECONDS_5).await;
    assert!(took.is_some(), "B on instance two got the new document");

    // An edit on one reaches the other's device while both stay connected.
    a.edit(doc, "head", "edited on one");
    a.sync().await;
    let took = wait_for(&mut b, doc, "head", "edited on one", SECONDS_5).await;
    assert!(took.is_some(), "B got A's edit from the other instance");

    // Both edit the same document at once, each through its own instance.
    for round in 0..5 {
        a.edit(doc, &format!("a{round}"), "from A");
        b.edit(doc, &format!("b{round}"), "from B");
        let (ra, rb) = tokio::join!(a.sync(), b.sync());
        let ((), ()) = (ra, rb);
    }
    for round in 0..5 {
        assert!(
            wait_for(&mut a, doc, &format!("b{round}"), "from B", SECONDS_5)
                .await
                .is_some()
        );
        assert!(
            wait_for(&mut b, doc, &format!("a{round}"), "from A", SECONDS_5)
                .await
                .is_some()
        );
    }
    assert_eq!(a.docs[&doc].get_heads(), b.docs[&doc].get_heads());
    a.disconnect().await;
    b.disconnect().await;
    one.stop().await;
    two.stop().await;

    // Nothing acknowledged was lost: a fresh relay on the database serves all of it.
    let three = start_relay(db.url()).await;
    let mut c = three.device("member", &[GRID_A]).await;
    c.connect().await.unwrap();
    c.sync().await;
    for round in 0..5 {
        assert_eq!(c.get(doc, &format!("a{round}")).as_deref(), Some("from A"));
        assert_eq!(c.get(doc, &format!("b{round}")).as_deref(), Some("from B"));
    }
    assert_eq!(c.docs[&doc].get_heads(), a.docs[&doc].get_heads());
    three.stop().await;
}

#[tokio::test]
async fn the_change_feed_comes_back_by_itself_and_catches_up_on_what_it_missed() {
    let db = TestDatabase::new();
    let one = start_relay(db.url()).await;
    one.seed();
    let two = start_relay(db.url()).await;
    let mut a = one.device("member", &[GRID_A]).await;
    let mut b = two.device("member", &[GRID_A]).await;
    let doc = a.create_doc("household", GRID_A);
    a.edit(doc, "address", "3-2-501");
    a.connect().await.unwrap();
    a.sync().await;
    b.connect().await.unwrap();
    b.sync().await;
    assert_eq!(b.get(doc, "address").as_deref(), Some("3-2-501"));

    // Both instances' listening connections are cut (as by a database restart or a
    // network drop); A edits at once, while they are down.
    let url = db.url().to_owned();
    let cut = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        let rows = c
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND query LIKE 'LISTEN%'",
                &[],
            )
            .expect("terminate");
        rows.len()
    })
    .join()
    .expect("thread");
    assert_eq!(cut, 2, "one listening connection per instance");
    a.edit(doc, "head", "while the feed was down");
    a.sync().await;
    let took = wait_for(&mut b, doc, "head", "while the feed was down", SECONDS_5).await;
    assert!(took.is_some(), "B got the change once the feed was back");
    a.disconnect().await;
    b.disconnect().await;
    one.stop().await;
    two.stop().await;
}

/// Takes the test database away as a restart does (every connection cut, new ones
/// refused), or gives it back; from the server's `postgres` database, on a thread of its
/// own (the blocking client must not run on the test's runtime thread).
fn database_available(db: &TestDatabase, available: bool) {
    let (server, name) = db.url().rsplit_once('/').expect("a database URL");
    let sql = format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS {available};
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    );
    let url = format!("{server}/postgres");
    std::thread::scope(|s| {
        s.spawn(|| {
            postgres::Client::connect(&url, postgres::NoTls)
                .expect("connect")
                .batch_execute(&sql)
                .expect("sql")
        })
        .join()
        .expect("thread")
    });
}

#[tokio::test]
async fn a_database_outage_gives_errors_not_acknowledgements_and_the_relay_recovers_by_itself() {
    let db = TestDatabase::new();
    let relay = start_relay(db.url()).await;
    relay.seed();
    let mut a = relay.device("member", &[GRID_A]).await;
    let doc = a.create_doc("household", GRID_A);
    a.edit(doc, "address", "3-2-501");
    a.connect().await.unwrap();
    a.sync().await;

    // The database goes away as in a restart: every connection to it is cut, and new
    // ones are refused until it is back.
    database_available(&db, false);
    a.edit(doc, "head", "during the outage");
    a.sync().await;
    assert!(
        a.errors.iter().any(|e| e.contains("storage")),
        "the device is told why: {:?}",
        a.errors
    );
    a.disconnect().await;

    database_available(&db, true);
    let stored = relay.with_store(|s| {
        let chunks = s.doc_chunks(&doc).unwrap();
        let doc = wangge_relay::engine::guard::load_chunks(&chunks).expect("loads");
        automerge::ReadDoc::get(&doc, automerge::ROOT, "head")
            .unwrap()
            .is_some()
    });
    assert!(!stored, "nothing of the refused change is stored");

    // Back: the same relay, not restarted, takes the change on the next connection.
    a.errors.clear();
    let mut back = false;
    for _ in 0..50 {
        if a.connect().await.is_ok() {
            a.sync().await;
            if a.errors.is_empty() {
                back = true;
                break;
            }
            a.disconnect().await;
            a.errors.clear();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(back, "the relay reconnected to the database by itself");
    a.disconnect().await;
    let mut b = relay.device("member", &[GRID_A]).await;
    b.connect().await.unwrap();
    b.sync().await;
    assert_eq!(b.get(doc, "head").as_deref(), Some("during the outage"));
    relay.stop().await;
}

const SECONDS_5: std::time::Duration = std::time::Duration::from_secs(5);

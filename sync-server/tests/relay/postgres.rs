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

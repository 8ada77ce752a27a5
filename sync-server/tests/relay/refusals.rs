//! A document the relay will not take is refused for that document alone, over a real
//! socket: the connection stays up and every other document syncs.

use wangge_proto::RefusalReason;

use crate::helpers::*;

#[tokio::test]
async fn a_kind_this_relay_does_not_know_is_refused_alone_and_the_rest_syncs() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    a.doc_refused = true;
    let household = a.create_doc("household", GRID_A);
    let novel = a.create_doc("from_a_newer_app", GRID_A);
    let checks = a.create_doc("checks", GRID_A);
    a.connect().await.unwrap();
    a.sync().await;
    assert_eq!(a.refused.get(&novel), Some(&RefusalReason::UnknownKind));
    assert!(a.errors.is_empty(), "{:?}", a.errors);
    let store = relay.store();
    assert!(store.doc(&novel).unwrap().is_none(), "nothing of it stored");
    assert!(store.doc(&household).unwrap().is_some());
    assert!(store.doc(&checks).unwrap().is_some());

    // The same connection goes on: a later edit reaches a second device.
    a.edit(household, "head", "r1");
    a.sync().await;
    let mut b = relay.device("member", &[GRID_A]).await;
    b.connect().await.unwrap();
    b.sync().await;
    assert_eq!(b.get(household, "head").as_deref(), Some("r1"));
    assert!(b.get(novel, "kind").is_none());
    relay.stop().await;
}

#[tokio::test]
async fn a_document_of_another_grid_is_refused_as_scope_forbidden_and_the_link_stays() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    a.doc_refused = true;
    let theirs = a.create_doc("household", GRID_B);
    let ours = a.create_doc("household", GRID_A);
    a.connect().await.unwrap();
    a.sync().await;
    assert_eq!(a.refused.get(&theirs), Some(&RefusalReason::ScopeForbidden));
    assert!(a.errors.is_empty(), "{:?}", a.errors);
    assert!(relay.store().doc(&ours).unwrap().is_some());
    assert!(relay.store().doc(&theirs).unwrap().is_none());
    relay.stop().await;
}

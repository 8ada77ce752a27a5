use std::time::Duration;

use wangge_relay::admin;

use wangge_proto::RefusalReason;

use crate::helpers::*;

#[tokio::test]
async fn a_member_of_grid_a_cannot_read_or_write_grid_b_docs() {
    let relay = spawn_relay().await;
    let mut b = relay.device("member", &[GRID_B]).await;
    let doc_b = b.create_doc("household", GRID_B);
    b.connect().await.unwrap();
    b.sync().await;

    let mut a = relay.device("member", &[GRID_A]).await;
    a.connect().await.unwrap();
    a.sync().await;
    assert!(!a.docs.contains_key(&doc_b), "not pushed out of scope");
    a.request(doc_b).await;
    assert!(a.unavailable.contains(&doc_b), "read refused");
    assert!(a.get(doc_b, "scope").is_none());

    // Creating a doc in grid B is refused just like an unknown doc.
    let forged = a.create_doc("household", GRID_B);
    a.sync().await;
    assert!(a.unavailable.contains(&forged), "write refused");
    let store = relay.store();
    assert!(store.doc(&forged).unwrap().is_none(), "nothing stored");
    relay.stop().await;
}

/// Writing into an existing document of grid B under its id, whether the forged document
/// claims grid A or grid B, is refused like any unknown document, and B's stays as it was.
#[tokio::test]
async fn a_member_of_grid_a_cannot_write_into_an_existing_grid_b_doc() {
    let relay = spawn_relay().await;
    let mut b = relay.device("member", &[GRID_B]).await;
    let doc_b = b.create_doc("checks", GRID_B);
    b.edit(doc_b, "note", "intact");
    b.connect().await.unwrap();
    b.sync().await;
    let before = relay.store().doc_chunks(&doc_b).unwrap();

    for claimed in [GRID_A, GRID_B] {
        let mut a = relay.device("member", &[GRID_A]).await;
        a.create_shared_doc(doc_b, "checks", claimed);
        a.edit(doc_b, "note", "forged");
        a.connect().await.unwrap();
        a.sync().await;
        assert!(a.unavailable.contains(&doc_b), "write refused ({claimed})");
        assert_eq!(
            a.get(doc_b, "note").as_deref(),
            Some("forged"),
            "learns nothing"
        );
    }
    assert_eq!(relay.store().doc_chunks(&doc_b).unwrap(), before);
    b.pump().await;
    assert_eq!(b.get(doc_b, "note").as_deref(), Some("intact"));
    let mut fresh = relay.device("member", &[GRID_B]).await;
    fresh.connect().await.unwrap();
    fresh.sync().await;
    assert_eq!(fresh.get(doc_b, "note").as_deref(), Some("intact"));
    relay.stop().await;
}

#[tokio::test]
async fn a_leader_of_a_and_b_sees_both() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let mut b = relay.device("member", &[GRID_B]).await;
    let mut c = relay.device("member", &[GRID_C]).await;
    let (da, db, dc) = (
        a.create_doc("journal", GRID_A),
        b.create_doc("visits", GRID_B),
        c.create_doc("visits", GRID_C),
    );
    for d in [&mut a, &mut b, &mut c] {
        d.connect().await.unwrap();
        d.sync().await;
    }
    let mut leader = relay.device("leader", &[GRID_A, GRID_B]).await;
    leader.connect().await.unwrap();
    leader.sync().await;
    assert!(leader.get(da, "kind").is_some() && leader.get(db, "kind").is_some());
    leader.request(dc).await;
    assert!(leader.unavailable.contains(&dc));
    // And writes to both grids are accepted.
    leader.edit(db, "read_by_leader", "yes");
    leader.sync().await;
    b.pump().await;
    assert_eq!(b.get(db, "read_by_leader").as_deref(), Some("yes"));
    relay.stop().await;
}

#[tokio::test]
async fn the_centre_sees_its_division_and_writes_only_dispatch() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let mut b = relay.device("member", &[GRID_B]).await;
    let mut c = relay.device("member", &[GRID_C]).await;
    let (da, db, dc) = (
        a.create_doc("report", GRID_A),
        b.create_doc("household", GRID_B),
        c.create_doc("report", GRID_C),
    );
    for d in [&mut a, &mut b, &mut c] {
        d.connect().await.unwrap();
        d.sync().await;
    }
    let mut centre = relay.device("centre", &[STREET]).await;
    centre.connect().await.unwrap();
    centre.sync().await;
    assert!(centre.get(da, "kind").is_some() && centre.get(db, "kind").is_some());
    centre.request(dc).await;
    assert!(
        centre.unavailable.contains(&dc),
        "other street is out of scope"
    );

    // A dispatch doc is accepted and reaches the grid member.
    let dispatch = centre.create_doc("dispatch", GRID_A);
    centre.edit(dispatch, "status", "dispatched");
    centre.sync().await;
    a.pump().await;
    assert_eq!(a.get(dispatch, "status").as_deref(), Some("dispatched"));

    // Editing a household is refused for that document alone (kind-forbidden), the
    // relay keeps the old state, and the centre's connection goes on.
    centre.doc_refused = true;
    centre.disconnect().await;
    centre.connect().await.unwrap();
    centre.edit(db, "head", "forged");
    centre.sync().await;
    assert_eq!(
        centre.refused.get(&db),
        Some(&RefusalReason::KindForbidden),
        "{:?}",
        centre.errors
    );
    assert!(centre.errors.is_empty(), "{:?}", centre.errors);
    centre.edit(dispatch, "status", "closed");
    centre.sync().await;
    a.pump().await;
    assert_eq!(a.get(dispatch, "status").as_deref(), Some("closed"));
    let mut fresh = relay.device("member", &[GRID_B]).await;
    fresh.connect().await.unwrap();
    fresh.sync().await;
    assert_eq!(fresh.get(db, "head"), None);
    relay.stop().await;
}

#[tokio::test]
async fn a_member_cannot_move_a_doc_out_of_their_grid() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let doc = a.create_doc("household", GRID_A);
    a.connect().await.unwrap();
    a.sync().await;
    a.edit(doc, "scope", GRID_B);
    a.sync().await;
    // Refused for that document (a plain peer hears doc-unavailable), not the link.
    assert!(a.unavailable.contains(&doc), "{:?}", a.errors);
    assert!(a.errors.is_empty(), "{:?}", a.errors);
    let rec = relay.store().doc(&doc).unwrap().unwrap();
    assert_eq!(rec.scope.as_str(), GRID_A);
    relay.stop().await;
}

#[tokio::test]
async fn a_revoked_device_is_refused_at_once() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    a.connect().await.unwrap();
    a.sync().await;
    let mut store = relay.store();
    assert!(admin::revoke_device(store.as_mut(), a.enrolled.device_id).unwrap());
    assert!(
        a.closed_by_relay(Duration::from_secs(3)).await,
        "open connection closed"
    );
    a.disconnect().await;
    let err = a.connect().await.unwrap_err();
    assert!(err.contains("401"), "{err}");
    relay.stop().await;
}

#[tokio::test]
async fn a_moved_household_follows_its_new_grid() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let doc = a.create_doc("household", GRID_A);
    a.connect().await.unwrap();
    a.sync().await;
    a.disconnect().await;
    let mut store = relay.store();
    admin::move_household(store.as_mut(), &doc.to_string(), GRID_B).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut b = relay.device("member", &[GRID_B]).await;
    b.connect().await.unwrap();
    b.sync().await;
    assert_eq!(b.get(doc, "scope").as_deref(), Some(GRID_B));
    let mut a2 = relay.device("member", &[GRID_A]).await;
    a2.connect().await.unwrap();
    a2.request(doc).await;
    assert!(a2.unavailable.contains(&doc));
    relay.stop().await;
}

use std::time::Duration;

use wangge_proto::Message;

use crate::helpers::*;

async fn converge_in_order(first_a: bool) {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let mut b = relay.device("member", &[GRID_A]).await;

    // A creates a household and syncs; B receives it by scope push.
    let doc = a.create_doc("household", GRID_A);
    a.edit(doc, "address", "3-2-501");
    a.connect().await.unwrap();
    a.sync().await;
    a.disconnect().await;
    b.connect().await.unwrap();
    b.sync().await;
    b.disconnect().await;
    assert_eq!(b.get(doc, "address").as_deref(), Some("3-2-501"));

    // Both edit offline, then reconnect in the given order.
    a.edit(doc, "head", "a-edit");
    b.edit(doc, "phone", "b-edit");
    let (x, y) = if first_a {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    x.connect().await.unwrap();
    x.sync().await;
    y.connect().await.unwrap();
    y.sync().await;
    // The first one gets the second's change pushed while still connected.
    x.pump().await;
    x.disconnect().await;
    y.disconnect().await;

    for d in [&a, &b] {
        assert_eq!(d.get(doc, "head").as_deref(), Some("a-edit"));
        assert_eq!(d.get(doc, "phone").as_deref(), Some("b-edit"));
        assert_eq!(d.get(doc, "address").as_deref(), Some("3-2-501"));
    }
    assert_eq!(
        a.docs[&doc].get_heads(),
        b.docs[&doc].get_heads(),
        "devices converge"
    );
    // The relay converged too: a fresh device of the grid gets the same heads.
    let mut c = relay.device("member", &[GRID_A]).await;
    c.connect().await.unwrap();
    c.sync().await;
    assert_eq!(c.docs[&doc].get_heads(), a.docs[&doc].get_heads());
    relay.stop().await;
}

#[tokio::test]
async fn two_members_converge_when_a_reconnects_first() {
    converge_in_order(true).await;
}

#[tokio::test]
async fn two_members_converge_when_b_reconnects_first() {
    converge_in_order(false).await;
}

/// Stopping the relay (SIGTERM in `serve`) closes every connected device with 1001
/// "going away", and the relay still finishes stopping.
#[tokio::test]
async fn stopping_the_relay_closes_connected_devices_as_going_away() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let doc = a.create_doc("journal", GRID_A);
    a.edit(doc, "day", "2024-05-01");
    a.connect().await.unwrap();
    a.sync().await;
    let stopping = tokio::spawn(relay.stop());
    assert_eq!(a.close_code(Duration::from_secs(10)).await, Some(1001));
    tokio::time::timeout(Duration::from_secs(15), stopping)
        .await
        .expect("the relay stops in time")
        .expect("stop task");
}

#[tokio::test]
async fn a_plain_automerge_repo_peer_gets_the_standard_protocol() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let doc = a.create_doc("journal", GRID_A);
    a.edit(doc, "day", "2024-05-01");
    a.connect().await.unwrap();
    a.sync().await;

    // No Wangge metadata: nothing is pushed; the peer asks by id, as automerge-repo does.
    let mut plain = relay.device("member", &[GRID_A]).await;
    plain.scope_push = false;
    plain.connect().await.unwrap();
    assert!(plain.next(Duration::from_millis(300)).await.is_none());
    plain.request(doc).await;
    assert_eq!(plain.get(doc, "day").as_deref(), Some("2024-05-01"));
    // Unknown docs are unavailable.
    let unknown = wangge_proto::DocumentId::random();
    plain.request(unknown).await;
    assert!(plain.unavailable.contains(&unknown));
    relay.stop().await;
}

#[tokio::test]
async fn changes_are_pushed_live_to_connected_devices_of_the_scope() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let mut leader = relay.device("leader", &[GRID_A, GRID_B]).await;
    leader.connect().await.unwrap();
    leader.sync().await;
    a.connect().await.unwrap();
    let doc = a.create_doc("checks", GRID_A);
    a.edit(doc, "2024-05-01", "36.6");
    a.sync().await;
    leader.pump().await;
    assert_eq!(leader.get(doc, "2024-05-01").as_deref(), Some("36.6"));
    relay.stop().await;
}

#[tokio::test]
async fn every_token_form_authenticates_and_a_wrong_peer_id_is_refused() {
    let relay = spawn_relay().await;
    for form in [TokenForm::Bearer, TokenForm::Query, TokenForm::Subprotocol] {
        let mut d = relay.device("member", &[GRID_A]).await;
        d.open(form).await.unwrap();
        let peer = wangge_proto::PeerId::new(d.enrolled.peer_id.clone());
        d.join(peer).await.unwrap();
    }
    let mut d = relay.device("member", &[GRID_A]).await;
    let other = relay.device("member", &[GRID_A]).await;
    d.open(TokenForm::Bearer).await.unwrap();
    let err = d
        .join(wangge_proto::PeerId::new(other.enrolled.peer_id.clone()))
        .await
        .unwrap_err();
    assert!(err.contains("not bound"), "{err}");
    relay.stop().await;
}

#[tokio::test]
async fn a_connection_without_a_valid_token_is_refused() {
    let relay = spawn_relay().await;
    let mut d = relay.device("member", &[GRID_A]).await;
    d.enrolled.token = format!("wgt_{}", "0".repeat(64));
    let err = d.open(TokenForm::Bearer).await.unwrap_err();
    assert!(err.contains("401"), "{err}");
    relay.stop().await;
}

#[tokio::test]
async fn messages_before_join_are_refused() {
    let relay = spawn_relay().await;
    let mut d = relay.device("member", &[GRID_A]).await;
    d.open(TokenForm::Bearer).await.unwrap();
    d.send(&Message::Leave {
        sender_id: wangge_proto::PeerId::new(d.enrolled.peer_id.clone()),
    })
    .await
    .unwrap();
    match d.next(Duration::from_secs(5)).await {
        Some(Message::Error { message, .. }) => assert!(message.contains("join")),
        other => panic!("expected an error, got {other:?}"),
    }
    relay.stop().await;
}

/// Two devices create the same document (same id, same first change) offline and start
/// syncing it at once; the second one's changes are merged into the one the first
/// registered, instead of the document being refused to it.
#[tokio::test]
async fn two_devices_creating_the_same_document_at_once_both_get_through() {
    let relay = spawn_relay().await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let mut b = relay.device("member", &[GRID_A]).await;
    let id = wangge_proto::DocumentId::random();
    a.create_shared_doc(id, "checks", GRID_A);
    a.edit(id, "from_a", "36.5");
    b.create_shared_doc(id, "checks", GRID_A);
    b.edit(id, "from_b", "36.8");
    a.connect().await.unwrap();
    b.connect().await.unwrap();
    // Both are creating it before either has registered it.
    a.offer_all().await;
    b.offer_all().await;
    a.pump().await;
    b.pump().await;
    a.pump().await;
    assert!(
        b.unavailable.is_empty() && b.errors.is_empty(),
        "{:?}",
        b.errors
    );
    for d in [&a, &b] {
        assert_eq!(d.get(id, "from_a").as_deref(), Some("36.5"));
        assert_eq!(d.get(id, "from_b").as_deref(), Some("36.8"));
    }
    assert_eq!(a.docs[&id].get_heads(), b.docs[&id].get_heads());
    let mut c = relay.device("member", &[GRID_A]).await;
    c.connect().await.unwrap();
    c.sync().await;
    assert_eq!(c.docs[&id].get_heads(), a.docs[&id].get_heads());
    relay.stop().await;
}

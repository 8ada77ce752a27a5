use std::time::Duration;

use wangge_proto::{DocumentId, Message, PeerId};

use crate::helpers::*;

/// A connected device that gets no scope push, so the next message is the answer.
async fn abuser(relay: &TestRelay) -> Device {
    let mut d = relay.device("member", &[GRID_A]).await;
    d.scope_push = false;
    d.connect().await.unwrap();
    d
}

/// Connects a device, sends `bytes` after the handshake, and returns the relay's answer.
async fn answer_to(relay: &TestRelay, bytes: Vec<u8>) -> (Device, Option<Message>) {
    let mut d = abuser(relay).await;
    d.send_raw(bytes).await.unwrap();
    let reply = d.next(Duration::from_secs(5)).await;
    (d, reply)
}

fn expect_error(reply: Option<Message>, needle: &str) {
    match reply {
        Some(Message::Error { message, .. }) => {
            assert!(message.contains(needle), "{message:?} lacks {needle:?}")
        }
        other => panic!("expected an error about {needle}, got {other:?}"),
    }
}

/// A working device of the grid that still syncs after the abuse.
async fn relay_still_serves(relay: &TestRelay, doc: DocumentId) {
    let mut ok = relay.device("member", &[GRID_A]).await;
    ok.connect().await.unwrap();
    ok.sync().await;
    assert_eq!(ok.get(doc, "note").as_deref(), Some("intact"));
}

async fn relay_with_doc() -> (TestRelay, DocumentId) {
    let relay = spawn_relay().await;
    let mut w = relay.device("member", &[GRID_A]).await;
    let doc = w.create_doc("journal", GRID_A);
    w.edit(doc, "note", "intact");
    w.connect().await.unwrap();
    w.sync().await;
    (relay, doc)
}

#[tokio::test]
async fn garbage_cbor_gets_an_error_and_the_relay_keeps_serving() {
    let (relay, doc) = relay_with_doc().await;
    let (mut d, reply) = answer_to(&relay, b"\xff\x00garbage".to_vec()).await;
    expect_error(reply, "bad message");
    assert!(d.closed_by_relay(Duration::from_secs(3)).await);
    relay_still_serves(&relay, doc).await;
    relay.stop().await;
}

#[tokio::test]
async fn oversized_messages_get_an_error() {
    let (relay, doc) = relay_with_doc().await;
    let mut d = abuser(&relay).await;
    let big = Message::Sync {
        sender_id: PeerId::new(d.enrolled.peer_id.clone()),
        target_id: PeerId::new(d.enrolled.relay_peer_id.clone()),
        document_id: doc,
        data: vec![0x42; MAX_MESSAGE + 1],
    };
    d.send(&big).await.unwrap();
    expect_error(d.next(Duration::from_secs(5)).await, "exceeds");
    relay_still_serves(&relay, doc).await;
    relay.stop().await;
}

#[tokio::test]
async fn unknown_message_types_get_an_error() {
    let (relay, doc) = relay_with_doc().await;
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(
        &ciborium::Value::Map(vec![(
            ciborium::Value::Text("type".into()),
            ciborium::Value::Text("teleport".into()),
        )]),
        &mut bytes,
    )
    .unwrap();
    let (_d, reply) = answer_to(&relay, bytes).await;
    expect_error(reply, "unknown message type");
    relay_still_serves(&relay, doc).await;
    relay.stop().await;
}

#[tokio::test]
async fn sync_bytes_that_are_not_automerge_get_an_error_and_change_nothing() {
    let (relay, doc) = relay_with_doc().await;
    let before = relay.store().doc_chunks(&doc).unwrap();
    let mut d = abuser(&relay).await;
    for data in [
        b"not automerge at all".to_vec(),
        vec![0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
        vec![0x43; 64],
    ] {
        d.send(&Message::Sync {
            sender_id: PeerId::new(d.enrolled.peer_id.clone()),
            target_id: PeerId::new(d.enrolled.relay_peer_id.clone()),
            document_id: doc,
            data,
        })
        .await
        .unwrap();
        expect_error(d.next(Duration::from_secs(5)).await, "not an automerge");
        d.disconnect().await;
        d.connect().await.unwrap();
    }
    assert_eq!(relay.store().doc_chunks(&doc).unwrap(), before);
    relay_still_serves(&relay, doc).await;
    relay.stop().await;
}

#[tokio::test]
async fn ephemeral_messages_are_refused() {
    let (relay, doc) = relay_with_doc().await;
    let mut d = abuser(&relay).await;
    d.send(&Message::Ephemeral {
        sender_id: PeerId::new(d.enrolled.peer_id.clone()),
        target_id: PeerId::new(d.enrolled.relay_peer_id.clone()),
        count: 1,
        session_id: "s".into(),
        document_id: doc,
        data: vec![],
    })
    .await
    .unwrap();
    expect_error(d.next(Duration::from_secs(5)).await, "ephemeral");
    relay.stop().await;
}

#[tokio::test]
async fn forged_sender_ids_are_refused() {
    let (relay, doc) = relay_with_doc().await;
    let mut d = abuser(&relay).await;
    d.send(&Message::Sync {
        sender_id: PeerId::new("someone-else"),
        target_id: PeerId::new(d.enrolled.relay_peer_id.clone()),
        document_id: doc,
        data: vec![],
    })
    .await
    .unwrap();
    expect_error(d.next(Duration::from_secs(5)).await, "senderId");
    relay.stop().await;
}

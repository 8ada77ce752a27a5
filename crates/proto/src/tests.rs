//! Round trips, JS tolerance and hostile input for the message codec.

use ciborium::Value;
use proptest::prelude::*;

use crate::*;

fn cbor(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Text(k.into()), v))
            .collect(),
    )
}

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

fn samples() -> Vec<Message> {
    let doc = DocumentId::random();
    let a = PeerId::from("device-a");
    let r = PeerId::from("wangge-relay");
    vec![
        Message::Join {
            sender_id: a.clone(),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: Some(PeerMetadata {
                storage_id: Some("store-1".into()),
                is_ephemeral: false,
                wangge: Some(WanggeCapabilities::new([FEATURE_SCOPE_PUSH])),
            }),
        },
        Message::Join {
            sender_id: a.clone(),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: None,
        },
        Message::Peer {
            sender_id: r.clone(),
            target_id: a.clone(),
            selected_protocol_version: "1".into(),
            peer_metadata: Some(PeerMetadata::default()),
        },
        Message::Peer {
            sender_id: r.clone(),
            target_id: a.clone(),
            selected_protocol_version: "1".into(),
            peer_metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
                wangge: Some(
                    WanggeCapabilities::new([FEATURE_SCOPE_PUSH, FEATURE_DOC_REFUSED])
                        .with_kinds(["household", "checks"]),
                ),
            }),
        },
        Message::Leave {
            sender_id: a.clone(),
        },
        Message::Request {
            sender_id: a.clone(),
            target_id: r.clone(),
            document_id: doc,
            data: vec![1, 2, 3],
        },
        Message::Sync {
            sender_id: r.clone(),
            target_id: a.clone(),
            document_id: doc,
            data: vec![],
        },
        Message::DocUnavailable {
            sender_id: r.clone(),
            target_id: a.clone(),
            document_id: doc,
        },
        Message::Ephemeral {
            sender_id: a.clone(),
            target_id: r.clone(),
            count: 7,
            session_id: "s".into(),
            document_id: doc,
            data: vec![0xa0],
        },
        Message::HeadsSummary {
            sender_id: a.clone(),
            target_id: r.clone(),
            docs: vec![
                (doc, heads_digest([&[7u8; 32]])),
                (DocumentId::random(), [0; 8]),
            ],
        },
        Message::HeadsReply {
            sender_id: r.clone(),
            target_id: a.clone(),
            sync: vec![doc],
        },
        Message::DocRefused {
            sender_id: r.clone(),
            target_id: a.clone(),
            document_id: doc,
            reason: RefusalReason::UnknownKind.as_str().into(),
        },
        Message::Error {
            message: "bad".into(),
            sender_id: Some(r),
            target_id: None,
        },
    ]
}

const SAMPLES: usize = 13;

#[test]
fn kinds_are_absent_unless_announced_and_absent_means_any() {
    let plain = WanggeCapabilities::new([FEATURE_SCOPE_PUSH]);
    assert!(plain.kinds.is_none() && plain.accepts_kind("anything"));
    let relay = plain.with_kinds(["household"]);
    assert!(relay.accepts_kind("household") && !relay.accepts_kind("notice"));
    let bad = cbor(&map(vec![
        ("type", t("peer")),
        ("senderId", t("r")),
        ("targetId", t("a")),
        ("selectedProtocolVersion", t("1")),
        (
            "peerMetadata",
            map(vec![("wangge", map(vec![("kinds", t("household"))]))]),
        ),
    ]));
    assert_eq!(
        Message::decode(&bad),
        Err(DecodeError::BadField("wangge.kinds"))
    );
}

#[test]
fn the_sample_count_is_right() {
    assert_eq!(samples().len(), SAMPLES);
}

#[test]
fn heads_digests_ignore_order_and_tell_sets_apart() {
    let (a, b) = ([1u8; 32], [2u8; 32]);
    assert_eq!(heads_digest([&a, &b]), heads_digest([&b, &a]));
    assert_ne!(heads_digest([&a]), heads_digest([&a, &b]));
    assert_ne!(heads_digest([&a]), heads_digest([&b]));
    assert_ne!(heads_digest([]), heads_digest([&a]));
}

#[test]
fn a_summary_costs_24_bytes_a_document() {
    let docs: Vec<_> = (0..300).map(|_| (DocumentId::random(), [9u8; 8])).collect();
    let bytes = Message::HeadsSummary {
        sender_id: "device-a".into(),
        target_id: "wangge-relay".into(),
        docs,
    }
    .encode();
    assert!(bytes.len() < 300 * 24 + 100, "{}", bytes.len());
}

fn summary_bytes(heads: Value) -> Vec<u8> {
    cbor(&map(vec![
        ("type", t("wangge-heads")),
        ("senderId", t("a")),
        ("targetId", t("b")),
        ("heads", heads),
    ]))
}

#[test]
fn malformed_summaries_are_refused() {
    assert_eq!(
        Message::decode(&summary_bytes(Value::Bytes(vec![0; 25]))),
        Err(DecodeError::BadField("heads"))
    );
    assert_eq!(
        Message::decode(&summary_bytes(t("x"))),
        Err(DecodeError::BadField("heads"))
    );
    let limits = Limits {
        max_summary_docs: 2,
        ..Limits::default()
    };
    assert!(matches!(
        Message::decode_with(&summary_bytes(Value::Bytes(vec![0; 72])), &limits),
        Err(DecodeError::FieldTooLong { field: "heads", .. })
    ));
    assert!(Message::decode_with(&summary_bytes(Value::Bytes(vec![0; 48])), &limits).is_ok());
    let reply = cbor(&map(vec![
        ("type", t("wangge-heads-reply")),
        ("senderId", t("a")),
        ("targetId", t("b")),
        ("sync", Value::Bytes(vec![0; 17])),
    ]));
    assert_eq!(Message::decode(&reply), Err(DecodeError::BadField("sync")));
}

#[test]
fn every_message_type_round_trips() {
    for msg in samples() {
        assert_eq!(Message::decode(&msg.encode()), Ok(msg.clone()), "{msg:?}");
    }
}

#[test]
fn field_names_match_automerge_repo() {
    let doc = DocumentId::random();
    let bytes = Message::Sync {
        sender_id: "a".into(),
        target_id: "b".into(),
        document_id: doc,
        data: vec![9],
    }
    .encode();
    let v: Value = ciborium::de::from_reader(&bytes[..]).unwrap();
    let expected = map(vec![
        ("type", t("sync")),
        ("senderId", t("a")),
        ("targetId", t("b")),
        ("documentId", t(&doc.to_string())),
        ("data", Value::Bytes(vec![9])),
    ]);
    assert_eq!(v, expected);
}

#[test]
fn a_js_join_with_float_numbers_binary_doc_id_and_extra_fields_decodes() {
    let doc = DocumentId::random();
    let bytes = cbor(&map(vec![
        ("type", t("ephemeral")),
        ("senderId", t("js-peer")),
        ("targetId", t("relay")),
        ("count", Value::Float(3.0)),
        ("sessionId", t("sess")),
        ("documentId", Value::Bytes(doc.as_bytes().to_vec())),
        ("data", Value::Bytes(vec![])),
        ("timestamp", Value::Float(1.7e12)),
        ("somethingNew", map(vec![("x", Value::Bool(true))])),
    ]));
    let msg = Message::decode(&bytes).unwrap();
    assert_eq!(msg.document_id(), Some(doc));
    assert!(matches!(msg, Message::Ephemeral { count: 3, .. }));
}

#[test]
fn js_metadata_with_undefined_storage_id_decodes() {
    // {"type":"join","senderId":"p","supportedProtocolVersions":["1"],
    //  "peerMetadata":{"storageId":undefined,"isEphemeral":true}}
    let mut bytes = vec![0xa4];
    for (k, v) in [("type", "join"), ("senderId", "p")] {
        bytes.extend(cbor(&t(k)));
        bytes.extend(cbor(&t(v)));
    }
    bytes.extend(cbor(&t("supportedProtocolVersions")));
    bytes.extend(cbor(&Value::Array(vec![t("1")])));
    bytes.extend(cbor(&t("peerMetadata")));
    bytes.push(0xa2);
    bytes.extend(cbor(&t("storageId")));
    bytes.push(0xf7); // undefined
    bytes.extend(cbor(&t("isEphemeral")));
    bytes.push(0xf5);
    let msg = Message::decode(&bytes).unwrap();
    let Message::Join {
        peer_metadata: Some(meta),
        ..
    } = msg
    else {
        panic!("not a join with metadata: {msg:?}");
    };
    assert_eq!(meta.storage_id, None);
    assert!(meta.is_ephemeral);
    assert_eq!(meta.wangge, None);
}

#[test]
fn unknown_types_are_named_in_the_error() {
    let bytes = cbor(&map(vec![("type", t("remote-heads-changed"))]));
    assert_eq!(
        Message::decode(&bytes),
        Err(DecodeError::UnknownType("remote-heads-changed".into()))
    );
}

#[test]
fn missing_and_mistyped_fields_are_refused() {
    let bytes = cbor(&map(vec![("type", t("sync")), ("senderId", t("a"))]));
    assert_eq!(
        Message::decode(&bytes),
        Err(DecodeError::MissingField("targetId"))
    );
    let bytes = cbor(&map(vec![
        ("type", t("sync")),
        ("senderId", t("a")),
        ("targetId", t("b")),
        ("documentId", t("not-an-id")),
        ("data", Value::Bytes(vec![])),
    ]));
    assert_eq!(Message::decode(&bytes), Err(DecodeError::BadDocumentId));
    let bytes = cbor(&map(vec![("type", Value::Integer(1.into()))]));
    assert_eq!(Message::decode(&bytes), Err(DecodeError::BadField("type")));
}

#[test]
fn negative_or_fractional_counts_are_refused() {
    for bad in [
        Value::Float(-1.0),
        Value::Float(1.5),
        Value::Float(f64::NAN),
    ] {
        let bytes = cbor(&map(vec![
            ("type", t("ephemeral")),
            ("senderId", t("a")),
            ("targetId", t("b")),
            ("count", bad),
            ("sessionId", t("s")),
            ("documentId", t(&DocumentId::random().to_string())),
            ("data", Value::Bytes(vec![])),
        ]));
        assert_eq!(Message::decode(&bytes), Err(DecodeError::BadField("count")));
    }
}

#[test]
fn duplicate_keys_are_refused() {
    let bytes = cbor(&Value::Map(vec![
        (t("type"), t("leave")),
        (t("senderId"), t("a")),
        (t("senderId"), t("b")),
    ]));
    assert!(matches!(
        Message::decode(&bytes),
        Err(DecodeError::DuplicateKey(_))
    ));
}

#[test]
fn oversized_messages_and_fields_are_refused() {
    let limits = Limits::with_max_message_bytes(1024);
    let big = Message::Sync {
        sender_id: "a".into(),
        target_id: "b".into(),
        document_id: DocumentId::random(),
        data: vec![0; 2048],
    }
    .encode();
    assert!(matches!(
        Message::decode_with(&big, &limits),
        Err(DecodeError::TooLarge { .. })
    ));
    let long_peer = Message::Leave {
        sender_id: PeerId::new("x".repeat(1000)),
    }
    .encode();
    assert!(matches!(
        Message::decode(&long_peer),
        Err(DecodeError::FieldTooLong {
            field: "senderId",
            ..
        })
    ));
}

#[test]
fn non_map_and_garbage_are_refused() {
    assert_eq!(
        Message::decode(&cbor(&Value::Array(vec![]))),
        Err(DecodeError::NotAMap)
    );
    assert!(Message::decode(b"hello, world").is_err());
    assert!(Message::decode(&[]).is_err());
}

proptest! {
    #[test]
    fn arbitrary_summary_payloads_never_panic(heads in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Message::decode(&summary_bytes(Value::Bytes(heads)));
    }

    #[test]
    fn summaries_round_trip(n in 0usize..50, seed in any::<u8>()) {
        let docs: Vec<_> = (0..n).map(|i| (DocumentId::random(), [seed.wrapping_add(i as u8); 8])).collect();
        let msg = Message::HeadsSummary { sender_id: "d".into(), target_id: "r".into(), docs };
        prop_assert_eq!(Message::decode(&msg.encode()), Ok(msg));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Message::decode(&bytes);
    }

    #[test]
    fn truncated_messages_are_refused(cut in 0usize..64, pick in 0usize..SAMPLES) {
        let msg = &samples()[pick];
        let bytes = msg.encode();
        let cut = cut % bytes.len();
        prop_assert!(Message::decode(&bytes[..cut]).is_err());
    }

    #[test]
    fn flipped_bytes_never_panic(pos in 0usize..512, byte in any::<u8>(), pick in 0usize..SAMPLES) {
        let mut bytes = samples()[pick].encode();
        let pos = pos % bytes.len();
        bytes[pos] = byte;
        let _ = Message::decode(&bytes);
    }

    #[test]
    fn sync_messages_round_trip(data in proptest::collection::vec(any::<u8>(), 0..256),
                                sender in "[a-z0-9-]{1,40}") {
        let msg = Message::Sync {
            sender_id: PeerId::new(sender),
            target_id: "relay".into(),
            document_id: DocumentId::random(),
            data,
        };
        prop_assert_eq!(Message::decode(&msg.encode()), Ok(msg));
    }
}

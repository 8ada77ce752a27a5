//! Writes a seed corpus for every fuzz target into `DIR/<target>/` (real messages, changes,
//! documents, headers and bodies of the kinds each decoder takes), so a short CI run starts
//! from valid inputs instead of discovering CBOR and automerge's formats from nothing.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds -- DIR`

use std::path::Path;

use automerge::sync::{State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc};
use wangge_proto::{
    DocumentId, FEATURE_DOC_REFUSED, FEATURE_HEADS_SUMMARY, FEATURE_SCOPE_PUSH, Message, PeerId,
    PeerMetadata, RefusalReason, WanggeCapabilities, heads_digest,
};
use wangge_schema::tus::{UploadMetadata, encode_checksum};
use wangge_schema::{DocKind, GridCode, ScopeCode, genesis, grid_index_id, regrid};

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let d = dir.join(target);
    std::fs::create_dir_all(&d)?;
    std::fs::write(d.join(name), bytes)
}

/// A household document as a device makes it, with two edits after its genesis.
fn household() -> Result<Automerge, Box<dyn std::error::Error>> {
    let grid = GridCode::parse("110105001001001")?;
    let id = DocumentId::random();
    let mut doc = genesis(&id, DocKind::Household, grid.scope(), &[])?;
    doc.set_actor(automerge::ActorId::random());
    let mut tx = doc.transaction();
    regrid::set_household_grid(&mut tx, &grid)?;
    tx.commit();
    let mut tx = doc.transaction();
    let Some((_, h)) = tx.get(ROOT, "household")? else {
        return Err("no household map".into());
    };
    let notes = tx.put_object(&h, "notes", ObjType::Text)?;
    tx.splice_text(&notes, 0, 0, "独居老人")?;
    tx.put(&h, "needs_home_visit", true)?;
    tx.commit();
    Ok(doc)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: seeds DIR")?;
    let dir = Path::new(&dir);
    let doc = household()?;
    let first = doc
        .get_changes(&[])
        .first()
        .map(|c| c.hash())
        .ok_or("no change")?;
    let grid = GridCode::parse("110105001001001")?;
    let mut index = genesis(&grid_index_id(&grid), DocKind::GridIndex, grid.scope(), &[])?;
    let mut tx = index.transaction();
    regrid::list_household(
        &mut tx,
        uuid::Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef),
        1_700_000_000_000,
    )?;
    tx.commit();
    let mut novel = Automerge::new();
    let mut tx = novel.transaction();
    tx.put(ROOT, "kind", "notice")?;
    tx.put(ROOT, "scope", "110105001")?;
    tx.commit();

    // Documents and change-list entries.
    for (i, bytes) in [
        doc.save(),
        index.save(),
        novel.save(),
        doc.save_after(&[first]),
    ]
    .iter()
    .enumerate()
    {
        write(dir, "doc_root", &format!("doc-{i}"), bytes)?;
        write(dir, "change_chunks", &format!("entry-{i}"), bytes)?;
    }
    for (i, c) in doc.get_changes(&[]).iter().enumerate() {
        write(dir, "change_chunks", &format!("change-{i}"), c.raw_bytes())?;
    }

    // Sync payloads: the first message from a document, and the answer to it.
    let mut theirs = Automerge::new();
    let (mut ours_state, mut their_state) = (State::new(), State::new());
    let mut payloads = vec![];
    for _ in 0..4 {
        if let Some(m) = doc.generate_sync_message(&mut ours_state) {
            payloads.push(m.clone().encode());
            theirs.receive_sync_message(&mut their_state, m)?;
        }
        if let Some(m) = theirs.generate_sync_message(&mut their_state) {
            payloads.push(m.clone().encode());
            let mut d = doc.clone();
            d.receive_sync_message(&mut ours_state, m)?;
        }
    }
    for (i, p) in payloads.iter().enumerate() {
        write(dir, "sync_message", &format!("payload-{i}"), p)?;
    }

    // Protocol messages of every type.
    let (dev, relay) = (PeerId::from("device-0123"), PeerId::from("wangge-relay"));
    let caps = WanggeCapabilities::new([
        FEATURE_SCOPE_PUSH,
        FEATURE_HEADS_SUMMARY,
        FEATURE_DOC_REFUSED,
    ]);
    let id = DocumentId::random();
    let messages = vec![
        Message::Join {
            sender_id: dev.clone(),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: Some(PeerMetadata {
                storage_id: Some("s".into()),
                is_ephemeral: false,
                wangge: Some(caps.clone()),
            }),
        },
        Message::Peer {
            sender_id: relay.clone(),
            target_id: dev.clone(),
            selected_protocol_version: "1".into(),
            peer_metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
                wangge: Some(caps.with_kinds(DocKind::codes())),
            }),
        },
        Message::Sync {
            sender_id: dev.clone(),
            target_id: relay.clone(),
            document_id: id,
            data: payloads.first().cloned().unwrap_or_default(),
        },
        Message::Request {
            sender_id: dev.clone(),
            target_id: relay.clone(),
            document_id: id,
            data: vec![0x42, 0, 0, 1, 0, 0],
        },
        Message::HeadsSummary {
            sender_id: dev.clone(),
            target_id: relay.clone(),
            docs: vec![(id, heads_digest(doc.get_heads().iter().map(|h| &h.0)))],
        },
        Message::HeadsReply {
            sender_id: relay.clone(),
            target_id: dev.clone(),
            sync: vec![id],
        },
        Message::DocRefused {
            sender_id: relay.clone(),
            target_id: dev.clone(),
            document_id: id,
            reason: RefusalReason::ScopeForbidden.as_str().into(),
        },
        Message::DocUnavailable {
            sender_id: relay.clone(),
            target_id: dev.clone(),
            document_id: id,
        },
        Message::Error {
            message: "bad".into(),
            sender_id: Some(relay),
            target_id: Some(dev),
        },
    ];
    for (i, m) in messages.iter().enumerate() {
        write(
            dir,
            "message",
            &format!("{}-{i}", m.type_name()),
            &m.encode(),
        )?;
        write(
            dir,
            "prescan",
            &format!("{}-{i}", m.type_name()),
            &m.encode(),
        )?;
    }

    // Headers and bodies.
    let meta = UploadMetadata {
        sha256: "ab".repeat(32),
        scope: ScopeCode::parse("110105001001001")?,
    };
    write(dir, "tus_headers", "metadata", meta.encode().as_bytes())?;
    write(
        dir,
        "tus_headers",
        "checksum",
        encode_checksum(&[7u8; 32]).as_bytes(),
    )?;
    write(
        dir,
        "enroll_body",
        "request",
        br#"{"code":"K7M2-QX9P-4HTA","device_label":"Phone"}"#,
    )?;
    write(
        dir,
        "enroll_body",
        "answer",
        br#"{"device_id":"00000000-0000-4000-8000-000000000001","user_id":"00000000-0000-4000-8000-000000000002","peer_id":"device-1","relay_peer_id":"wangge-relay","token":"wgt_0","role":"member","scopes":["110105001001001"]}"#,
    )?;
    write(
        dir,
        "enroll_body",
        "error",
        br#"{"code":"enrollment_code_invalid","message":"x"}"#,
    )?;
    for (i, u) in [
        "http://127.0.0.1:3030",
        "https://relay.example.cn/wangge/",
        "ws://[::1]:8080/v1/sync",
        "relay.example.cn:8443",
    ]
    .iter()
    .enumerate()
    {
        write(dir, "relay_url", &format!("url-{i}"), u.as_bytes())?;
    }
    for (i, t) in [
        "张三 36.5，李四 36.8、王五：37.4℃\n赵六体温36.7度 钱七36",
        "3栋2单元501室 张三 36.6\n3-2-502 36.4\n5号楼 0101 36.2",
        "1、章三 ３６．５\n2. zhangsan 36.6\n3) 买买提·艾力 36.7\n8:30 zs 36.5 36.9",
    ]
    .iter()
    .enumerate()
    {
        write(dir, "paste_readings", &format!("paste-{i}"), t.as_bytes())?;
    }
    Ok(())
}

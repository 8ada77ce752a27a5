//! The automerge-repo v1 WebSocket messages as one typed enum, and their encoding.
//!
//! Field names on the wire are camelCase CBOR text keys, as in automerge-repo's
//! `network-websocket` package and the Rust `samod` crate. Document ids are written as
//! base58check text; peer ids as text; sync payloads (`data`) as a byte string.

use ciborium::Value;

use crate::doc_id::DocumentId;
use crate::heads::{ENTRY_BYTES, HeadsDigest};
use crate::metadata::{PeerMetadata, WanggeCapabilities};
use crate::peer_id::PeerId;

/// The only protocol version automerge-repo defines.
pub const PROTOCOL_VERSION: &str = "1";

/// One protocol message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Client → server, first message: who I am and which versions I speak.
    Join {
        /// The client's peer id.
        sender_id: PeerId,
        /// Versions the client supports; `["1"]` in practice.
        supported_protocol_versions: Vec<String>,
        /// Optional metadata, carrying the Wangge extension.
        peer_metadata: Option<PeerMetadata>,
    },
    /// Server → client, answer to `join`.
    Peer {
        /// The server's peer id.
        sender_id: PeerId,
        /// The client's peer id, echoed.
        target_id: PeerId,
        /// The version chosen; always `"1"`.
        selected_protocol_version: String,
        /// Optional metadata, carrying the Wangge extension.
        peer_metadata: Option<PeerMetadata>,
    },
    /// Advisory: the sender is about to disconnect.
    Leave {
        /// Who is leaving.
        sender_id: PeerId,
    },
    /// Begin sync of a document; answer `doc-unavailable` if you do not have it.
    Request {
        /// Sender.
        sender_id: PeerId,
        /// Recipient.
        target_id: PeerId,
        /// The document.
        document_id: DocumentId,
        /// An encoded automerge sync message.
        data: Vec<u8>,
    },
    /// An automerge sync message about a document.
    Sync {
        /// Sender.
        sender_id: PeerId,
        /// Recipient.
        target_id: PeerId,
        /// The document.
        document_id: DocumentId,
        /// An encoded automerge sync message.
        data: Vec<u8>,
    },
    /// The sender does not have (or will not share) the document.
    DocUnavailable {
        /// Sender.
        sender_id: PeerId,
        /// Recipient.
        target_id: PeerId,
        /// The document.
        document_id: DocumentId,
    },
    /// Short-lived data about a document (presence, cursors). Decoded, but the Wangge
    /// relay refuses it.
    Ephemeral {
        /// Sender.
        sender_id: PeerId,
        /// Recipient.
        target_id: PeerId,
        /// Sequence number within the session.
        count: u64,
        /// The sender's ephemeral session.
        session_id: String,
        /// The document.
        document_id: DocumentId,
        /// Arbitrary CBOR, opaque here.
        data: Vec<u8>,
    },
    /// Wangge `heads-summary` extension, device → relay: every document the device holds,
    /// with a digest of its heads (see [`crate::heads`]). Only after both sides announced
    /// [`crate::FEATURE_HEADS_SUMMARY`].
    HeadsSummary {
        /// Sender.
        sender_id: PeerId,
        /// Recipient.
        target_id: PeerId,
        /// Document ids with the digests of their heads.
        docs: Vec<(DocumentId, HeadsDigest)>,
    },
    /// Wangge `heads-summary` extension, relay → device: the documents of the summary the
    /// device should sync the standard way (unknown to the relay or not readable there).
    HeadsReply {
        /// Sender.
        sender_id: PeerId,
        /// Recipient.
        target_id: PeerId,
        /// Documents to sync with ordinary `sync` messages.
        sync: Vec<DocumentId>,
    },
    /// Wangge `doc-refused` extension, relay → device: the relay will not take this
    /// document (and stores nothing of it); the connection and every other document go
    /// on. Only after both sides announced [`crate::FEATURE_DOC_REFUSED`]; other peers
    /// get `doc-unavailable` for the same refusal.
    DocRefused {
        /// Sender.
        sender_id: PeerId,
        /// Recipient.
        target_id: PeerId,
        /// The document.
        document_id: DocumentId,
        /// Why, as a stable code (`unknown-kind`, `scope-forbidden`, …; see
        /// [`crate::RefusalReason`]).
        reason: String,
    },
    /// A protocol error; the connection closes after it.
    Error {
        /// Human-readable reason (never personal data).
        message: String,
        /// Sender, when known (automerge-repo servers include it).
        sender_id: Option<PeerId>,
        /// Recipient, when known.
        target_id: Option<PeerId>,
    },
}

impl Message {
    /// The wire `type` of this message.
    pub fn type_name(&self) -> &'static str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Leave { .. } => "leave",
            Message::Request { .. } => "request",
            Message::Sync { .. } => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral { .. } => "ephemeral",
            Message::HeadsSummary { .. } => "wangge-heads",
            Message::HeadsReply { .. } => "wangge-heads-reply",
            Message::DocRefused { .. } => "wangge-doc-refused",
            Message::Error { .. } => "error",
        }
    }

    /// The document this message is about, if any.
    pub fn document_id(&self) -> Option<DocumentId> {
        match self {
            Message::Request { document_id, .. }
            | Message::Sync { document_id, .. }
            | Message::DocUnavailable { document_id, .. }
            | Message::DocRefused { document_id, .. }
            | Message::Ephemeral { document_id, .. } => Some(*document_id),
            _ => None,
        }
    }

    /// The sender, if the message names one.
    pub fn sender_id(&self) -> Option<&PeerId> {
        match self {
            Message::Join { sender_id, .. }
            | Message::Peer { sender_id, .. }
            | Message::Leave { sender_id }
            | Message::Request { sender_id, .. }
            | Message::Sync { sender_id, .. }
            | Message::DocUnavailable { sender_id, .. }
            | Message::Ephemeral { sender_id, .. }
            | Message::HeadsSummary { sender_id, .. }
            | Message::HeadsReply { sender_id, .. }
            | Message::DocRefused { sender_id, .. } => Some(sender_id),
            Message::Error { sender_id, .. } => sender_id.as_ref(),
        }
    }

    /// Encodes the message as CBOR.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail, and every value here is serialisable.
        if ciborium::ser::into_writer(&self.to_value(), &mut out).is_err() {
            out.clear();
        }
        out
    }

    fn to_value(&self) -> Value {
        let mut m = MapBuilder::new(self.type_name());
        match self {
            Message::Join {
                sender_id,
                supported_protocol_versions,
                peer_metadata,
            } => {
                m.text("senderId", sender_id.as_str());
                m.put(
                    "supportedProtocolVersions",
                    Value::Array(
                        supported_protocol_versions
                            .iter()
                            .map(|v| Value::Text(v.clone()))
                            .collect(),
                    ),
                );
                if let Some(meta) = peer_metadata {
                    m.put("peerMetadata", metadata_value(meta));
                }
            }
            Message::Peer {
                sender_id,
                target_id,
                selected_protocol_version,
                peer_metadata,
            } => {
                m.text("senderId", sender_id.as_str());
                m.text("targetId", target_id.as_str());
                m.text("selectedProtocolVersion", selected_protocol_version);
                if let Some(meta) = peer_metadata {
                    m.put("peerMetadata", metadata_value(meta));
                }
            }
            Message::Leave { sender_id } => m.text("senderId", sender_id.as_str()),
            Message::Request {
                sender_id,
                target_id,
                document_id,
                data,
            }
            | Message::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            } => {
                m.text("senderId", sender_id.as_str());
                m.text("targetId", target_id.as_str());
                m.text("documentId", &document_id.to_string());
                m.put("data", Value::Bytes(data.clone()));
            }
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                m.text("senderId", sender_id.as_str());
                m.text("targetId", target_id.as_str());
                m.text("documentId", &document_id.to_string());
            }
            Message::Ephemeral {
                sender_id,
                target_id,
                count,
                session_id,
                document_id,
                data,
            } => {
                m.text("senderId", sender_id.as_str());
                m.text("targetId", target_id.as_str());
                m.put("count", Value::Integer((*count).into()));
                m.text("sessionId", session_id);
                m.text("documentId", &document_id.to_string());
                m.put("data", Value::Bytes(data.clone()));
            }
            Message::HeadsSummary {
                sender_id,
                target_id,
                docs,
            } => {
                m.text("senderId", sender_id.as_str());
                m.text("targetId", target_id.as_str());
                let mut bytes = Vec::with_capacity(docs.len() * ENTRY_BYTES);
                for (id, digest) in docs {
                    bytes.extend_from_slice(id.as_bytes());
                    bytes.extend_from_slice(digest);
                }
                m.put("heads", Value::Bytes(bytes));
            }
            Message::HeadsReply {
                sender_id,
                target_id,
                sync,
            } => {
                m.text("senderId", sender_id.as_str());
                m.text("targetId", target_id.as_str());
                let mut bytes = Vec::with_capacity(sync.len() * 16);
                for id in sync {
                    bytes.extend_from_slice(id.as_bytes());
                }
                m.put("sync", Value::Bytes(bytes));
            }
            Message::DocRefused {
                sender_id,
                target_id,
                document_id,
                reason,
            } => {
                m.text("senderId", sender_id.as_str());
                m.text("targetId", target_id.as_str());
                m.text("documentId", &document_id.to_string());
                m.text("reason", reason);
            }
            Message::Error {
                message,
                sender_id,
                target_id,
            } => {
                m.text("message", message);
                if let Some(s) = sender_id {
                    m.text("senderId", s.as_str());
                }
                if let Some(t) = target_id {
                    m.text("targetId", t.as_str());
                }
            }
        }
        Value::Map(m.0)
    }
}

struct MapBuilder(Vec<(Value, Value)>);

impl MapBuilder {
    fn new(type_name: &str) -> Self {
        Self(vec![(
            Value::Text("type".into()),
            Value::Text(type_name.into()),
        )])
    }

    fn put(&mut self, key: &str, value: Value) {
        self.0.push((Value::Text(key.into()), value));
    }

    fn text(&mut self, key: &str, value: &str) {
        self.put(key, Value::Text(value.into()));
    }
}

fn metadata_value(meta: &PeerMetadata) -> Value {
    let mut m = Vec::new();
    if let Some(s) = &meta.storage_id {
        m.push((Value::Text("storageId".into()), Value::Text(s.clone())));
    }
    m.push((
        Value::Text("isEphemeral".into()),
        Value::Bool(meta.is_ephemeral),
    ));
    if let Some(w) = &meta.wangge {
        m.push((Value::Text("wangge".into()), wangge_value(w)));
    }
    Value::Map(m)
}

fn wangge_value(w: &WanggeCapabilities) -> Value {
    let mut m = vec![
        (Value::Text("v".into()), Value::Integer(w.version.into())),
        (
            Value::Text("features".into()),
            Value::Array(w.features.iter().map(|f| Value::Text(f.clone())).collect()),
        ),
    ];
    if let Some(kinds) = &w.kinds {
        m.push((
            Value::Text("kinds".into()),
            Value::Array(kinds.iter().map(|k| Value::Text(k.clone())).collect()),
        ));
    }
    Value::Map(m)
}

//! Decoding CBOR bytes into a [`Message`], strictly bounded and tolerant of JS peers.
//!
//! Tolerances: numbers may arrive as float64 (cbor-x writes `Date.now()` and counters that
//! way), `documentId` as base58check text or 16 raw bytes, `supportedProtocolVersions` as
//! one string or a list, optional fields as `null`/`undefined`; unknown keys are skipped.
//! Strictness: the bounded pre-scan (see `scan`), a cap on every string, duplicate keys
//! refused, and known keys must have the right type.

use ciborium::Value;

use crate::doc_id::DocumentId;
use crate::heads::{DIGEST_BYTES, ENTRY_BYTES, HeadsDigest};
use crate::limits::Limits;
use crate::message::Message;
use crate::metadata::{PeerMetadata, WanggeCapabilities};
use crate::peer_id::PeerId;
use crate::scan::scan;

/// Why bytes are not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The message is larger than the limit.
    #[error("message of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Actual length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More CBOR items than allowed.
    #[error("message has more than {0} CBOR items")]
    TooManyItems(usize),
    /// Nested deeper than allowed.
    #[error("message nests deeper than {0}")]
    TooDeep(usize),
    /// Not well-formed CBOR.
    #[error("malformed CBOR: {0}")]
    Malformed(&'static str),
    /// Well-formed CBOR, but not a map.
    #[error("message is not a CBOR map")]
    NotAMap,
    /// The same key twice.
    #[error("duplicate key {0:?}")]
    DuplicateKey(String),
    /// A required field is missing.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// A field has the wrong CBOR type or an invalid value.
    #[error("field {0} has the wrong type or value")]
    BadField(&'static str),
    /// A field is longer than its limit.
    #[error("field {field} is {len} bytes, over the limit of {max}")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The `documentId` is not a document id.
    #[error("field documentId is not a valid document id")]
    BadDocumentId,
    /// The `type` is not one this crate knows (name cut to 64 bytes).
    #[error("unknown message type {0:?}")]
    UnknownType(String),
}

impl Message {
    /// Decodes one message within the default [`Limits`].
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        Self::decode_with(bytes, &Limits::default())
    }

    /// Decodes one message within `limits`.
    pub fn decode_with(bytes: &[u8], limits: &Limits) -> Result<Message, DecodeError> {
        scan(bytes, limits)?;
        let value: Value =
            ciborium::de::from_reader(bytes).map_err(|_| DecodeError::Malformed("invalid CBOR"))?;
        let Value::Map(entries) = value else {
            return Err(DecodeError::NotAMap);
        };
        let fields = Fields::new(entries, limits)?;
        fields.into_message()
    }
}

/// The top-level map, keyed by text; non-text keys are ignored.
struct Fields<'l> {
    entries: Vec<(String, Value)>,
    limits: &'l Limits,
}

impl<'l> Fields<'l> {
    fn new(raw: Vec<(Value, Value)>, limits: &'l Limits) -> Result<Self, DecodeError> {
        let mut entries: Vec<(String, Value)> = Vec::with_capacity(raw.len());
        for (k, v) in raw {
            let Value::Text(k) = k else { continue };
            if entries.iter().any(|(seen, _)| *seen == k) {
                return Err(DecodeError::DuplicateKey(cut(&k)));
            }
            entries.push((k, v));
        }
        Ok(Self { entries, limits })
    }

    /// Takes a field out, treating `null`/`undefined` as absent.
    fn take(&mut self, key: &'static str) -> Option<Value> {
        let at = self.entries.iter().position(|(k, _)| k == key)?;
        let (_, v) = self.entries.swap_remove(at);
        (!matches!(v, Value::Null)).then_some(v)
    }

    fn required(&mut self, key: &'static str) -> Result<Value, DecodeError> {
        self.take(key).ok_or(DecodeError::MissingField(key))
    }

    fn text(&mut self, key: &'static str, max: usize) -> Result<String, DecodeError> {
        text(self.required(key)?, key, max)
    }

    fn peer(&mut self, key: &'static str) -> Result<PeerId, DecodeError> {
        let s = self.text(key, self.limits.max_peer_id_bytes)?;
        if s.is_empty() {
            return Err(DecodeError::BadField(key));
        }
        Ok(PeerId::new(s))
    }

    fn optional_peer(&mut self, key: &'static str) -> Result<Option<PeerId>, DecodeError> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => Ok(Some(PeerId::new(text(
                v,
                key,
                self.limits.max_peer_id_bytes,
            )?))),
        }
    }

    fn document(&mut self) -> Result<DocumentId, DecodeError> {
        match self.required("documentId")? {
            Value::Text(s) => s.parse().map_err(|_| DecodeError::BadDocumentId),
            Value::Bytes(b) => DocumentId::from_bytes(&b).map_err(|_| DecodeError::BadDocumentId),
            _ => Err(DecodeError::BadDocumentId),
        }
    }

    fn data(&mut self) -> Result<Vec<u8>, DecodeError> {
        match self.required("data")? {
            Value::Bytes(b) => Ok(b),
            _ => Err(DecodeError::BadField("data")),
        }
    }

    fn metadata(&mut self) -> Result<Option<PeerMetadata>, DecodeError> {
        // The README calls it `metadata`, the code `peerMetadata`; accept both.
        let v = match self.take("peerMetadata") {
            Some(v) => Some(v),
            None => self.take("metadata"),
        };
        v.map(|v| metadata(v, self.limits)).transpose()
    }

    fn into_message(mut self) -> Result<Message, DecodeError> {
        let kind = self.text("type", self.limits.max_short_string_bytes)?;
        let short = self.limits.max_short_string_bytes;
        let msg = match kind.as_str() {
            "join" => Message::Join {
                sender_id: self.peer("senderId")?,
                supported_protocol_versions: versions(
                    self.required("supportedProtocolVersions")?,
                    short,
                )?,
                peer_metadata: self.metadata()?,
            },
            "peer" => Message::Peer {
                sender_id: self.peer("senderId")?,
                target_id: self.peer("targetId")?,
                selected_protocol_version: self.text("selectedProtocolVersion", short)?,
                peer_metadata: self.metadata()?,
            },
            "leave" => Message::Leave {
                sender_id: self.peer("senderId")?,
            },
            "request" | "sync" => {
                let sender_id = self.peer("senderId")?;
                let target_id = self.peer("targetId")?;
                let document_id = self.document()?;
                let data = self.data()?;
                if kind == "request" {
                    Message::Request {
                        sender_id,
                        target_id,
                        document_id,
                        data,
                    }
                } else {
                    Message::Sync {
                        sender_id,
                        target_id,
                        document_id,
                        data,
                    }
                }
            }
            "doc-unavailable" => Message::DocUnavailable {
                sender_id: self.peer("senderId")?,
                target_id: self.peer("targetId")?,
                document_id: self.document()?,
            },
            "ephemeral" => Message::Ephemeral {
                sender_id: self.peer("senderId")?,
                target_id: self.peer("targetId")?,
                count: uint(self.required("count")?, "count")?,
                session_id: self.text("sessionId", short)?,
                document_id: self.document()?,
                data: self.data()?,
            },
            "wangge-heads" => Message::HeadsSummary {
                sender_id: self.peer("senderId")?,
                target_id: self.peer("targetId")?,
                docs: summary(self.required("heads")?, self.limits)?,
            },
            "wangge-heads-reply" => Message::HeadsReply {
                sender_id: self.peer("senderId")?,
                target_id: self.peer("targetId")?,
                sync: id_list(self.required("sync")?, self.limits)?,
            },
            "wangge-doc-refused" => Message::DocRefused {
                sender_id: self.peer("senderId")?,
                target_id: self.peer("targetId")?,
                document_id: self.document()?,
                reason: self.text("reason", short)?,
            },
            "error" => Message::Error {
                message: self.text("message", self.limits.max_error_text_bytes)?,
                sender_id: self.optional_peer("senderId")?,
                target_id: self.optional_peer("targetId")?,
            },
            other => return Err(DecodeError::UnknownType(cut(other))),
        };
        Ok(msg)
    }
}

/// Checks a packed list of `entry`-byte records against the summary cap.
fn packed(
    v: Value,
    field: &'static str,
    entry: usize,
    limits: &Limits,
) -> Result<Vec<u8>, DecodeError> {
    let Value::Bytes(b) = v else {
        return Err(DecodeError::BadField(field));
    };
    if b.len() % entry != 0 {
        return Err(DecodeError::BadField(field));
    }
    let max = limits.max_summary_docs.saturating_mul(entry);
    if b.len() > max {
        return Err(DecodeError::FieldTooLong {
            field,
            len: b.len(),
            max,
        });
    }
    Ok(b)
}

fn summary(v: Value, limits: &Limits) -> Result<Vec<(DocumentId, HeadsDigest)>, DecodeError> {
    let b = packed(v, "heads", ENTRY_BYTES, limits)?;
    b.chunks_exact(ENTRY_BYTES)
        .map(|e| {
            let (id, digest) = e.split_at(16);
            let id = DocumentId::from_bytes(id).map_err(|_| DecodeError::BadDocumentId)?;
            let mut d = [0u8; DIGEST_BYTES];
            d.copy_from_slice(digest);
            Ok((id, d))
        })
        .collect()
}

fn id_list(v: Value, limits: &Limits) -> Result<Vec<DocumentId>, DecodeError> {
    let b = packed(v, "sync", 16, limits)?;
    b.chunks_exact(16)
        .map(|id| DocumentId::from_bytes(id).map_err(|_| DecodeError::BadDocumentId))
        .collect()
}

fn cut(s: &str) -> String {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn text(v: Value, field: &'static str, max: usize) -> Result<String, DecodeError> {
    match v {
        Value::Text(s) if s.len() <= max => Ok(s),
        Value::Text(s) => Err(DecodeError::FieldTooLong {
            field,
            len: s.len(),
            max,
        }),
        _ => Err(DecodeError::BadField(field)),
    }
}

/// A non-negative integer, also accepted as an integral float64 (JS numbers).
fn uint(v: Value, field: &'static str) -> Result<u64, DecodeError> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0; // 2^53 - 1
    match v {
        Value::Integer(i) => u64::try_from(i).map_err(|_| DecodeError::BadField(field)),
        Value::Float(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE => {
            // In range and integral, so the cast is exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(f as u64)
        }
        _ => Err(DecodeError::BadField(field)),
    }
}

fn versions(v: Value, max: usize) -> Result<Vec<String>, DecodeError> {
    const FIELD: &str = "supportedProtocolVersions";
    match v {
        Value::Text(_) => Ok(vec![text(v, FIELD, max)?]),
        Value::Array(items) => items.into_iter().map(|i| text(i, FIELD, max)).collect(),
        _ => Err(DecodeError::BadField(FIELD)),
    }
}

fn metadata(v: Value, limits: &Limits) -> Result<PeerMetadata, DecodeError> {
    const FIELD: &str = "peerMetadata";
    let Value::Map(entries) = v else {
        return Err(DecodeError::BadField(FIELD));
    };
    let mut meta = PeerMetadata::default();
    for (k, v) in entries {
        let Value::Text(k) = k else { continue };
        match (k.as_str(), v) {
            (_, Value::Null) => {}
            ("storageId", v) => {
                meta.storage_id = Some(text(v, "storageId", limits.max_short_string_bytes)?)
            }
            ("isEphemeral", Value::Bool(b)) => meta.is_ephemeral = b,
            ("isEphemeral", _) => return Err(DecodeError::BadField("isEphemeral")),
            ("wangge", v) => meta.wangge = Some(wangge(v, limits)?),
            _ => {}
        }
    }
    Ok(meta)
}

fn wangge(v: Value, limits: &Limits) -> Result<WanggeCapabilities, DecodeError> {
    const FIELD: &str = "wangge";
    let Value::Map(entries) = v else {
        return Err(DecodeError::BadField(FIELD));
    };
    let mut caps = WanggeCapabilities::default();
    for (k, v) in entries {
        let Value::Text(k) = k else { continue };
        match (k.as_str(), v) {
            ("v", v) => caps.version = uint(v, "wangge.v")?,
            ("features", Value::Array(items)) => {
                caps.features = items
                    .into_iter()
                    .map(|i| text(i, "wangge.features", limits.max_short_string_bytes))
                    .collect::<Result<_, _>>()?
            }
            ("features", _) => return Err(DecodeError::BadField("wangge.features")),
            ("kinds", Value::Array(items)) => {
                caps.kinds = Some(
                    items
                        .into_iter()
                        .map(|i| text(i, "wangge.kinds", limits.max_short_string_bytes))
                        .collect::<Result<_, _>>()?,
                )
            }
            ("kinds", _) => return Err(DecodeError::BadField("wangge.kinds")),
            _ => {}
        }
    }
    Ok(caps)
}

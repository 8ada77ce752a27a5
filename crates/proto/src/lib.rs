//! `wangge-proto`: the wire protocol and the ids shared by the Wangge app and relay.
//!
//! The relay speaks the automerge-repo v1 WebSocket protocol, so any automerge-repo peer
//! (the JS `@automerge/automerge-repo`, the Rust `samod`) can sync with it. This crate is
//! that protocol's message layer: typed messages, CBOR in and out, and hard limits on
//! what a decoder will accept from the network.
//!
//! ```
//! use wangge_proto::{DocumentId, Message, PeerId};
//!
//! let msg = Message::Sync {
//!     sender_id: PeerId::from("device-1"),
//!     target_id: PeerId::from("wangge-relay"),
//!     document_id: DocumentId::random(),
//!     data: vec![0x42, 0x00],
//! };
//! let bytes = msg.encode();
//! assert_eq!(Message::decode(&bytes), Ok(msg));
//! ```
//!
//! # Layout
//!
//! - [`doc_id`]: [`DocumentId`], a 16-byte UUID written the automerge-repo way
//!   (base58check), so any automerge-repo peer can name Wangge documents.
//! - [`peer_id`]: [`PeerId`], the opaque name peers use for each other.
//! - [`message`]: [`Message`], the `join` / `peer` / `leave` / `request` / `sync` /
//!   `doc-unavailable` / `ephemeral` / `error` messages, the Wangge
//!   `wangge-heads` / `wangge-heads-reply` / `wangge-doc-refused` extension messages, and
//!   their encoding.
//! - [`refusal`]: [`RefusalReason`], why the relay refuses one document (never the
//!   connection).
//! - [`decode`]: [`Message::decode_with`] and [`DecodeError`]: strict, bounded decoding that
//!   tolerates what JS peers send.
//! - [`heads`]: the `heads-summary` extension's digest and wire layout.
//! - [`metadata`]: [`PeerMetadata`] of `join` / `peer`, and the Wangge extension point
//!   ([`WanggeCapabilities`]) negotiated there.
//! - [`limits`]: [`Limits`], the size caps a decoder enforces.
//! - [`scan()`]: the header-only pre-scan that refuses forged lengths before any
//!   allocation (run by every decode; public for fuzzing).
//!
//! Pure code: no I/O, no async, nothing that can block.

pub mod decode;
pub mod doc_id;
pub mod heads;
pub mod limits;
pub mod message;
pub mod metadata;
pub mod peer_id;
pub mod refusal;
mod scan;

#[cfg(test)]
mod tests;

pub use decode::DecodeError;
pub use doc_id::{DocumentId, DocumentIdError};
pub use heads::{HeadsDigest, heads_digest};
pub use limits::Limits;
pub use message::{Message, PROTOCOL_VERSION};
pub use metadata::{
    FEATURE_DOC_REFUSED, FEATURE_HEADS_SUMMARY, FEATURE_SCOPE_PUSH, PeerMetadata,
    WANGGE_EXTENSION_VERSION, WanggeCapabilities,
};
pub use peer_id::PeerId;
pub use refusal::RefusalReason;
pub use scan::scan;

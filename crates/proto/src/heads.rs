//! The `heads-summary` extension's digest and wire layout.
//!
//! A device that negotiated [`crate::FEATURE_HEADS_SUMMARY`] opens a connection with one
//! [`crate::Message::HeadsSummary`] instead of one `sync` per document:
//!
//! ```text
//! {"type": "wangge-heads", "senderId": …, "targetId": …,
//!  "heads": bytes(n × 24)}          ; per doc: 16-byte document id ‖ 8-byte digest
//! ```
//!
//! The digest is the first 8 bytes of SHA-256 over the document's sorted 32-byte change
//! hashes ([`heads_digest`]). The relay compares each digest with its own heads of that
//! document: equal means both hold exactly the same heads and nothing is sent; a readable
//! document whose digest differs gets an ordinary `sync` from the relay; an unknown
//! document and one the device may not read are treated alike and named in the reply,
//! so the device syncs them the standard way (and learns nothing about the difference):
//!
//! ```text
//! {"type": "wangge-heads-reply", "senderId": …, "targetId": …,
//!  "sync": bytes(m × 16)}           ; document ids the device should sync itself
//! ```
//!
//! Everything the relay sends because of the summary (its `sync` messages, then the
//! scope push of documents the device lacks) precedes the reply on the connection.

use sha2::{Digest, Sha256};

/// Length of a heads digest, in bytes.
pub const DIGEST_BYTES: usize = 8;
/// Length of one summary entry on the wire: document id then digest.
pub const ENTRY_BYTES: usize = 16 + DIGEST_BYTES;

/// A short digest of a document's heads.
pub type HeadsDigest = [u8; DIGEST_BYTES];

/// The digest of a set of heads (32-byte change hashes), independent of their order.
pub fn heads_digest<'a>(heads: impl IntoIterator<Item = &'a [u8; 32]>) -> HeadsDigest {
    let mut sorted: Vec<&[u8; 32]> = heads.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut h = Sha256::new();
    for head in sorted {
        h.update(head);
    }
    let full = h.finalize();
    let mut out = [0u8; DIGEST_BYTES];
    out.copy_from_slice(&full[..DIGEST_BYTES]);
    out
}

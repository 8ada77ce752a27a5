//! Size limits every decoded message must respect.
//!
//! The relay checks the frame size before decoding; the decoder checks every field, so a
//! forged message cannot make either side allocate more than these numbers allow.

/// Default cap on one encoded message, in bytes (8 MiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;
/// Default cap on a peer id, in bytes.
pub const DEFAULT_MAX_PEER_ID_BYTES: usize = 128;
/// Default cap on a short string field (protocol version, session id, storage id), in bytes.
pub const DEFAULT_MAX_SHORT_STRING_BYTES: usize = 256;
/// Default cap on the text of an `error` message, in bytes.
pub const DEFAULT_MAX_ERROR_TEXT_BYTES: usize = 4096;
/// Default cap on the number of CBOR items (every key, value and element) in one message.
pub const DEFAULT_MAX_ITEMS: usize = 512;
/// Default cap on CBOR nesting depth.
pub const DEFAULT_MAX_DEPTH: usize = 8;
/// Default cap on the documents named in one `wangge-heads` or `wangge-heads-reply`.
pub const DEFAULT_MAX_SUMMARY_DOCS: usize = 20_000;

/// The limits a decoder enforces. `Limits::default()` is what the relay uses unless
/// configured otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole message accepted, in bytes. The sync payload (`data`) is bounded by it.
    pub max_message_bytes: usize,
    /// Largest `senderId` / `targetId`, in bytes.
    pub max_peer_id_bytes: usize,
    /// Largest short string (protocol version, storage id, session id), in bytes.
    pub max_short_string_bytes: usize,
    /// Largest `error` text, in bytes.
    pub max_error_text_bytes: usize,
    /// Most CBOR items in one message.
    pub max_items: usize,
    /// Deepest CBOR nesting.
    pub max_depth: usize,
    /// Most documents in one heads summary or its reply.
    pub max_summary_docs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_peer_id_bytes: DEFAULT_MAX_PEER_ID_BYTES,
            max_short_string_bytes: DEFAULT_MAX_SHORT_STRING_BYTES,
            max_error_text_bytes: DEFAULT_MAX_ERROR_TEXT_BYTES,
            max_items: DEFAULT_MAX_ITEMS,
            max_depth: DEFAULT_MAX_DEPTH,
            max_summary_docs: DEFAULT_MAX_SUMMARY_DOCS,
        }
    }
}

impl Limits {
    /// The default limits with a different whole-message cap.
    pub fn with_max_message_bytes(max_message_bytes: usize) -> Self {
        Self {
            max_message_bytes,
            ..Self::default()
        }
    }
}

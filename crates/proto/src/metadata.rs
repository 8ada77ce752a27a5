//! Peer metadata sent in `join` and `peer`, with the Wangge extension point.
//!
//! Standard automerge-repo peers send `{storageId?, isEphemeral}`. A Wangge device adds a
//! `wangge` map naming the protocol extensions it understands; the relay answers with the
//! subset it will use. Peers that send no `wangge` key get the plain protocol, and unknown
//! keys are ignored so either side can grow.

/// The Wangge extension version this crate speaks.
pub const WANGGE_EXTENSION_VERSION: u64 = 1;

/// Feature: the relay starts sync, right after the handshake, for every document in the
/// device's scope, and pushes documents new to that scope while connected. Without it the
/// relay only syncs documents the peer asked for (the automerge-repo behaviour).
pub const FEATURE_SCOPE_PUSH: &str = "scope-push";

/// Feature: right after the handshake the device sends one `wangge-heads` message with a
/// digest of every document's heads ([`crate::heads`]) instead of one `sync` per document;
/// the relay starts sync only for documents whose digest differs from its own heads and
/// answers with one `wangge-heads-reply`. Unchanged documents cost 24 bytes up and nothing
/// down. Peers without it get the standard protocol.
pub const FEATURE_HEADS_SUMMARY: &str = "heads-summary";

/// Feature: a document the relay will not take (a kind it does not know, a scope or kind
/// the device may not write) is answered with one `wangge-doc-refused` naming the
/// document and why, instead of the plain `doc-unavailable`. Either way the refusal is
/// for that document alone: the connection and every other document go on.
pub const FEATURE_DOC_REFUSED: &str = "doc-refused";

/// Every feature this crate knows of.
pub const KNOWN_FEATURES: &[&str] = &[
    FEATURE_SCOPE_PUSH,
    FEATURE_HEADS_SUMMARY,
    FEATURE_DOC_REFUSED,
];

/// Metadata a peer sends about itself in `join` or `peer`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    /// The id of the sender's persistent storage, if any.
    pub storage_id: Option<String>,
    /// Whether the sender will not come back with this storage id.
    pub is_ephemeral: bool,
    /// The Wangge extension, present only between Wangge peers.
    pub wangge: Option<WanggeCapabilities>,
}

/// The `wangge` key of peer metadata: extension version and feature names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WanggeCapabilities {
    /// Extension version; [`WANGGE_EXTENSION_VERSION`] for this crate.
    pub version: u64,
    /// Feature names, such as [`FEATURE_SCOPE_PUSH`]. Unknown names are kept, not refused.
    pub features: Vec<String>,
    /// The document kinds the sender accepts (the relay's answer in `peer`); `None` when
    /// it does not say. A device holds back documents of other kinds, and offers them
    /// once a relay that accepts them answers.
    pub kinds: Option<Vec<String>>,
}

impl WanggeCapabilities {
    /// This crate's version with the given features.
    pub fn new<I, S>(features: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            version: WANGGE_EXTENSION_VERSION,
            features: features.into_iter().map(Into::into).collect(),
            kinds: None,
        }
    }

    /// The same, announcing the document kinds accepted.
    pub fn with_kinds<I, S>(mut self, kinds: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.kinds = Some(kinds.into_iter().map(Into::into).collect());
        self
    }

    /// Whether documents of `kind` are accepted (`true` when the sender does not say).
    pub fn accepts_kind(&self, kind: &str) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|k| k.iter().any(|x| x == kind))
    }

    /// Whether `feature` is announced.
    pub fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// The features both `self` and `other` announce, in `self`'s order.
    pub fn intersect(&self, other: &WanggeCapabilities) -> WanggeCapabilities {
        WanggeCapabilities {
            version: self.version.min(other.version),
            features: self
                .features
                .iter()
                .filter(|f| other.has(f))
                .cloned()
                .collect(),
            kinds: self.kinds.clone(),
        }
    }
}

impl PeerMetadata {
    /// Whether the peer announced the Wangge `feature`.
    pub fn has_wangge_feature(&self, feature: &str) -> bool {
        self.wangge.as_ref().is_some_and(|w| w.has(feature))
    }
}

//! One connection's view inside the hub: who it is, what it negotiated, its sync states,
//! the documents it is creating.

use std::collections::HashMap;

use automerge::Automerge;
use automerge::sync;
use wangge_proto::{DocumentId, PeerId};

use crate::store::DeviceAuth;

/// A document a peer is creating, not registered yet (invisible to everyone else) until
/// its changes show a `kind` and `scope` the peer may write.
pub(crate) struct Pending {
    /// What has arrived so far.
    pub doc: Automerge,
    /// Change bytes received for it, against the connection's budget.
    pub bytes: usize,
}

/// A connection as the hub sees it.
pub(crate) struct Session {
    /// The authenticated device.
    pub auth: DeviceAuth,
    /// The peer id from `join`; `None` until the handshake.
    pub peer: Option<PeerId>,
    /// Whether the device asked for the scope-push extension.
    pub push: bool,
    /// Whether both sides agreed on the heads-summary extension.
    pub summary: bool,
    /// Whether both sides agreed on the doc-refused extension (refusals name their
    /// reason; otherwise they are plain `doc-unavailable`).
    pub refusals: bool,
    /// Whether the device's heads summary has arrived (at most one per connection).
    pub summarized: bool,
    /// Sync state per document, registered or pending.
    pub states: HashMap<DocumentId, sync::State>,
    /// Documents this peer is creating.
    pub pending: HashMap<DocumentId, Pending>,
    /// Change bytes held in `pending`.
    pub pending_bytes: usize,
}

impl Session {
    pub fn new(auth: DeviceAuth) -> Self {
        Self {
            auth,
            peer: None,
            push: false,
            summary: false,
            refusals: false,
            summarized: false,
            states: HashMap::new(),
            pending: HashMap::new(),
            pending_bytes: 0,
        }
    }

    /// Whether documents this connection has no state for may be offered to it now: it
    /// asked for the scope push, and no heads summary is still to come (the summary is
    /// answered against the relay's heads at that moment, so an offer made before it
    /// would only start a sync round the summary makes needless).
    pub fn takes_offers(&self) -> bool {
        self.push && (!self.summary || self.summarized)
    }

    /// Documents this connection tracks (sync states, including pending ones).
    pub fn doc_count(&self) -> usize {
        self.states.len()
    }

    /// Whether the peer is creating `doc` on this connection.
    pub fn is_pending(&self, doc: &DocumentId) -> bool {
        self.pending.contains_key(doc)
    }

    /// Forgets a document (its state and anything pending of it).
    pub fn forget(&mut self, doc: &DocumentId) {
        self.states.remove(doc);
        if let Some(p) = self.pending.remove(doc) {
            self.pending_bytes = self.pending_bytes.saturating_sub(p.bytes);
        }
    }

    /// Takes a pending document out (it is being registered).
    pub fn take_pending(&mut self, doc: &DocumentId) -> Option<Automerge> {
        let p = self.pending.remove(doc)?;
        self.pending_bytes = self.pending_bytes.saturating_sub(p.bytes);
        Some(p.doc)
    }
}

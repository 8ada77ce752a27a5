//! One connection's view inside the hub: who it is, its sync states, its pending new docs.

use std::collections::HashMap;

use automerge::Automerge;
use automerge::sync;
use wangge_proto::{DocumentId, PeerId};

use crate::store::DeviceAuth;

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
    /// Whether the device's heads summary has arrived (at most one per connection).
    pub summarized: bool,
    /// Sync state per document, registered or pending.
    pub states: HashMap<DocumentId, sync::State>,
    /// Documents this peer is creating, not yet registered (not visible to anyone else).
    pub pending: HashMap<DocumentId, Automerge>,
}

impl Session {
    pub fn new(auth: DeviceAuth) -> Self {
        Self {
            auth,
            peer: None,
            push: false,
            summary: false,
            summarized: false,
            states: HashMap::new(),
            pending: HashMap::new(),
        }
    }

    /// Documents this connection tracks (sync states, including pending ones).
    pub fn doc_count(&self) -> usize {
        self.states.len()
    }

    /// Forgets a document.
    pub fn forget(&mut self, doc: &DocumentId) {
        self.states.remove(doc);
        self.pending.remove(doc);
    }
}

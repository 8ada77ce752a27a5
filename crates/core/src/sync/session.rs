//! [`Session`]: the state of one connection to the relay and what to send, without I/O.
//!
//! The WebSocket worker moves bytes; everything it decides lives here, over the store:
//!
//! - the first round: one `wangge-heads` summary of every document offered (with the
//!   `heads-summary` extension), or one `sync` each, then the barrier `request`;
//! - documents the store's change feed names: one `sync` each (never a scan of the store);
//! - the relay's messages: `sync` / `request` answered, `doc-unavailable` and
//!   `wangge-doc-refused` marking a document unavailable or waiting;
//! - which documents are pending, tracked incrementally: only documents touched since the
//!   last count (a message received, a local change, a reply to the summary) are looked at.
//!
//! Documents whose kind the relay does not list in its `peer` answer are held back: they
//! stay in the store, count as waiting and are never offered on this connection. Refused
//! documents are not offered again on this connection either (transient refusals, `busy`
//! and `too-many`, are retried on the next periodic round); the next connection starts
//! over, so a relay upgrade or a scope change lets them through.

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::ChangeHash;
use wangge_proto::{DocumentId, Message, PeerId, RefusalReason, WanggeCapabilities, heads_digest};
use wangge_schema::root::KIND_KEY;

use super::LinkError;
use super::status::{WaitReason, wait_code};
use crate::doc::DocKind;
use crate::store::Store;

/// What the status shows of a session, counted after a burst of messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub pending: usize,
    pub unavailable: usize,
    pub waiting: usize,
    pub reasons: BTreeMap<&'static str, usize>,
    /// The barrier passed: the relay's own documents for this device have been offered.
    pub barrier: bool,
}

/// One connection's state.
pub(super) struct Session {
    me: PeerId,
    relay: PeerId,
    /// The heads-summary extension was agreed.
    use_summary: bool,
    /// The relay's capabilities from `peer` (the kinds it takes), if it sent any.
    relay_caps: Option<WanggeCapabilities>,
    /// The heads summary sent, until the relay's reply.
    summary: Option<Vec<(DocumentId, Vec<ChangeHash>)>>,
    /// The barrier: a request for a document nobody has, answered after the scope push.
    probe: DocumentId,
    barrier: bool,
    /// Documents held here that the relay does not take on this connection, and why.
    waiting: HashMap<DocumentId, WaitReason>,
    /// Documents not held here that the relay answered `doc-unavailable` for.
    unavailable: HashSet<DocumentId>,
    /// Documents the relay sent messages for on this connection (its scope push included).
    offered: HashSet<DocumentId>,
    /// Documents not in sync yet, as of the last count.
    pending: HashSet<DocumentId>,
    /// Documents to look at in the next count.
    dirty: HashSet<DocumentId>,
    /// Something besides documents changed (the barrier, refusals, photos): count again.
    stale: bool,
    /// The relay's messages brought changes this store did not have since the last
    /// [`Session::take_received`] (they may name photos to fetch).
    received: bool,
}

impl Session {
    /// A session as `me` with the relay `relay`, which agreed on the heads summary or not
    /// and announced `relay_caps` in `peer`.
    pub fn new(
        me: PeerId,
        relay: PeerId,
        use_summary: bool,
        relay_caps: Option<WanggeCapabilities>,
    ) -> Self {
        Self {
            me,
            relay,
            use_summary,
            relay_caps,
            summary: None,
            probe: DocumentId::random(),
            barrier: false,
            waiting: HashMap::new(),
            unavailable: HashSet::new(),
            offered: HashSet::new(),
            pending: HashSet::new(),
            dirty: HashSet::new(),
            stale: true,
            received: false,
        }
    }

    fn peer(&self) -> &str {
        self.relay.as_str()
    }

    /// Local rounds may run: no heads summary is waiting for its reply (a round meanwhile
    /// would sync documents the summary is settling).
    pub fn ready(&self) -> bool {
        self.summary.is_none()
    }

    /// Whether a retry round has anything to do: documents not acknowledged yet (as of
    /// the last count), transiently refused ones, or the barrier not passed. When not, the
    /// connection sleeps until something arrives or changes (no timer wakes it).
    pub fn has_retry_work(&self) -> bool {
        !self.barrier || !self.pending.is_empty() || self.waiting.values().any(|r| r.is_transient())
    }

    /// Whether the status needs counting again.
    pub fn needs_count(&self) -> bool {
        self.stale || !self.dirty.is_empty()
    }

    fn sync_msg(&self, document_id: DocumentId, data: Vec<u8>) -> Message {
        Message::Sync {
            sender_id: self.me.clone(),
            target_id: self.relay.clone(),
            document_id,
            data,
        }
    }

    /// The barrier request: an empty sync message for a document id nobody has.
    fn probe_msg(&self) -> Message {
        use automerge::sync::SyncDoc;
        let data = automerge::Automerge::new()
            .generate_sync_message(&mut automerge::sync::State::new())
            .map(|m| m.encode())
            .unwrap_or_default();
        Message::Request {
            sender_id: self.me.clone(),
            target_id: self.relay.clone(),
            document_id: self.probe,
            data,
        }
    }

    /// Whether the relay takes documents of this kind. A relay that lists no kinds takes
    /// every kind; a document whose kind cannot be read (no content yet) is offered.
    fn relay_takes(&self, store: &mut Store, id: &DocumentId, kind: Option<DocKind>) -> bool {
        let Some(caps) = self.relay_caps.as_ref().filter(|c| c.kinds.is_some()) else {
            return true;
        };
        let code = match kind {
            Some(k) => Some(k.code().to_owned()),
            // A kind this build does not know (from a newer peer): read it from the root.
            None => match store.doc_with_content(id) {
                Ok(Some(doc)) => wangge_schema::root_str(&*doc, KIND_KEY),
                _ => None,
            },
        };
        code.is_none_or(|k| caps.accepts_kind(&k))
    }

    fn hold_back(&mut self, id: DocumentId) {
        self.waiting
            .insert(id, WaitReason::Refused(RefusalReason::UnknownKind));
        self.pending.remove(&id);
        self.stale = true;
    }

    /// The first messages of the connection: the heads summary, or one `sync` per
    /// document, then the barrier. Documents of kinds the relay does not take are held
    /// back. Callers take the change feed first: this covers everything stored before.
    pub fn first_round(&mut self, store: &mut Store) -> Result<Vec<Message>, LinkError> {
        let ids = store.doc_ids()?;
        let mut msgs = Vec::new();
        let mut heads = Vec::new();
        for (id, kind, _) in ids {
            if !self.relay_takes(store, &id, kind) {
                self.hold_back(id);
                continue;
            }
            if self.use_summary {
                heads.push((id, store.doc_heads(&id)?));
            } else {
                if let Some(data) = store.generate_sync_message(&id, self.peer())? {
                    msgs.push(self.sync_msg(id, data));
                }
                self.dirty.insert(id);
            }
        }
        if self.use_summary {
            let docs = heads
                .iter()
                .map(|(id, h)| (*id, heads_digest(h.iter().map(|c| &c.0))))
                .collect();
            self.summary = Some(heads);
            msgs.push(Message::HeadsSummary {
                sender_id: self.me.clone(),
                target_id: self.relay.clone(),
                docs,
            });
        }
        msgs.push(self.probe_msg());
        tracing::debug!(
            held_back = self.waiting.len(),
            summary = self.use_summary,
            "first round"
        );
        Ok(msgs)
    }

    /// One `sync` for each document the change feed named that has something to say.
    /// Documents waiting on this connection stay waiting.
    pub fn local_changes(
        &mut self,
        store: &mut Store,
        docs: impl IntoIterator<Item = DocumentId>,
    ) -> Result<Vec<Message>, LinkError> {
        let mut msgs = Vec::new();
        for id in docs {
            if self.waiting.contains_key(&id) {
                continue;
            }
            if !self.relay_takes(store, &id, None) {
                self.hold_back(id);
                continue;
            }
            // Asked for earlier and unavailable, and now written here (a day document
            // created on this device under its derived id, say): offered like any other.
            self.unavailable.remove(&id);
            if let Some(data) = store.generate_sync_message(&id, self.peer())? {
                msgs.push(self.sync_msg(id, data));
            }
            self.dirty.insert(id);
        }
        Ok(msgs)
    }

    /// A periodic round or a nudge: documents still pending get another look (a message
    /// only if automerge has something new for them), and transiently refused documents
    /// are offered again, from their saved sync state.
    pub fn retry(&mut self, store: &mut Store) -> Result<Vec<Message>, LinkError> {
        let transient: Vec<DocumentId> = self
            .waiting
            .iter()
            .filter(|(_, r)| r.is_transient())
            .map(|(id, _)| *id)
            .collect();
        for id in &transient {
            self.waiting.remove(id);
            store.restart_sync(id, self.peer());
        }
        self.stale = true;
        let again: Vec<DocumentId> = self.pending.iter().copied().collect();
        self.local_changes(store, transient.into_iter().chain(again))
    }

    /// The relay's `sync` or `request` for a document: received into the store, answered
    /// with the next message unless the document waits on this connection.
    pub fn on_sync(
        &mut self,
        store: &mut Store,
        id: DocumentId,
        data: &[u8],
    ) -> Result<Option<Message>, LinkError> {
        self.offered.insert(id);
        self.dirty.insert(id);
        match store.receive_sync_message(&id, self.peer(), data) {
            Ok(outcome) => self.received |= outcome.new_changes > 0,
            Err(e) => {
                tracing::warn!(doc = %id, code = %e.code(), "sync message refused");
                return Err(LinkError::Store);
            }
        }
        if self.waiting.contains_key(&id) {
            return Ok(None);
        }
        Ok(store
            .generate_sync_message(&id, self.peer())?
            .map(|data| self.sync_msg(id, data)))
    }

    /// Whether changes came in since the last call (and forgets it).
    pub fn take_received(&mut self) -> bool {
        std::mem::take(&mut self.received)
    }

    /// The relay's reply to the heads summary: documents it names get a standard sync
    /// message; the others hold exactly the summarized heads there.
    pub fn on_heads_reply(
        &mut self,
        store: &mut Store,
        to_sync: Vec<DocumentId>,
    ) -> Result<Vec<Message>, LinkError> {
        let Some(heads) = self.summary.take() else {
            return Err(LinkError::Protocol);
        };
        let to_sync: HashSet<DocumentId> = to_sync.into_iter().collect();
        let mut msgs = Vec::new();
        for (id, h) in heads {
            if self.waiting.contains_key(&id) {
                // Refused while the summary was on its way: it waits.
                continue;
            }
            if to_sync.contains(&id) {
                if let Some(data) = store.generate_sync_message(&id, self.peer())? {
                    msgs.push(self.sync_msg(id, data));
                }
                self.dirty.insert(id);
            } else if !store.mark_in_sync(&id, self.peer(), h) {
                // Already being synced on this connection: the count looks at it.
                self.dirty.insert(id);
            }
        }
        self.stale = true;
        Ok(msgs)
    }

    /// `doc-unavailable`: the barrier's answer, or a document the relay will not share
    /// or take. One this device holds waits; one it only asked for is unavailable.
    pub fn on_unavailable(&mut self, store: &mut Store, id: DocumentId) -> Result<(), LinkError> {
        if id == self.probe {
            self.barrier = true;
        } else if store.doc_heads(&id)?.is_empty() {
            self.unavailable.insert(id);
        } else {
            self.waiting.insert(id, WaitReason::Unavailable);
        }
        self.pending.remove(&id);
        self.dirty.remove(&id);
        self.stale = true;
        Ok(())
    }

    /// `wangge-doc-refused`: the relay will not take this document (and stored nothing of
    /// it). It waits for the next connection (or the next round, if transient).
    pub fn on_refused(
        &mut self,
        store: &mut Store,
        id: DocumentId,
        reason: &str,
    ) -> Result<(), LinkError> {
        let reason = RefusalReason::parse(reason);
        tracing::info!(doc = %id, reason = %reason, "relay refused a document; it waits");
        if id == self.probe {
            self.barrier = true;
        } else if store.doc_heads(&id)?.is_empty() {
            self.unavailable.insert(id);
        } else {
            self.waiting.insert(id, WaitReason::Refused(reason));
        }
        self.pending.remove(&id);
        self.dirty.remove(&id);
        self.stale = true;
        Ok(())
    }

    /// Brings the pending set up to date for the documents touched since the last count.
    pub fn count(&mut self, store: &mut Store) -> Result<Counts, LinkError> {
        for id in std::mem::take(&mut self.dirty) {
            if self.waiting.contains_key(&id) || self.unavailable.contains(&id) {
                self.pending.remove(&id);
                continue;
            }
            let still = if store.doc_heads(&id)?.is_empty() {
                // Not here yet: pending while the relay is sending it.
                self.offered.contains(&id)
            } else {
                !store.sync_acknowledged(&id, self.peer())?
            };
            if still {
                self.pending.insert(id);
            } else {
                self.pending.remove(&id);
            }
        }
        self.stale = false;
        let mut reasons = BTreeMap::new();
        for r in self.waiting.values() {
            *reasons.entry(wait_code(*r)).or_insert(0) += 1;
        }
        Ok(Counts {
            pending: self.pending.len(),
            unavailable: self.unavailable.len(),
            waiting: self.waiting.len(),
            reasons,
            barrier: self.barrier,
        })
    }

    /// Something outside the documents changed (uploads queued): count again.
    pub fn touch(&mut self) {
        self.stale = true;
    }
}

//! Sync with a peer through automerge's sync protocol, without I/O: the engine (or a test)
//! carries the bytes. Received changes enter the store exactly like
//! [`Store::apply_changes`]: change log, index rows and the peer's sync state in one
//! transaction.
//!
//! Each document and peer has one [`State`]. Within a connection it lives in memory (it
//! tracks what is in flight); after every received message its encoded form, which keeps
//! only the shared heads, is saved. [`Store::begin_sync_session`] drops the in-memory
//! states, so every connection starts from the saved ones, never from the last
//! connection's in-flight state.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{Capability, Have, Message, State, SyncDoc};
use automerge::{Automerge, ChangeHash};
use rusqlite::{OptionalExtension, Transaction, params};
use wangge_proto::DocumentId;

use super::{ApplyOutcome, Store};
use crate::error::{CoreError, Result};

/// The in-memory sync states of the current sessions, by document and peer.
#[derive(Default)]
pub(crate) struct Sessions {
    states: HashMap<(DocumentId, String), State>,
}

pub(super) fn save_state(
    tx: &Transaction<'_>,
    id: &DocumentId,
    peer: &str,
    state: &[u8],
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_states (doc_id, peer, state) VALUES (?1, ?2, ?3)
         ON CONFLICT (doc_id, peer) DO UPDATE SET state = ?3",
    )?
    .execute(params![id.as_bytes(), peer, state])?;
    Ok(())
}

/// Primes the state of a document never synced with the peer as if the peer had said it
/// holds nothing (and reads automerge's compressed document format), so the first message
/// carries the whole document instead of waiting a round trip for the peer to ask. A
/// document the peer does hold after all costs some bytes it did not need; the peer's
/// reply then sets the state right and the protocol goes on as usual.
fn assume_peer_has_nothing(state: &mut State) {
    state.their_heads = Some(vec![]);
    state.their_need = Some(vec![]);
    state.their_have = Some(vec![Have::default()]);
    state.their_capabilities = Some(vec![Capability::MessageV2]);
}

impl Store {
    /// Starts a new connection with `peer`: forgets every in-memory sync state for it, so
    /// the next messages start from the saved states (shared heads only).
    pub fn begin_sync_session(&mut self, peer: &str) {
        self.sync.states.retain(|(_, p), _| p != peer);
    }

    /// Forgets the in-memory sync state of one document with `peer` (the peer dropped what
    /// it had of it, refusing it for now): the next message starts from the saved state,
    /// as on a new connection.
    pub(crate) fn restart_sync(&mut self, id: &DocumentId, peer: &str) {
        self.sync.states.remove(&(*id, peer.to_owned()));
    }

    /// The session state for a document and peer, taken out of memory or loaded from disk;
    /// `true` with it when there was neither (the document was never synced with the peer).
    fn take_state(&mut self, id: &DocumentId, peer: &str) -> Result<(State, bool)> {
        if let Some(s) = self.sync.states.remove(&(*id, peer.to_owned())) {
            return Ok((s, false));
        }
        let saved: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT state FROM sync_states WHERE doc_id = ?1 AND peer = ?2",
                params![id.as_bytes(), peer],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match saved {
            Some(bytes) => (
                State::decode(&bytes).unwrap_or_else(|_| {
                    tracing::warn!(doc = %id, "saved sync state unreadable; starting afresh");
                    State::new()
                }),
                false,
            ),
            None => (State::new(), true),
        })
    }

    fn put_state(&mut self, id: &DocumentId, peer: &str, state: State) {
        self.sync.states.insert((*id, peer.to_owned()), state);
    }

    /// Makes sure the document is loaded, creating it empty (in memory only) if unknown.
    fn doc_or_empty(&mut self, id: &DocumentId) -> Result<()> {
        if self.doc(id)?.is_none() {
            let mut doc = Automerge::new();
            doc.set_actor(self.actor.clone());
            self.cache.insert(*id, doc);
        }
        Ok(())
    }

    /// The next sync message for `peer` about document `id` (encoded), or `None` when the
    /// peer is known to have everything and nothing is needed. A document unknown here
    /// gives a message asking for it.
    pub fn generate_sync_message(
        &mut self,
        id: &DocumentId,
        peer: &str,
    ) -> Result<Option<Vec<u8>>> {
        self.doc_or_empty(id)?;
        let (mut state, never_synced) = self.take_state(id, peer)?;
        let doc = self
            .cache
            .get_mut(id)
            .ok_or(CoreError::NotFound { what: "document" })?;
        if never_synced && !doc.get_heads().is_empty() {
            assume_peer_has_nothing(&mut state);
        }
        let msg = catch_unwind(AssertUnwindSafe(|| doc.generate_sync_message(&mut state)));
        match msg {
            Ok(msg) => {
                self.put_state(id, peer, state);
                Ok(msg.map(Message::encode))
            }
            Err(_) => {
                self.cache.remove(id);
                Err(CoreError::Document(
                    "automerge panicked generating a sync message".into(),
                ))
            }
        }
    }

    /// Receives a sync message from `peer` about document `id` (created empty if unknown):
    /// new changes go to the change log and index rows, with the peer's sync state, in one
    /// transaction. Bytes that are not a sync message, changes automerge refuses, and
    /// panics inside automerge are refused with nothing written.
    #[tracing::instrument(skip_all, fields(doc = %id))]
    pub fn receive_sync_message(
        &mut self,
        id: &DocumentId,
        peer: &str,
        bytes: &[u8],
    ) -> Result<ApplyOutcome> {
        let msg = catch_unwind(|| Message::decode(bytes))
            .map_err(|_| CoreError::Document("automerge panicked decoding a sync message".into()))?
            .map_err(|e| CoreError::Document(format!("not an automerge sync message: {e}")))?;
        self.doc_or_empty(id)?;
        let (mut state, _) = self.take_state(id, peer)?;
        let doc = self
            .cache
            .get_mut(id)
            .ok_or(CoreError::NotFound { what: "document" })?;
        let before = doc.get_heads();
        let received = catch_unwind(AssertUnwindSafe(|| {
            doc.receive_sync_message(&mut state, msg)
        }));
        let refused = match received {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(CoreError::Document(format!("sync message refused: {e}"))),
            Err(_) => Some(CoreError::Document(
                "automerge panicked on this sync message".into(),
            )),
        };
        if let Some(e) = refused {
            // The in-memory doc may hold part of it: reload from disk on next use. The
            // session state is dropped too (reloaded from its saved form).
            self.cache.remove(id);
            return Err(e);
        }
        let encoded = state.encode();
        match self.persist_remote(id, &before, None, Some((peer, encoded))) {
            Ok(outcome) => {
                self.put_state(id, peer, state);
                Ok(outcome)
            }
            Err(e) => {
                self.cache.remove(id);
                Err(e)
            }
        }
    }

    /// The current heads of a document (empty if unknown), for a heads summary.
    pub(crate) fn doc_heads(&mut self, id: &DocumentId) -> Result<Vec<ChangeHash>> {
        Ok(self.current_heads(id)?.unwrap_or_default())
    }

    /// A document's heads, from memory when possible; `None` if it is not stored.
    fn current_heads(&mut self, id: &DocumentId) -> Result<Option<Vec<ChangeHash>>> {
        if let Some(h) = self.cache.heads(id) {
            return Ok(Some(h));
        }
        Ok(self.doc(id)?.map(|d| d.get_heads()))
    }

    /// Records that `peer` holds exactly `heads` of `id` (its heads summary matched), as
    /// after a completed sync: nothing is sent until the document moves on, and then the
    /// new changes go in the first message. Only when nothing about `id` has been
    /// exchanged with `peer` in this session yet (otherwise the running sync knows
    /// better); returns whether it did. Nothing is written: the saved state stays as it
    /// is and the next connection starts from it, as always.
    pub(crate) fn mark_in_sync(
        &mut self,
        id: &DocumentId,
        peer: &str,
        heads: Vec<ChangeHash>,
    ) -> bool {
        let key = (*id, peer.to_owned());
        if self.sync.states.contains_key(&key) {
            return false;
        }
        self.sync
            .states
            .insert(key, wangge_schema::in_sync_state(heads));
        true
    }

    /// Whether `peer`'s last sync message about `id` named heads that include all of this
    /// store's heads of it (the peer acknowledged everything here). A document without
    /// changes counts as acknowledged.
    pub fn sync_acknowledged(&mut self, id: &DocumentId, peer: &str) -> Result<bool> {
        let Some(ours) = self.current_heads(id)? else {
            return Ok(true);
        };
        if ours.is_empty() {
            return Ok(true);
        }
        let key = (*id, peer.to_owned());
        Ok(self
            .sync
            .states
            .get(&key)
            .and_then(|s| s.their_heads.as_ref())
            .is_some_and(|theirs| ours.iter().all(|h| theirs.contains(h))))
    }
}

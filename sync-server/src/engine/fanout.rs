//! What the relay sends on its own: the next sync message of a document on a connection,
//! offers of registered documents, the scope push after a handshake, and changes pushed to
//! every other connection that reads the document.

use std::collections::HashSet;
use std::time::Instant;

use automerge::sync;
use wangge_proto::{DocumentId, Message};

use super::hub::{ConnId, Fail, Hub, Output};
use super::{gate, guard};

impl Hub {
    /// Makes sure the connection has a sync state for a registered doc, starting from the
    /// persisted one (never from an earlier connection's in-flight state).
    pub(super) fn ensure_state(&mut self, conn: ConnId, id: DocumentId) -> Result<(), Fail> {
        let Some(session) = self.sessions.get(&conn) else {
            return Ok(());
        };
        if session.states.contains_key(&id) {
            return Ok(());
        }
        let saved = self.store.sync_state(session.auth.device_id, &id)?;
        let state = saved
            .and_then(|b| sync::State::decode(&b).ok())
            .unwrap_or_default();
        if let Some(s) = self.sessions.get_mut(&conn) {
            s.states.insert(id, state);
        }
        Ok(())
    }

    /// Sends the connection the next sync message for a document, if there is one.
    pub(super) fn reply(&mut self, conn: ConnId, id: DocumentId) -> Result<(), Fail> {
        let Some(session) = self.sessions.get_mut(&conn) else {
            return Ok(());
        };
        let Some(peer) = session.peer.clone() else {
            return Ok(());
        };
        let doc = match (self.cache.get(&id), session.pending.get(&id)) {
            (_, Some(pending)) => &pending.doc,
            (Some(loaded), None) => &loaded.doc,
            (None, None) => return Ok(()),
        };
        let Some(state) = session.states.get_mut(&id) else {
            return Ok(());
        };
        match guard::generate(doc, state) {
            Ok(Some(m)) => {
                tracing::trace!(conn, doc = %id, changes = m.changes.len(), "sync sent");
                let msg = Message::Sync {
                    sender_id: self.relay_id.clone(),
                    target_id: peer,
                    document_id: id,
                    data: m.encode(),
                };
                self.out.push(Output::Send {
                    conn,
                    bytes: msg.encode(),
                });
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(_) => {
                session.states.remove(&id);
                Err(Fail("sync state failure"))
            }
        }
    }

    /// Starts (or continues) sync of a registered document with a connection.
    pub(super) fn offer(&mut self, conn: ConnId, id: DocumentId, now: Instant) -> Result<(), Fail> {
        if !self.cache.ensure_loaded(self.store.as_ref(), id, now)? {
            return Ok(());
        }
        self.ensure_state(conn, id)?;
        self.reply(conn, id)
    }

    /// Starts sync for every registered document the connection reads, except those in
    /// `skip`: those under its scopes and the notices over them (read downward), or for
    /// a department those given to it.
    pub(super) fn push_scope(
        &mut self,
        conn: ConnId,
        skip: &HashSet<DocumentId>,
        now: Instant,
    ) -> Result<(), Fail> {
        let Some(session) = self.sessions.get(&conn) else {
            return Ok(());
        };
        let principal = &session.auth.user.principal;
        let max = self.limits.max_docs_per_connection;
        let docs = if principal.reads_grants() {
            self.store.docs_granted(&principal.scopes, max)?
        } else {
            let mut docs = self.store.docs_under(&principal.scopes, max)?;
            docs.extend(self.store.docs_read_downward(&principal.scopes, max)?);
            docs.sort_by_key(|d| d.id);
            docs.dedup_by_key(|d| d.id);
            docs.truncate(max);
            docs
        };
        for rec in docs {
            if !skip.contains(&rec.id) {
                self.offer(conn, rec.id, now)?;
            }
        }
        Ok(())
    }

    /// Pushes a changed document to every connection (but `except`, where the change came
    /// from) that may read it and either syncs it already or asked for scope push; a
    /// connection that syncs it but may no longer read it (after a move) forgets it.
    pub(super) fn announce(
        &mut self,
        id: DocumentId,
        except: Option<ConnId>,
        now: Instant,
    ) -> Result<(), Fail> {
        if !self.cache.ensure_loaded(self.store.as_ref(), id, now)? {
            return Ok(());
        }
        let Some(record) = self.cache.get(&id).map(|l| l.record.clone()) else {
            return Ok(());
        };
        let max = self.limits.max_docs_per_connection;
        let mut targets = Vec::new();
        for (c, s) in &mut self.sessions {
            if Some(*c) == except || s.peer.is_none() || s.is_pending(&id) {
                continue;
            }
            let has = s.states.contains_key(&id);
            let principal = &s.auth.user.principal;
            if !gate::readable(self.store.as_ref(), principal, &record)? {
                if has {
                    s.forget(&id);
                }
                continue;
            }
            if !principal.follows_live(record.kind) {
                continue;
            }
            if has || (s.takes_offers() && s.doc_count() < max) {
                targets.push(*c);
            }
        }
        for c in targets {
            if let Err(Fail(reason)) = self.offer(c, id, now) {
                self.fail(c, reason);
            }
        }
        Ok(())
    }
}

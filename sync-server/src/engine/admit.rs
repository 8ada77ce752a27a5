//! Sync messages from a device: for a registered document it may read, and for a document
//! it is creating (or one that exists but is not its to read: both take the same path, so
//! a peer cannot tell them apart).
//!
//! A new document is pending (held for this connection only, invisible to everyone else)
//! until its changes show a `kind` and `scope`: a standard automerge-repo peer announces
//! a document by its heads before it sends the changes, and its first changes need not
//! carry the root fields. Once they do, the write gate registers it if the peer may write
//! it, or refuses it for that document alone.

use std::time::Instant;

use automerge::Automerge;
use automerge::sync;
use tracing::{debug, info};
use wangge_proto::{DocumentId, Message, RefusalReason};
use wangge_schema::read_meta;

use super::gate::{self, Base, GateError};
use super::guard;
use super::hub::{ConnId, Fail, Hub, Output};
use super::session::Pending;

/// What to do with a pending document after a message.
enum Next {
    /// Still no root fields: answer and wait for more changes.
    Wait,
    /// Register it (or refuse it) now.
    Register,
}

impl Hub {
    pub(super) fn on_sync(
        &mut self,
        conn: ConnId,
        doc_id: DocumentId,
        data: &[u8],
        is_request: bool,
        now: Instant,
    ) -> Result<(), Fail> {
        let Some(msg) = guard::decode_sync(data) else {
            return Err(Fail("sync data is not an automerge sync message"));
        };
        if !guard::changes_well_formed(&msg) {
            return Err(Fail("sync message carries changes that are not automerge"));
        }
        let session = self.sessions.get(&conn).ok_or(Fail("no session"))?;
        if !session.states.contains_key(&doc_id)
            && session.doc_count() >= self.limits.max_docs_per_connection
        {
            self.refuse(conn, doc_id, RefusalReason::TooMany);
            return Ok(());
        }
        let pending = session.is_pending(&doc_id);
        let readable = match self.cache.record(self.store.as_ref(), &doc_id)? {
            Some(rec) => gate::readable(self.store.as_ref(), &session.auth.user.principal, &rec)?,
            None => false,
        };
        if readable && !pending {
            self.sync_existing(conn, doc_id, msg, now)
        } else {
            self.sync_new(conn, doc_id, msg, is_request, now)
        }
    }

    fn sync_existing(
        &mut self,
        conn: ConnId,
        id: DocumentId,
        msg: sync::Message,
        now: Instant,
    ) -> Result<(), Fail> {
        if !self.cache.ensure_loaded(self.store.as_ref(), id, now)? {
            return Err(Fail("document vanished"));
        }
        self.ensure_state(conn, id)?;
        let (Some(loaded), Some(session)) = (self.cache.get_mut(&id), self.sessions.get_mut(&conn))
        else {
            return Ok(());
        };
        let principal = &session.auth.user.principal;
        let Some(state) = session.states.get_mut(&id) else {
            return Ok(());
        };
        if msg.changes.is_empty() {
            if !guard::receive(&mut loaded.doc, state, msg) {
                self.cache.drop_doc(&id);
                return Err(Fail("sync message could not be applied"));
            }
            return self.reply(conn, id);
        }
        let grants = gate::grants_for(self.store.as_ref(), principal, &loaded.record)?;
        if let Err(reason) = gate::may_change(principal, &loaded.record, &grants) {
            self.refuse(conn, id, reason);
            return Ok(());
        }
        // Applied in place (no copy of the document per change); if the changes are
        // refused or cannot be stored, the document in memory is dropped and reloads from
        // disk, where they never went.
        let old_heads = loaded.doc.get_heads();
        let mut new_state = state.clone();
        if !guard::receive(&mut loaded.doc, &mut new_state, msg) {
            self.cache.drop_doc(&id);
            return Err(Fail("sync message could not be applied"));
        }
        let mut changed = false;
        let mut granted = None;
        if loaded.doc.get_heads() != old_heads {
            let base = Base::Registered {
                record: &loaded.record,
                heads: &old_heads,
            };
            // On disk before the reply below names the new heads.
            match gate::admit(
                self.store.as_mut(),
                &session.auth.user,
                id,
                &loaded.doc,
                base,
            ) {
                Ok(admitted) => {
                    loaded.record = admitted.record;
                    loaded.appended(admitted.seq);
                    granted = admitted.granted_report;
                    changed = true;
                }
                Err(GateError::Refused(reason)) => {
                    self.cache.drop_doc(&id);
                    self.refuse(conn, id, reason);
                    return Ok(());
                }
                Err(GateError::Exists) => {
                    self.cache.drop_doc(&id);
                    return Err(Fail("document vanished"));
                }
                Err(GateError::Store(e)) => {
                    self.cache.drop_doc(&id);
                    return Err(e.into());
                }
            }
        }
        *state = new_state;
        self.reply(conn, id)?;
        if changed {
            self.announce(id, Some(conn), now)?;
        }
        if let Some(report) = granted {
            // Given to a department just now: offered to its connections.
            self.announce(report, None, now)?;
        }
        Ok(())
    }

    fn sync_new(
        &mut self,
        conn: ConnId,
        id: DocumentId,
        msg: sync::Message,
        is_request: bool,
        now: Instant,
    ) -> Result<(), Fail> {
        let max_pending = self.limits.max_pending_docs_per_connection;
        let max_bytes = self.limits.max_pending_bytes_per_connection;
        let session = self.sessions.get_mut(&conn).ok_or(Fail("no session"))?;
        if !session.is_pending(&id) {
            if is_request && msg.heads.is_empty() && msg.changes.is_empty() {
                self.unavailable(conn, id);
                return Ok(());
            }
            if msg.changes.is_empty() {
                return self.answer_as_empty(conn, id, msg);
            }
            if session.pending.len() >= max_pending {
                self.refuse(conn, id, RefusalReason::Busy);
                return Ok(());
            }
            session.pending.insert(
                id,
                Pending {
                    doc: Automerge::new(),
                    bytes: 0,
                },
            );
            session.states.insert(id, sync::State::new());
        }
        let arriving: usize = msg.changes.iter().map(<[u8]>::len).sum();
        if session.pending_bytes.saturating_add(arriving) > max_bytes {
            self.refuse(conn, id, RefusalReason::TooLarge);
            return Ok(());
        }
        let (Some(pending), Some(state)) =
            (session.pending.get_mut(&id), session.states.get_mut(&id))
        else {
            return Ok(());
        };
        if !guard::receive(&mut pending.doc, state, msg) {
            session.forget(&id);
            return Err(Fail("sync message could not be applied"));
        }
        pending.bytes = pending.bytes.saturating_add(arriving);
        session.pending_bytes = session.pending_bytes.saturating_add(arriving);
        let next = if pending.doc.get_heads().is_empty() {
            Next::Wait
        } else {
            match read_meta(&pending.doc) {
                Err(e) if e.is_missing() => Next::Wait,
                _ => Next::Register,
            }
        };
        match next {
            Next::Wait => self.reply(conn, id),
            Next::Register => self.register(conn, id, now),
        }
    }

    /// Answers a first message without changes as an empty document would, keeping no
    /// state: a device with many new documents is then capped by the pending limit only
    /// for those whose changes are arriving.
    fn answer_as_empty(
        &mut self,
        conn: ConnId,
        id: DocumentId,
        msg: sync::Message,
    ) -> Result<(), Fail> {
        let mut doc = Automerge::new();
        let mut state = sync::State::new();
        if !guard::receive(&mut doc, &mut state, msg) {
            return Err(Fail("sync message could not be applied"));
        }
        let Some(peer) = self.sessions.get(&conn).and_then(|s| s.peer.clone()) else {
            return Ok(());
        };
        if let Ok(Some(m)) = guard::generate(&doc, &mut state) {
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
        }
        Ok(())
    }

    /// A pending document whose changes show its root fields: through the gate.
    fn register(&mut self, conn: ConnId, id: DocumentId, now: Instant) -> Result<(), Fail> {
        let session = self.sessions.get_mut(&conn).ok_or(Fail("no session"))?;
        let Some(pending) = session.pending.get(&id) else {
            return Ok(());
        };
        match gate::admit(
            self.store.as_mut(),
            &session.auth.user,
            id,
            &pending.doc,
            Base::New,
        ) {
            Ok(admitted) => {
                let Some(doc) = session.take_pending(&id) else {
                    return Ok(());
                };
                let record = admitted.record;
                info!(conn, doc = %id, kind = record.kind.code(), "document registered");
                self.cache.insert_new(doc, record, now);
                self.reply(conn, id)?;
                self.announce(id, Some(conn), now)?;
                match admitted.granted_report {
                    Some(report) => self.announce(report, None, now),
                    None => Ok(()),
                }
            }
            Err(GateError::Refused(reason)) => {
                debug!(conn, doc = %id, reason = reason.as_str(), "new document refused");
                self.refuse(conn, id, reason);
                Ok(())
            }
            Err(GateError::Exists) => {
                // Another connection registered the same id first: devices create a grid's
                // index and day documents under derived ids, offline, at once.
                let Some(doc) = session.take_pending(&id) else {
                    return Ok(());
                };
                self.adopt_registered(conn, id, doc, now)
            }
            Err(GateError::Store(e)) => {
                session.forget(&id);
                Err(e.into())
            }
        }
    }

    /// A connection was creating a document that another connection registered in the
    /// meantime: if this device may write the registered one, its changes are merged into
    /// it (stored before any reply names them) and sync goes on from the connection's
    /// state, which still describes what the device has. Otherwise it is refused like any
    /// document the device may not write.
    fn adopt_registered(
        &mut self,
        conn: ConnId,
        id: DocumentId,
        mut theirs: Automerge,
        now: Instant,
    ) -> Result<(), Fail> {
        if !self.cache.ensure_loaded(self.store.as_ref(), id, now)? {
            return Ok(());
        }
        let (Some(loaded), Some(session)) = (self.cache.get_mut(&id), self.sessions.get_mut(&conn))
        else {
            return Ok(());
        };
        let principal = &session.auth.user.principal;
        let grants = gate::grants_for(self.store.as_ref(), principal, &loaded.record)?;
        if let Err(reason) = gate::may_change(principal, &loaded.record, &grants) {
            self.refuse(conn, id, reason);
            return Ok(());
        }
        let old_heads = loaded.doc.get_heads();
        let mut doc = loaded.doc.clone();
        if doc.merge(&mut theirs).is_err() {
            session.forget(&id);
            return Err(Fail("sync message could not be applied"));
        }
        let mut changed = false;
        let mut granted = None;
        if doc.get_heads() != old_heads {
            let base = Base::Registered {
                record: &loaded.record,
                heads: &old_heads,
            };
            match gate::admit(self.store.as_mut(), &session.auth.user, id, &doc, base) {
                Ok(admitted) => {
                    loaded.record = admitted.record;
                    loaded.appended(admitted.seq);
                    granted = admitted.granted_report;
                    changed = true;
                }
                Err(GateError::Refused(reason)) => {
                    self.refuse(conn, id, reason);
                    return Ok(());
                }
                Err(GateError::Exists) => return Err(Fail("document vanished")),
                Err(GateError::Store(e)) => {
                    session.forget(&id);
                    return Err(e.into());
                }
            }
        }
        loaded.doc = doc;
        debug!(conn, doc = %id, changed, "joined a document registered meanwhile");
        self.reply(conn, id)?;
        if changed {
            self.announce(id, Some(conn), now)?;
        }
        if let Some(report) = granted {
            // Given to a department just now: offered to its connections.
            self.announce(report, None, now)?;
        }
        Ok(())
    }
}

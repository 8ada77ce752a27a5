//! The heads-summary extension: one message naming every document a device holds with a
//! digest of its heads, answered with sync only where the relay's heads differ.

use std::collections::HashSet;
use std::time::Instant;

use wangge_proto::{DocumentId, HeadsDigest, Message, heads_digest};
use wangge_schema::in_sync_state;

use super::hub::{ConnId, Fail, Hub, Output};

impl Hub {
    /// The device's heads summary: documents whose digest matches the relay's heads get a
    /// sync state that knows both sides hold those heads, and nothing is sent; readable
    /// documents that differ get the relay's `sync`; unknown and unreadable ones (alike)
    /// are named in the reply for the device to sync the standard way. Then the scope
    /// push of documents the device lacks, then the reply.
    pub(super) fn on_summary(
        &mut self,
        conn: ConnId,
        docs: Vec<(DocumentId, HeadsDigest)>,
        now: Instant,
    ) -> Result<(), Fail> {
        let max = self.limits.max_docs_per_connection;
        let session = self.sessions.get_mut(&conn).ok_or(Fail("no session"))?;
        if !session.summary || session.summarized {
            return Err(Fail("unexpected heads summary"));
        }
        session.summarized = true;
        if docs.len() > max {
            return Err(Fail("too many documents on one connection"));
        }
        let push = session.push;
        let mut seen = HashSet::with_capacity(docs.len());
        let mut to_sync = Vec::new();
        for (id, digest) in docs {
            if !seen.insert(id) {
                continue;
            }
            let Some(session) = self.sessions.get(&conn) else {
                return Ok(());
            };
            if session.states.contains_key(&id) || session.is_pending(&id) {
                // Already syncing on this connection: the ordinary messages carry on.
                continue;
            }
            let readable = match self.cache.record(self.store.as_ref(), &id)? {
                Some(rec) => {
                    super::gate::readable(self.store.as_ref(), &session.auth.user.principal, &rec)?
                }
                None => false,
            };
            if !readable || !self.cache.ensure_loaded(self.store.as_ref(), id, now)? {
                to_sync.push(id);
                continue;
            }
            let Some(heads) = self.cache.get(&id).map(|l| l.doc.get_heads()) else {
                to_sync.push(id);
                continue;
            };
            if heads_digest(heads.iter().map(|h| &h.0)) == digest {
                if let Some(s) = self.sessions.get_mut(&conn) {
                    s.states.insert(id, in_sync_state(heads));
                }
            } else {
                self.ensure_state(conn, id)?;
                self.reply(conn, id)?;
            }
        }
        if push {
            self.push_scope(conn, &seen, now)?;
        }
        let session = self.sessions.get(&conn).ok_or(Fail("no session"))?;
        let peer = session.peer.clone().ok_or(Fail("no peer"))?;
        let reply = Message::HeadsReply {
            sender_id: self.relay_id.clone(),
            target_id: peer,
            sync: to_sync,
        };
        self.out.push(Output::Send {
            conn,
            bytes: reply.encode(),
        });
        Ok(())
    }
}

//! Changes other relay instances stored: several instances share one database, each
//! with its own documents in memory and its own connections. When another instance
//! stores a chunk, this one hears of it (the change feed, PostgreSQL `LISTEN`), brings
//! the document in memory up to date and pushes it to its connections that read it.
//!
//! The feed only makes this prompt; it is not what makes it right. Chunk numbers run
//! without gaps per document, so a document in memory knows exactly which stored chunks
//! it lacks, and after the feed was down (or at start) [`Hub::catch_up`] checks every
//! document changed meanwhile.

use std::time::Instant;

use tracing::{debug, warn};
use wangge_proto::DocumentId;

use super::gate;
use super::hub::{Fail, Hub, Output};

impl Hub {
    /// Another instance stored these chunks (`(document, chunk number)`).
    pub fn remote_changes(&mut self, changes: &[(DocumentId, i64)], now: Instant) -> Vec<Output> {
        for &(id, seq) in changes {
            if let Err(Fail(reason)) = self.remote_change(id, seq, now) {
                warn!(doc = %id, reason, "could not take another instance's change");
            }
        }
        std::mem::take(&mut self.out)
    }

    /// Takes every change stored at or after `since` (unix seconds) that this instance
    /// may not have heard of.
    pub fn catch_up(&mut self, since: i64, now: Instant) -> Vec<Output> {
        match self.store.docs_changed_since(since) {
            Ok(changes) => self.remote_changes(&changes, now),
            Err(e) => {
                warn!(cause = %e, "could not catch up on other instances' changes");
                std::mem::take(&mut self.out)
            }
        }
    }

    fn remote_change(&mut self, id: DocumentId, seq: i64, now: Instant) -> Result<(), Fail> {
        if let Some(loaded) = self.cache.get(&id) {
            if seq <= loaded.announced {
                return Ok(());
            }
            if seq > loaded.seq {
                let moved = self.cache.refresh(self.store.as_ref(), &id)?;
                debug!(doc = %id, seq, moved, "another instance's change to a document in memory");
            }
        } else {
            // Not in memory: load it only if a connection here would be sent it.
            let Some(record) = self.store.doc(&id)? else {
                return Ok(());
            };
            let mut wanted = false;
            for s in self.sessions.values() {
                if s.peer.is_some()
                    && !s.is_pending(&id)
                    && (s.states.contains_key(&id) || s.takes_offers())
                    && gate::readable(self.store.as_ref(), &s.auth.user.principal, &record)?
                {
                    wanted = true;
                    break;
                }
            }
            debug!(doc = %id, seq, wanted, "another instance's change to a document not in memory");
            if !wanted {
                return Ok(());
            }
        }
        self.announce(id, None, now)?;
        if let Some(l) = self.cache.get_mut(&id) {
            l.announced = l.announced.max(l.seq);
        }
        Ok(())
    }
}

//! Changes from elsewhere (the relay, another device) enter through here, into the same
//! store path as local actions: change log plus index rows, one transaction.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::{Automerge, Change, ChangeHash, ReadDoc};
use serde::Serialize;
use wangge_proto::DocumentId;

use super::Store;
use super::log::log_changes;
use crate::doc::{kind_of, scope_of};
use crate::error::{CoreError, Result};

/// What applying remote changes did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ApplyOutcome {
    /// Changes this store did not have before.
    pub new_changes: usize,
    /// Changes still waiting for changes they depend on.
    pub waiting: usize,
}

impl Store {
    /// Applies changes to a document (creating it if new). Bytes that are not automerge
    /// changes are refused with nothing written; a panic inside automerge on hostile input
    /// is caught and refused the same way.
    #[tracing::instrument(skip_all, fields(doc = %id, n = changes.len()))]
    pub fn apply_changes(&mut self, id: &DocumentId, changes: &[Vec<u8>]) -> Result<ApplyOutcome> {
        let mut parsed = Vec::with_capacity(changes.len());
        for bytes in changes {
            parsed.push(
                Change::from_bytes(bytes.clone())
                    .map_err(|e| CoreError::Document(format!("not an automerge change: {e}")))?,
            );
        }
        let actor = self.actor.clone();
        let existed = self.doc(id)?.is_some();
        if !existed {
            let mut doc = Automerge::new();
            doc.set_actor(actor);
            self.cache.insert(*id, doc);
        }
        let result = self.apply_parsed(id, parsed);
        match &result {
            Err(_) => self.cache.remove(id),
            // Changes handed over from elsewhere go on to the relay like local ones.
            Ok(outcome) if outcome.new_changes > 0 => self.publish(&[*id], false),
            Ok(_) => {}
        }
        result
    }

    fn apply_parsed(&mut self, id: &DocumentId, parsed: Vec<Change>) -> Result<ApplyOutcome> {
        let doc = self
            .cache
            .get_mut(id)
            .ok_or(CoreError::NotFound { what: "document" })?;
        let before = doc.get_heads();
        let fresh: Vec<Change> = parsed
            .into_iter()
            .filter(|c| doc.get_change_by_hash(&c.hash()).is_none())
            .collect();
        if fresh.is_empty() {
            return Ok(ApplyOutcome::default());
        }
        let to_store: Vec<(Vec<u8>, Vec<u8>)> = fresh
            .iter()
            .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
            .collect();
        catch_unwind(AssertUnwindSafe(|| doc.apply_changes(fresh)))
            .map_err(|_| CoreError::Document("automerge panicked on these changes".into()))??;
        self.persist_remote(id, &before, Some(to_store), None)
    }

    /// Writes `to_store` (by default the changes the cached doc gained since `before`,
    /// applied to it from elsewhere) to the change log, updates its `docs` row and index rows, and, if given,
    /// the peer's sync state, all in one transaction. The caller drops the cached doc if
    /// this fails, so memory never runs ahead of disk.
    pub(super) fn persist_remote(
        &mut self,
        id: &DocumentId,
        before: &[ChangeHash],
        to_store: Option<Vec<(Vec<u8>, Vec<u8>)>>,
        sync_state: Option<(&str, Vec<u8>)>,
    ) -> Result<ApplyOutcome> {
        let now = self.now().timestamp_millis();
        let tz = self.cfg.tz;
        let Store { conn, cache, .. } = &mut *self;
        let doc = cache
            .get_mut(id)
            .ok_or(CoreError::NotFound { what: "document" })?;
        let to_store: Vec<(Vec<u8>, Vec<u8>)> = to_store.unwrap_or_else(|| {
            doc.get_changes(before)
                .iter()
                .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
                .collect()
        });
        let waiting = doc.get_missing_deps(&[]).len();
        if to_store.is_empty() && sync_state.is_none() {
            return Ok(ApplyOutcome {
                new_changes: 0,
                waiting,
            });
        }
        let (kind, scope) = match (kind_of(&*doc), scope_of(&*doc)) {
            (Ok(k), Ok(s)) => (Some(k), s),
            _ => {
                if !to_store.is_empty() && !doc.get_heads().is_empty() {
                    // From a newer app (a kind this build does not know), or without its
                    // root fields yet: kept and synced, not indexed.
                    tracing::info!(doc = %id, "document kept without index: kind not known here");
                }
                (None, String::new())
            }
        };
        let tx = conn.transaction()?;
        if !to_store.is_empty() {
            log_changes(
                &tx, doc, id, kind, &scope, &to_store, false, before, now, tz,
            )?;
        }
        if let Some((peer, state)) = sync_state {
            super::sync_state::save_state(&tx, id, peer, &state)?;
        }
        tx.commit()?;
        if kind == Some(crate::doc::DocKind::Notice) && !to_store.is_empty() {
            // 已送达: the notice reached this device. Its delivery is an action of its
            // own; the changes just stored stand whether or not it can be written.
            if let Err(e) = self.deliver_notice(id) {
                tracing::warn!(doc = %id, code = e.code().code(), "notice delivery not recorded");
            }
        }
        Ok(ApplyOutcome {
            new_changes: to_store.len(),
            waiting,
        })
    }
}

//! One user action: one automerge change per touched document, one SQLite transaction.

use automerge::transaction::{CommitOptions, Transaction};
use automerge::{Automerge, ChangeHash, ReadDoc};
use rusqlite::params;
use wangge_proto::DocumentId;

use super::Store;
use super::log::{RawChange, log_changes};
use crate::doc::{DocKind, genesis, scope_of};
use crate::error::{CoreError, Result};

/// How to create a document the action needs but the store does not have yet.
pub(crate) struct Genesis<'a> {
    pub kind: DocKind,
    pub scope: &'a wangge_schema::ScopeCode,
    pub attrs: &'a [(&'a str, &'a str)],
}

struct Touched {
    id: DocumentId,
    kind: DocKind,
    before: Vec<ChangeHash>,
}

/// A user action in progress. Dropped without [`Batch::commit`], it discards its changes.
pub(crate) struct Batch<'s> {
    store: &'s mut Store,
    touched: Vec<Touched>,
    /// Photos to queue for upload, with the scope each goes to.
    uploads: Vec<(String, String)>,
    committed: bool,
}

impl<'s> Batch<'s> {
    pub(super) fn new(store: &'s mut Store) -> Self {
        Self {
            store,
            touched: vec![],
            uploads: vec![],
            committed: false,
        }
    }

    /// Applies `f` to document `id` as one automerge change (merged into this action's
    /// change for that document if it was already touched).
    pub(crate) fn change<R>(
        &mut self,
        id: DocumentId,
        create: Option<Genesis<'_>>,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<R>,
    ) -> Result<R> {
        let now = self.store.now().timestamp_millis();
        let doc = self.doc_mut(id, create)?;
        let mut tx = doc.transaction();
        match f(&mut tx) {
            Ok(r) => {
                tx.commit_with(CommitOptions::default().with_time(now));
                Ok(r)
            }
            Err(e) => {
                tx.rollback();
                Err(e)
            }
        }
    }

    /// Document `id` as this action changes it, created from `create` if the store has
    /// none: for applying a change made elsewhere (a shared fixed change) in this action.
    /// Whatever it gains is written with the action's changes.
    pub(crate) fn doc_mut(
        &mut self,
        id: DocumentId,
        create: Option<Genesis<'_>>,
    ) -> Result<&mut Automerge> {
        let actor = self.store.actor.clone();
        // A document known only from a sync exchange (a peer named its heads, no change
        // has arrived or waits for its dependencies) has nothing to keep: it is created
        // like a missing one. Its genesis is the same change everywhere, so the changes
        // still to come apply on top of it.
        let missing = match self.store.doc(&id)? {
            None => true,
            Some(doc) => {
                create.is_some()
                    && doc.get_heads().is_empty()
                    && doc.get_missing_deps(&[]).is_empty()
                    && !self.touched.iter().any(|t| t.id == id)
            }
        };
        if missing {
            let g = create.ok_or(CoreError::NotFound { what: "document" })?;
            let mut doc = genesis(&id, g.kind, g.scope, g.attrs)?;
            doc.set_actor(actor);
            self.store.cache.insert(id, doc);
            self.touched.push(Touched {
                id,
                kind: g.kind,
                before: vec![],
            });
        }
        let doc = self
            .store
            .doc(&id)?
            .ok_or(CoreError::NotFound { what: "document" })?;
        if !self.touched.iter().any(|t| t.id == id) {
            let kind = crate::doc::kind_of(doc)?;
            let before = doc.get_heads();
            self.touched.push(Touched { id, kind, before });
        }
        Ok(doc)
    }

    /// Queues the stored photo `hash` for upload to `scope` in this action's transaction.
    pub(crate) fn queue_upload(&mut self, hash: &str, scope: &str) {
        self.uploads.push((hash.to_owned(), scope.to_owned()));
    }

    /// Writes every touched document's new changes and index rows in one transaction,
    /// then names the changed documents on the store's change feed.
    pub(crate) fn commit(self) -> Result<()> {
        self.commit_touched().map(drop)
    }

    /// [`Batch::commit`], returning the ids of the documents that gained a change (a
    /// document the action only read, or left as it was, is not among them).
    pub(crate) fn commit_touched(mut self) -> Result<Vec<DocumentId>> {
        let changed = self.write()?;
        self.committed = true;
        self.store.publish(&changed, !self.uploads.is_empty());
        self.compact_if_due();
        Ok(changed)
    }

    /// The transaction; returns the documents it wrote changes of.
    fn write(&mut self) -> Result<Vec<DocumentId>> {
        let now = self.store.now().timestamp_millis();
        let tz = self.store.cfg.tz;
        let Store { conn, cache, .. } = &mut *self.store;
        let tx = conn.transaction()?;
        let mut changed = Vec::with_capacity(self.touched.len());
        for t in &self.touched {
            let doc = cache
                .get_mut(&t.id)
                .ok_or(CoreError::NotFound { what: "document" })?;
            let changes: Vec<RawChange> = doc
                .get_changes(&t.before)
                .iter()
                .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
                .collect();
            if changes.is_empty() {
                continue;
            }
            let scope = scope_of(&*doc)?;
            log_changes(
                &tx,
                doc,
                &t.id,
                Some(t.kind),
                &scope,
                &changes,
                true,
                &t.before,
                now,
                tz,
            )?;
            changed.push(t.id);
        }
        for (hash, scope) in &self.uploads {
            super::transfers::queue_upload(&tx, hash, scope, now)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    fn compact_if_due(&mut self) {
        let limit = i64::from(self.store.cfg.compact_after);
        for t in &self.touched {
            let due: bool = self
                .store
                .conn
                .query_row(
                    "SELECT change_count >= ?2 FROM docs WHERE id = ?1",
                    params![t.id.as_bytes(), limit],
                    |r| r.get(0),
                )
                .unwrap_or(false);
            if due && let Err(e) = self.store.compact(&t.id) {
                // The change log is intact; compaction retries on the next action.
                tracing::warn!(doc = %t.id, cause = %e, "compaction failed");
            }
        }
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if !self.committed {
            for t in &self.touched {
                self.store.cache.remove(&t.id);
            }
        }
    }
}

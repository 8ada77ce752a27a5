//! The documents in memory: loaded from the store on demand, with the registry record the
//! relay last accepted, unloaded (and compacted) when idle.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use automerge::Automerge;
use tracing::{debug, warn};
use wangge_proto::DocumentId;

use super::guard;
use crate::store::{DocRecord, RelayStore, StoreError};

/// A document in memory with its registry record.
pub(crate) struct Loaded {
    pub doc: Automerge,
    pub record: DocRecord,
    pub last_used: Instant,
    /// Chunks stored for it (the first load's count plus every append since).
    pub chunks: usize,
    /// The highest chunk number held: every stored chunk up to it is in `doc` (chunk
    /// numbers have no gaps, see [`DocStore::append_changes`]).
    ///
    /// [`DocStore::append_changes`]: crate::store::DocStore::append_changes
    pub seq: i64,
    /// The highest chunk number every connection here that reads the document has been
    /// offered (`-1`: unknown, as after a load). A chunk another instance stored may reach
    /// memory before its notification does (a connection here loaded the document); the
    /// notification must still push it to the others.
    pub announced: i64,
}

impl Loaded {
    /// This relay stored chunk `seq` of the document. The chunks held still run without a
    /// gap only if it follows the last one held; otherwise another instance wrote in
    /// between, and [`DocCache::refresh`] fetches that later.
    pub fn appended(&mut self, seq: i64) {
        self.chunks += 1;
        if seq == self.seq + 1 {
            self.seq = seq;
            // The caller pushes it to every other connection here.
            if self.announced == seq - 1 {
                self.announced = seq;
            }
        }
    }
}

/// Why a document could not be brought into memory.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored chunks do not load.
    #[error("stored document does not load")]
    Unreadable,
}

/// Loaded documents by id.
pub(crate) struct DocCache {
    docs: HashMap<DocumentId, Loaded>,
    idle: Duration,
    compact_after_chunks: usize,
}

impl DocCache {
    pub fn new(idle: Duration, compact_after_chunks: usize) -> Self {
        Self {
            docs: HashMap::new(),
            idle,
            compact_after_chunks,
        }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn get(&self, id: &DocumentId) -> Option<&Loaded> {
        self.docs.get(id)
    }

    pub fn get_mut(&mut self, id: &DocumentId) -> Option<&mut Loaded> {
        self.docs.get_mut(id)
    }

    /// Drops a document from memory: it reloads from the store on next use. This is what
    /// happens whenever memory may hold changes the store does not.
    pub fn drop_doc(&mut self, id: &DocumentId) {
        self.docs.remove(id);
    }

    /// Drops every document (after an admin change, or a failed group commit).
    pub fn clear(&mut self) {
        self.docs.clear();
    }

    /// A document just registered, in memory as registered.
    pub fn insert_new(&mut self, doc: Automerge, record: DocRecord, now: Instant) {
        let loaded = Loaded {
            doc,
            record,
            last_used: now,
            chunks: 1,
            seq: 0,
            announced: 0,
        };
        self.docs.insert(loaded.record.id, loaded);
    }

    /// The registry record, from memory or the store.
    pub fn record(
        &self,
        store: &dyn RelayStore,
        id: &DocumentId,
    ) -> Result<Option<DocRecord>, StoreError> {
        match self.docs.get(id) {
            Some(l) => Ok(Some(l.record.clone())),
            None => store.doc(id),
        }
    }

    /// Loads a registered document into memory if needed; `false` if it is not registered.
    pub fn ensure_loaded(
        &mut self,
        store: &dyn RelayStore,
        id: DocumentId,
        now: Instant,
    ) -> Result<bool, LoadError> {
        if let Some(l) = self.docs.get_mut(&id) {
            l.last_used = now;
            return Ok(true);
        }
        let Some(record) = store.doc(&id)? else {
            return Ok(false);
        };
        let (seqs, chunks): (Vec<i64>, Vec<Vec<u8>>) =
            store.doc_chunks_after(&id, -1)?.into_iter().unzip();
        let Some(doc) = guard::load_chunks(&chunks) else {
            warn!(doc = %id, "stored document does not load");
            return Err(LoadError::Unreadable);
        };
        debug!(doc = %id, chunks = chunks.len(), "document loaded");
        self.docs.insert(
            id,
            Loaded {
                doc,
                record,
                last_used: now,
                chunks: chunks.len(),
                seq: seqs.last().copied().unwrap_or(-1),
                announced: -1,
            },
        );
        Ok(true)
    }

    /// Brings a document in memory up to what is stored (chunks another relay instance
    /// wrote) and its record up to date; `true` if its heads moved. A document not in
    /// memory is left alone: it loads whole when next used.
    pub fn refresh(&mut self, store: &dyn RelayStore, id: &DocumentId) -> Result<bool, LoadError> {
        let Some(l) = self.docs.get_mut(id) else {
            return Ok(false);
        };
        let (seqs, chunks): (Vec<i64>, Vec<Vec<u8>>) =
            store.doc_chunks_after(id, l.seq)?.into_iter().unzip();
        let Some(&last) = seqs.last() else {
            return Ok(false);
        };
        let before = l.doc.get_heads();
        if !guard::load_more(&mut l.doc, &chunks) {
            warn!(doc = %id, "stored chunks do not load");
            self.docs.remove(id);
            return Err(LoadError::Unreadable);
        }
        l.seq = last;
        l.chunks += chunks.len();
        if let Some(record) = store.doc(id)? {
            l.record = record;
        }
        debug!(doc = %id, chunks = chunks.len(), "document caught up");
        Ok(l.doc.get_heads() != before)
    }

    /// Unloads documents unused for the idle time, compacting those stored in many chunks.
    pub fn unload_idle(&mut self, store: &mut dyn RelayStore, now: Instant) {
        let idle = self.idle;
        let stale: Vec<DocumentId> = self
            .docs
            .iter()
            .filter(|(_, l)| now.saturating_duration_since(l.last_used) >= idle)
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some(l) = self.docs.remove(&id) {
                if l.chunks > self.compact_after_chunks
                    && let Err(e) = store.compact_doc(&id, &l.doc.save(), l.seq)
                {
                    warn!(doc = %id, cause = %e, "compaction failed");
                }
                debug!(doc = %id, "document unloaded");
            }
        }
    }
}

//! A small LRU of loaded documents, remembering the heads of those it evicts.
//!
//! Every change to a document goes through its cached copy, and a copy that may differ
//! from disk is removed (not evicted), so the heads kept at eviction stay the document's
//! heads until it is loaded again. Sync asks for every document's heads on each
//! connection; this answers without reloading them all.

use std::collections::{HashMap, VecDeque};

use automerge::{Automerge, ChangeHash};
use wangge_proto::DocumentId;

pub(crate) struct DocCache {
    cap: usize,
    docs: HashMap<DocumentId, Automerge>,
    order: VecDeque<DocumentId>,
    evicted_heads: HashMap<DocumentId, Vec<ChangeHash>>,
}

impl DocCache {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(4),
            docs: HashMap::new(),
            order: VecDeque::new(),
            evicted_heads: HashMap::new(),
        }
    }

    /// The heads of a document in memory or evicted unchanged; `None` if unknown here.
    pub(crate) fn heads(&self, id: &DocumentId) -> Option<Vec<ChangeHash>> {
        match self.docs.get(id) {
            Some(doc) => Some(doc.get_heads()),
            None => self.evicted_heads.get(id).cloned(),
        }
    }

    pub(crate) fn contains(&self, id: &DocumentId) -> bool {
        self.docs.contains_key(id)
    }

    pub(crate) fn get_mut(&mut self, id: &DocumentId) -> Option<&mut Automerge> {
        if let Some(pos) = self.order.iter().position(|x| x == id) {
            self.order.remove(pos);
            self.order.push_back(*id);
        }
        self.docs.get_mut(id)
    }

    pub(crate) fn insert(&mut self, id: DocumentId, doc: Automerge) {
        self.evicted_heads.remove(&id);
        if self.docs.insert(id, doc).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front()
                && let Some(doc) = self.docs.remove(&old)
            {
                self.evicted_heads.insert(old, doc.get_heads());
            }
        }
    }

    pub(crate) fn remove(&mut self, id: &DocumentId) {
        self.evicted_heads.remove(id);
        self.docs.remove(id);
        self.order.retain(|x| x != id);
    }

    pub(crate) fn clear(&mut self) {
        self.docs.clear();
        self.order.clear();
        self.evicted_heads.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ROOT;
    use automerge::transaction::Transactable;

    fn doc(v: i64) -> Automerge {
        let mut d = Automerge::new();
        let mut tx = d.transaction();
        tx.put(ROOT, "v", v).unwrap();
        tx.commit();
        d
    }

    #[test]
    fn evicted_documents_keep_their_heads_until_removed_or_reloaded() {
        let mut cache = DocCache::new(4);
        let ids: Vec<DocumentId> = (0..5).map(|_| DocumentId::random()).collect();
        let docs: Vec<Automerge> = (0..5).map(doc).collect();
        for (id, d) in ids.iter().zip(&docs) {
            cache.insert(*id, d.clone());
        }
        assert!(!cache.contains(&ids[0]), "the oldest is evicted");
        assert_eq!(cache.heads(&ids[0]), Some(docs[0].get_heads()));
        assert_eq!(cache.heads(&ids[4]), Some(docs[4].get_heads()));

        // Loaded again and changed: the live copy answers.
        let mut changed = docs[0].clone();
        let mut tx = changed.transaction();
        tx.put(ROOT, "w", 1).unwrap();
        tx.commit();
        cache.insert(ids[0], changed.clone());
        assert_eq!(cache.heads(&ids[0]), Some(changed.get_heads()));

        // Removed (it may differ from disk): unknown here.
        cache.remove(&ids[1]);
        assert_eq!(cache.heads(&ids[1]), None);
        cache.clear();
        assert_eq!(cache.heads(&ids[2]), None);
    }
}

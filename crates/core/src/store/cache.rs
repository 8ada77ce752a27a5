//! A small LRU of loaded documents.

use std::collections::{HashMap, VecDeque};

use automerge::Automerge;
use wangge_proto::DocumentId;

pub(crate) struct DocCache {
    cap: usize,
    docs: HashMap<DocumentId, Automerge>,
    order: VecDeque<DocumentId>,
}

impl DocCache {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(4),
            docs: HashMap::new(),
            order: VecDeque::new(),
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
        if self.docs.insert(id, doc).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.docs.remove(&old);
            }
        }
    }

    pub(crate) fn remove(&mut self, id: &DocumentId) {
        self.docs.remove(id);
        self.order.retain(|x| x != id);
    }

    pub(crate) fn clear(&mut self) {
        self.docs.clear();
        self.order.clear();
    }
}

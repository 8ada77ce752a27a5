//! The automerge sync state of a peer known to hold exactly some heads.
//!
//! Both sides build it when a heads summary matches (the device for the relay, the relay
//! for the device): as after a completed sync, the next message is generated only once
//! the document moves on, and then carries the new changes at once.

use automerge::ChangeHash;
use automerge::sync::{Have, State};

/// A sync state for a peer known to hold exactly `heads`.
pub fn in_sync_state(heads: Vec<ChangeHash>) -> State {
    let mut s = State::new();
    s.shared_heads.clone_from(&heads);
    s.last_sent_heads.clone_from(&heads);
    s.their_heads = Some(heads.clone());
    s.their_need = Some(Vec::new());
    s.their_have = Some(vec![Have {
        last_sync: heads,
        bloom: Default::default(),
    }]);
    s.have_responded = true;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ROOT};

    #[test]
    fn nothing_is_sent_until_the_document_moves_on_and_then_the_change_goes_at_once() {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(ROOT, "a", 1).unwrap();
        tx.commit();
        let mut state = in_sync_state(doc.get_heads());
        assert!(doc.generate_sync_message(&mut state).is_none());
        let mut tx = doc.transaction();
        tx.put(ROOT, "a", 2).unwrap();
        tx.commit();
        let msg = doc.generate_sync_message(&mut state).expect("a message");
        assert_eq!(msg.changes.len(), 1);
    }
}

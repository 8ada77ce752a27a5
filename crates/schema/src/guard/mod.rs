//! Guarded automerge calls that turn panics on hostile bytes into errors, and the strict
//! check of the change chunks a sync message carries: what both sides may take from the
//! network. Pure; every function here is a fuzzing target (`fuzz/`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, AutomergeError, Change, LoadOptions, OnPartialLoad, VerificationMode};

pub mod bounds;

/// Decodes a sync message; a panic inside automerge counts as invalid.
pub fn decode_sync(bytes: &[u8]) -> Option<sync::Message> {
    catch_unwind(|| sync::Message::decode(bytes).ok())
        .ok()
        .flatten()
}

/// Chunk type byte of a plain change chunk (after 4 magic and 4 checksum bytes).
const CHANGE_CHUNK: u8 = 1;

/// Whether every change chunk a sync message carries parses completely. Automerge's own
/// incremental load keeps what parses and drops the rest with a log line; a relay answers
/// a damaged chunk with an error instead, so the sender learns of it.
pub fn changes_well_formed(msg: &sync::Message) -> bool {
    msg.changes
        .iter()
        .all(|bytes| catch_unwind(|| entry_well_formed(bytes)).unwrap_or(false))
}

/// One entry of a message's change list may hold several chunks back to back (a saved
/// document followed by changes, say): each is checked on its own.
fn entry_well_formed(mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        let Some(len) = chunk_len(bytes) else {
            return false;
        };
        let (chunk, rest) = bytes.split_at(len);
        if !chunk_well_formed(chunk) {
            return false;
        }
        bytes = rest;
    }
    true
}

/// The length of the chunk `bytes` starts with: 4 magic, 4 checksum, 1 type byte, the
/// contents' length as unsigned LEB128, then the contents. `None` if it does not fit.
fn chunk_len(bytes: &[u8]) -> Option<usize> {
    let mut len: u64 = 0;
    let mut at = 9;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(at)?;
        at += 1;
        len |= u64::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            let total = at.checked_add(usize::try_from(len).ok()?)?;
            return (total <= bytes.len()).then_some(total);
        }
    }
    None
}

fn chunk_well_formed(chunk: &[u8]) -> bool {
    // Before automerge sees it: a chunk that would make it inflate or expand without end.
    if bounds::chunk_within_bounds(chunk).is_err() {
        return false;
    }
    if chunk.get(8) == Some(&CHANGE_CHUNK) {
        // A change on its own: parse its columns and check its checksum, without loading
        // it into a document (which would log its missing dependencies as an error).
        return match (Change::try_from(chunk), chunk.get(4..8)) {
            (Ok(change), Some(checksum)) => change.hash().0.get(..4) == Some(checksum),
            _ => false,
        };
    }
    // A whole document (sync v2), a compressed change or a bundle: load it strictly.
    let strict = LoadOptions::new()
        .on_partial_load(OnPartialLoad::Error)
        .verification_mode(VerificationMode::Check);
    matches!(
        Automerge::load_with_options(chunk, strict),
        Ok(_) | Err(AutomergeError::MissingDeps)
    )
}

/// Applies a sync message; `false` if automerge refused it or panicked. After `false` the
/// document and state must be thrown away.
pub fn receive(doc: &mut Automerge, state: &mut sync::State, msg: sync::Message) -> bool {
    matches!(
        catch_unwind(AssertUnwindSafe(|| doc.receive_sync_message(state, msg))),
        Ok(Ok(()))
    )
}

/// Automerge panicked while generating a sync message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("automerge panicked while generating a sync message")]
pub struct GeneratePanicked;

/// Generates the next sync message; `Err` if automerge panicked.
pub fn generate(
    doc: &Automerge,
    state: &mut sync::State,
) -> Result<Option<sync::Message>, GeneratePanicked> {
    catch_unwind(AssertUnwindSafe(|| doc.generate_sync_message(state)))
        .map_err(|_| GeneratePanicked)
}

/// Loads a document from stored chunks; `None` if they do not load.
pub fn load_chunks(chunks: &[Vec<u8>]) -> Option<Automerge> {
    catch_unwind(|| {
        let mut doc = Automerge::new();
        for c in chunks {
            doc.load_incremental(c).ok()?;
        }
        Some(doc)
    })
    .ok()
    .flatten()
}

/// Loads more stored chunks into a document already in memory (another writer's); `false`
/// if one does not load, and then `doc` must be dropped: it may hold part of them.
pub fn load_more(doc: &mut Automerge, chunks: &[Vec<u8>]) -> bool {
    catch_unwind(AssertUnwindSafe(|| {
        chunks.iter().all(|c| doc.load_incremental(c).is_ok())
    }))
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ROOT;
    use automerge::transaction::Transactable;

    /// A household doc whose first change sets `kind`, then one change per note; returns
    /// the doc and the heads after the first change.
    fn doc_with_notes(notes: &[&str]) -> (Automerge, Vec<automerge::ChangeHash>) {
        let mut a = Automerge::new();
        let mut tx = a.transaction();
        tx.put(ROOT, "kind", "household").unwrap();
        tx.commit();
        let first = a.get_heads();
        for note in notes {
            let mut tx = a.transaction();
            tx.put(ROOT, "note", *note).unwrap();
            tx.commit();
        }
        (a, first)
    }

    /// A sync message carrying `chunk` as its one change-list entry.
    fn msg(chunk: Vec<u8>) -> sync::Message {
        sync::Message {
            heads: vec![],
            need: vec![],
            have: vec![],
            changes: chunk.into(),
            flags: None,
            version: sync::MessageVersion::V2,
        }
    }

    #[test]
    fn a_damaged_change_chunk_is_caught_and_a_later_change_passes() {
        let (a, first) = doc_with_notes(&["second"]);
        // Only the second change: its dependency is missing, which is fine.
        let later = a.save_after(&first);
        assert!(changes_well_formed(&msg(later.clone())));
        let mut bad = later;
        let n = bad.len();
        bad[n / 2] ^= 0x5a;
        assert!(!changes_well_formed(&msg(bad)));
    }

    /// Checking a change whose dependencies are elsewhere is routine: it must not reach
    /// the relay's log as an error (automerge's `load` logs `MissingDeps` at ERROR).
    #[test]
    fn checking_a_dependent_change_logs_nothing_and_whole_documents_pass() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (a, first) = doc_with_notes(&["second"]);
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            assert!(changes_well_formed(&msg(a.save_after(&first))));
            assert!(changes_well_formed(&msg(a.save())));
        });
        let logged = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(!logged.contains("ERROR"), "{logged}");
        // A whole document with a flipped byte is still refused.
        let mut doc = a.save();
        let n = doc.len();
        doc[n - 3] ^= 0x5a;
        assert!(!changes_well_formed(&msg(doc)));
    }

    /// An entry holding several changes back to back (as `save_after` gives them) passes;
    /// a flipped byte in any of them, or a cut, does not.
    #[test]
    fn several_chunks_in_one_entry_are_each_checked() {
        let (a, first) = doc_with_notes(&["second", "third", "fourth"]);
        let three = a.save_after(&first);
        assert!(changes_well_formed(&msg(three.clone())));
        let mut whole = a.save();
        whole.extend_from_slice(&three);
        assert!(changes_well_formed(&msg(whole)));
        for at in [three.len() / 6, three.len() / 2, three.len() - 2] {
            let mut bad = three.clone();
            bad[at] ^= 0x5a;
            assert!(!changes_well_formed(&msg(bad)), "flip at {at}");
        }
        assert!(!changes_well_formed(
            &msg(three[..three.len() - 1].to_vec())
        ));
    }

    #[test]
    fn garbage_is_not_a_sync_message() {
        assert!(decode_sync(b"\x42garbage").is_none());
        assert!(decode_sync(&[]).is_none());
        assert!(load_chunks(&[b"not automerge".to_vec()]).is_none());
    }
}

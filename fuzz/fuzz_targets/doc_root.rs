//! A document from a peer (within the chunk bounds), loaded under the guard, then read the
//! way both sides read a document's root (kind, scope), a household's grid, an index.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::contain_panics();
    wangge_fuzz::doc_root(data);
});

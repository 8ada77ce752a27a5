//! A stored document's bytes, loaded under the guard, then read the way both sides read a
//! document's root (kind, scope) and a household's grid or an index's households.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::contain_panics();
    wangge_fuzz::doc_root(data);
});

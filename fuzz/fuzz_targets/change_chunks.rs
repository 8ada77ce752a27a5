//! One entry of a sync message's change list (a change, several back to back, or a whole
//! document): the strict check never panics, and bytes it passes load without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::contain_panics();
    wangge_fuzz::change_chunks(data);
});

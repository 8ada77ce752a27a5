//! A sync message's payload as the relay takes it: decoded under a panic guard, its change
//! chunks checked strictly, then applied to an empty document and answered. Nothing
//! panics past the guards.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::contain_panics();
    wangge_fuzz::sync_message(data);
});

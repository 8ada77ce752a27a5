//! The protocol decoder on arbitrary bytes: it refuses or decodes, never panics, and what it
//! decodes encodes to bytes that decode to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::message(data);
});

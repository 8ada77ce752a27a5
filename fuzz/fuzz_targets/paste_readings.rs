//! Readings pasted as text: cutting and finding never panic, and what they find holds to
//! the roster.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::paste_readings(data);
});

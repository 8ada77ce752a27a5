//! The relay's address as typed or scanned: parsing never panics, and every URL derived
//! from a parsed address parses back to the same relay.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::relay_url(data);
});

//! The photo upload headers the relay parses: `Upload-Metadata` and `Upload-Checksum`.
//! Parsing never panics, and what parses encodes to a header that parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::tus_headers(data);
});

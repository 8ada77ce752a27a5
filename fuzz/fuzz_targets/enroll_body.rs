//! The enrollment exchange's JSON on both sides: the relay parses the request body, the
//! device the answer and the relay's error body. Nothing panics; a kept label is short and
//! free of control characters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::enroll_body(data);
});

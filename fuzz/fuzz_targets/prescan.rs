//! The header-only pre-scan on arbitrary bytes and tight limits: it never panics, and it
//! passes whatever the full decoder accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wangge_fuzz::prescan(data);
});

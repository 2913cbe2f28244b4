//! libFuzzer target `sip_headers`: see `fuzz::sip::headers`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sip::headers(data));

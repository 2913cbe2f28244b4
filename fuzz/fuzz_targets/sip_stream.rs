//! libFuzzer target `sip_stream`: see `fuzz::sip::stream`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sip::stream(data));

//! libFuzzer target `sip_differential`: see `fuzz::sip::differential`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sip::differential(data));

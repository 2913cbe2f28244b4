//! libFuzzer target `sip_uri`: see `fuzz::sip::uri`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sip::uri(data));

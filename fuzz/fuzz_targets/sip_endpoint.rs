//! libFuzzer target `sip_endpoint`: see `fuzz::sip_endpoint::endpoint`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sip_endpoint::endpoint(data));

//! libFuzzer target `msrp_uri`: see `fuzz::msrp::uri`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::msrp::uri(data));

//! libFuzzer target `msrp_session`: see `fuzz::msrp::session`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::msrp::session(data));

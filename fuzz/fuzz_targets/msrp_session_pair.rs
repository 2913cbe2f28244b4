//! libFuzzer target `msrp_session_pair`: see `fuzz::msrp::session_pair`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::msrp::session_pair(data));

//! libFuzzer target `msrp_sdp`: see `fuzz::msrp::sdp`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::msrp::sdp(data));

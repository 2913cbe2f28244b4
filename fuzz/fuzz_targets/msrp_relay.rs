//! libFuzzer target `msrp_relay`: see `fuzz::msrp::relay`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::msrp::relay(data));

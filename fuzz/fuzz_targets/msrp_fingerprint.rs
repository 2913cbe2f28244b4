//! libFuzzer target `msrp_fingerprint`: see `fuzz::msrp::fingerprint`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::msrp::fingerprint(data));

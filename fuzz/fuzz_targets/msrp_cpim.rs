//! libFuzzer target `msrp_cpim`: see `fuzz::msrp::cpim`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::msrp::cpim(data));

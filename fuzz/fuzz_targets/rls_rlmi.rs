//! libFuzzer target `rls_rlmi`: see `fuzz::rls::rlmi`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::rls::rlmi(data));

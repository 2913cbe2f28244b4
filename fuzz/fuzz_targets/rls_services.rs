//! libFuzzer target `rls_services`: see `fuzz::rls::rls_services`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::rls::rls_services(data));

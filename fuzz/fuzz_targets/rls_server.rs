//! libFuzzer target `rls_server`: see `fuzz::rls::server`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::rls::server(data));

//! libFuzzer target `rls_multipart`: see `fuzz::rls::multipart`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::rls::multipart(data));

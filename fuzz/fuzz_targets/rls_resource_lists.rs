//! libFuzzer target `rls_resource_lists`: see `fuzz::rls::resource_lists`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::rls::resource_lists(data));

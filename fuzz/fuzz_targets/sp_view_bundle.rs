//! libFuzzer target `sp_view_bundle`: see `fuzz::simple_presence::view_bundle`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::simple_presence::view_bundle(data));

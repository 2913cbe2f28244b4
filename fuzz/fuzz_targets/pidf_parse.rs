//! libFuzzer target `pidf_parse`: see `fuzz::pidf::pidf_parse`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::pidf::pidf_parse(data));

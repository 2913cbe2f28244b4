//! libFuzzer target `pidf_diff_parse`: see `fuzz::pidf::pidf_diff_parse`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::pidf::pidf_diff_parse(data));

//! libFuzzer target `pidf_diff_apply`: see `fuzz::pidf::pidf_diff_apply`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::pidf::pidf_diff_apply(data));

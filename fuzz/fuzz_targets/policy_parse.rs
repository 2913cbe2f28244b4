//! libFuzzer target `policy_parse`: see `fuzz::policy::policy_parse`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::policy::policy_parse(data));

//! libFuzzer target `policy_view`: see `fuzz::policy::policy_view`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::policy::policy_view(data));

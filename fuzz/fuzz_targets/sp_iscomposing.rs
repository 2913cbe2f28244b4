//! libFuzzer target `sp_iscomposing`: see `fuzz::simple_presence::iscomposing`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::simple_presence::iscomposing(data));

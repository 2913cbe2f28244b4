//! libFuzzer target `sp_imdn`: see `fuzz::simple_presence::imdn`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::simple_presence::imdn(data));

//! libFuzzer target `sp_roles`: see `fuzz::simple_presence::roles`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::simple_presence::roles(data));

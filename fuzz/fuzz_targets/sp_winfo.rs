//! libFuzzer target `sp_winfo`: see `fuzz::simple_presence::winfo`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::simple_presence::winfo(data));

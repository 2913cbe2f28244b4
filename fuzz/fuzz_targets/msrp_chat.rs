//! libFuzzer target `msrp_chat`: see `fuzz::msrp::chat`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::msrp::chat(data));

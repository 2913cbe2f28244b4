//! libFuzzer target `sip_multipart`: see `fuzz::sip::multipart`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sip::multipart(data));

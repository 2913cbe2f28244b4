//! libFuzzer target `sip_subscriber`: see `fuzz::sip_endpoint::subscriber`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sip_endpoint::subscriber(data));

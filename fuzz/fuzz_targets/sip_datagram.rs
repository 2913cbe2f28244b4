//! libFuzzer target `sip_datagram`: see `fuzz::sip::datagram`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sip::datagram(data));

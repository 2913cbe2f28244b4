//! libFuzzer target `sip_round_trip`: see `fuzz::sip::round_trip`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sip::round_trip(data));

//! libFuzzer target `msrp_chunk_stream`: see `fuzz::msrp::chunk_stream`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::msrp::chunk_stream(data));

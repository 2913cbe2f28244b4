//! libFuzzer target `xml_tree`: see `fuzz::xml::xml_tree`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::xml::xml_tree(data));

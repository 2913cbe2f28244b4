//! Fuzz entry points for the `sip` parsers.

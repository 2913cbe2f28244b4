//! Fuzz entry points for the `msrp` parsers.

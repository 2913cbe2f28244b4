//! Fuzz entry points for the `policy` parsers.

//! Fuzz entry points for the `pidf` parsers.

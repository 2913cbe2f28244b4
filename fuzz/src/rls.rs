//! Fuzz entry points for the `rls` parsers.

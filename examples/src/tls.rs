//! TLS between peer networks for the examples (rustls, being built).

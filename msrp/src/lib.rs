//! msrp (under construction).

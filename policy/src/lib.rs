//! policy (under construction).

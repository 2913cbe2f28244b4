//! pidf (under construction).

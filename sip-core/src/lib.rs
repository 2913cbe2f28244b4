//! sip-core (under construction).

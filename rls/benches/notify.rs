//! Benchmarks of RLMI notifications (filled in below as the notifier lands).

fn main() {}

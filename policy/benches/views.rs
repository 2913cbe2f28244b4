//! Criterion benchmarks of view grouping (being written).

fn main() {}

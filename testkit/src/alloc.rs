//! Allocation counting for the crates' `allocs` benches.
//!
//! A bench installs the counting allocator as its global allocator and
//! hands it to [`per_call`], which runs a closure once to warm up and then
//! `n` times inside a [`Region`], so the figures are exact and the same on
//! every run (nothing depends on time or load):
//!
//! ```no_run
//! use std::alloc::System;
//! use testkit::alloc::{per_call, StatsAlloc, Table, INSTRUMENTED_SYSTEM};
//!
//! #[global_allocator]
//! static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;
//!
//! let mut t = Table::new("allocations per parse");
//! t.row("a string", "to_owned", per_call(GLOBAL, 100, || {
//!     std::hint::black_box("abc".to_owned());
//! }));
//! t.print();
//! ```

use std::alloc::System;

pub use stats_alloc::{Region, Stats, StatsAlloc, INSTRUMENTED_SYSTEM};

/// What a closure asked of the allocator, summed over `calls` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerCall {
    /// How many calls were counted.
    pub calls: usize,
    /// `alloc` calls (zeroed or not).
    pub allocations: usize,
    /// `realloc` calls (a growing `Vec` or `String`).
    pub reallocations: usize,
    /// Bytes obtained: every allocation's size plus every realloc's growth.
    pub bytes: usize,
}

impl PerCall {
    /// From a region's change over `calls` calls.
    pub fn from_stats(s: &Stats, calls: usize) -> Self {
        PerCall {
            calls: calls.max(1),
            allocations: s.allocations,
            reallocations: s.reallocations,
            bytes: s.bytes_allocated,
        }
    }

    /// Allocations per call, exact (a fraction only when the calls differ).
    pub fn allocations_per_call(&self) -> String {
        exact(self.allocations, self.calls)
    }

    /// Reallocations per call, exact.
    pub fn reallocations_per_call(&self) -> String {
        exact(self.reallocations, self.calls)
    }

    /// Bytes per call, exact.
    pub fn bytes_per_call(&self) -> String {
        exact(self.bytes, self.calls)
    }
}

/// Runs `f` once outside the count (warm-up: lazily built statics, first
/// buffers), then `n` times inside a [`Region`] of `alloc`.
pub fn per_call(alloc: &StatsAlloc<System>, n: usize, mut f: impl FnMut()) -> PerCall {
    f();
    let region = Region::new(alloc);
    for _ in 0..n {
        f();
    }
    PerCall::from_stats(&region.change(), n)
}

/// Bytes held now that were not held when `region` began: allocated minus
/// freed (a realloc's growth or shrinkage is in those two counters).
pub fn net_bytes(region: &Region<'_, System>) -> i64 {
    let s = region.change();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// `total / n` written exactly: an integer with thousands separators, or
/// with the decimals the division needs (up to three).
pub fn exact(total: usize, n: usize) -> String {
    let n = n.max(1);
    if total % n == 0 {
        return group(total / n);
    }
    let s = format!("{:.3}", total as f64 / n as f64);
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let int: usize = int.parse().unwrap_or(0);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        group(int)
    } else {
        format!("{}.{frac}", group(int))
    }
}

/// An integer with `,` between groups of three digits.
pub fn group(v: usize) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A Markdown table of allocation counts, one row per (input, parser),
/// printed at the end so that printing allocates nothing inside a region.
#[derive(Debug, Clone, Default)]
pub struct Table {
    title: String,
    rows: Vec<[String; 5]>,
}

impl Table {
    /// An empty table under this heading.
    pub fn new(title: &str) -> Self {
        Table {
            title: title.to_owned(),
            rows: Vec::new(),
        }
    }

    /// Adds the row of `what` parsing `input`.
    pub fn row(&mut self, input: &str, what: &str, c: PerCall) {
        self.rows.push([
            input.to_owned(),
            what.to_owned(),
            c.allocations_per_call(),
            c.reallocations_per_call(),
            c.bytes_per_call(),
        ]);
    }

    /// Prints the table to stdout.
    pub fn print(&self) {
        println!("{}\n", self.title);
        println!("| input | what | allocations | reallocations | bytes allocated |");
        println!("|---|---|---|---|---|");
        for r in &self.rows {
            println!("| {} | {} | {} | {} | {} |", r[0], r[1], r[2], r[3], r[4]);
        }
        println!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_division() {
        assert_eq!(exact(3000, 1000), "3");
        assert_eq!(exact(1_234_000, 1000), "1,234");
        assert_eq!(exact(2500, 1000), "2.5");
        assert_eq!(exact(1, 3), "0.333");
        assert_eq!(exact(0, 0), "0");
        assert_eq!(exact(9999, 10000), "1");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(12_345_678), "12,345,678");
    }
}

//! Interleaved timing for the benches' ratio mode.
//!
//! Criterion times one function after another. On a shared host the load
//! moves between those runs (the floor of the PIDF bench has read 6.6 us
//! and 10.6 us in two runs a minute apart), so a ratio of two criterion
//! medians carries the load change as well as the code's. Here every case
//! runs one short batch in turn, round after round, in one process: a
//! change of load falls on all cases alike, and each case's fastest round
//! is its least disturbed one. Ratios of those minima are what the
//! benches' `*_BENCH_RATIO` modes print (criterion stays the tool for the
//! absolute times).

use std::time::{Duration, Instant};

/// One case: its name and the work of one iteration.
pub type Case<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// What [`interleave`] measured for one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// The case's name.
    pub name: String,
    /// Nanoseconds per iteration in the fastest round.
    pub min_ns: f64,
    /// Nanoseconds per iteration in the median round.
    pub median_ns: f64,
}

/// Runs `cases` in alternation: `rounds` rounds, each running every case
/// `batch` times in turn (after one untimed warm-up round), and gives each
/// case's fastest and median round per iteration, in the order given.
pub fn interleave(cases: &mut [Case<'_>], rounds: usize, batch: usize) -> Vec<Timing> {
    let batch = batch.max(1);
    let mut rounds_ns: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..=rounds {
        for (i, (_, work)) in cases.iter_mut().enumerate() {
            let took = time_batch(work, batch);
            if round > 0 {
                if let Some(r) = rounds_ns.get_mut(i) {
                    r.push(took.as_nanos() as f64 / batch as f64);
                }
            }
        }
    }
    cases
        .iter()
        .zip(rounds_ns)
        .map(|((name, _), mut ns)| {
            ns.sort_by(f64::total_cmp);
            Timing {
                name: (*name).to_owned(),
                min_ns: ns.first().copied().unwrap_or(f64::NAN),
                median_ns: ns.get(ns.len() / 2).copied().unwrap_or(f64::NAN),
            }
        })
        .collect()
}

// The benches are the one place that reads the clock: this is their timer.
#[allow(clippy::disallowed_methods)]
fn time_batch(work: &mut Box<dyn FnMut() + '_>, batch: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..batch {
        work();
    }
    start.elapsed()
}

/// Prints `timings` as a table, with each case's fastest round divided by
/// that of the case named `reference` (above 1: slower than it).
pub fn print(title: &str, timings: &[Timing], reference: &str) {
    let base = timings
        .iter()
        .find(|t| t.name == reference)
        .map_or(f64::NAN, |t| t.min_ns);
    println!("{title} (time / time of {reference}, fastest rounds)");
    for t in timings {
        println!(
            "  {:<24} min {:>10.1} ns  median {:>10.1} ns  ratio {:>6.2}",
            t.name,
            t.min_ns,
            t.median_ns,
            t.min_ns / base
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_runs_every_round_and_keeps_its_order() {
        let (mut a, mut b) = (0usize, 0usize);
        let mut cases: Vec<Case<'_>> = vec![("a", Box::new(|| a += 1)), ("b", Box::new(|| b += 2))];
        let t = interleave(&mut cases, 3, 5);
        drop(cases);
        // Three timed rounds and one warm-up, five iterations each.
        assert_eq!((a, b), (20, 40));
        assert_eq!(
            t.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(t.iter().all(|t| t.min_ns <= t.median_ns));
    }
}

//! Throughput of Sigma rule matching, for `lookout bench ingest` and the detect benchmark test.

use std::time::Instant;

use rayon::prelude::*;

use crate::detect::RuleSet;
use crate::event::Event;

/// Figures of one benchmark run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BenchResult {
    pub events: usize,
    pub rules: usize,
    pub hits: usize,
    pub seconds: f64,
    pub events_per_s: f64,
}

/// Runs `matches` over every event once (in parallel over rayon's pool when `parallel`) and
/// reports the rate. The hit count keeps the work observable so it cannot be optimised away.
pub fn bench_detail(rules: &RuleSet, events: &[Event], parallel: bool) -> BenchResult {
    let start = Instant::now();
    let hits: usize = if parallel {
        events.par_iter().map(|e| rules.matches(e).len()).sum()
    } else {
        events.iter().map(|e| rules.matches(e).len()).sum()
    };
    let seconds = start.elapsed().as_secs_f64().max(1e-9);
    BenchResult {
        events: events.len(),
        rules: rules.len(),
        hits,
        seconds,
        events_per_s: events.len() as f64 / seconds,
    }
}

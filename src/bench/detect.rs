//! Throughput of Sigma rule matching: `lookout bench detect` (a rule set, e.g. the full
//! SigmaHQ tree, on the EVTX corpus, one thread and all threads) and the matching figure of
//! `lookout bench ingest`.

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use crate::detect::RuleSet;
use crate::event::Event;
use crate::ingest::{IngestOptions, expand_paths, read_file_to_vec};

/// Figures of one benchmark run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BenchResult {
    pub events: usize,
    pub rules: usize,
    pub hits: usize,
    pub seconds: f64,
    pub events_per_s: f64,
    /// CPU time the process spent meanwhile (all threads), so that a figure taken on a busy
    /// machine can be read as events per CPU-second.
    pub cpu_seconds: f64,
}

/// Runs `matches` over every event once (in parallel batches over rayon's pool when `parallel`) and
/// reports the rate. The hit count keeps the work observable so it cannot be optimised away.
pub fn bench_detail(rules: &RuleSet, events: &[Event], parallel: bool) -> BenchResult {
    let cpu_start = cpu_seconds();
    let start = Instant::now();
    let hits: usize = if parallel {
        // What a pipeline matching a batch of events on every core calls.
        let mut out = Vec::new();
        rules.matches_batch(events, &mut out, None);
        out.len()
    } else {
        let mut buf = Vec::new();
        events
            .iter()
            .map(|e| {
                buf.clear();
                rules.matches_into(e, &mut buf);
                buf.len()
            })
            .sum()
    };
    let seconds = start.elapsed().as_secs_f64().max(1e-9);
    BenchResult {
        events: events.len(),
        rules: rules.len(),
        hits,
        seconds,
        events_per_s: events.len() as f64 / seconds,
        cpu_seconds: cpu_seconds() - cpu_start,
    }
}

/// User + system CPU time of this process so far (0 where it cannot be read).
pub(crate) fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// What `lookout bench detect` runs.
#[derive(Debug, Clone)]
pub struct DetectBenchOptions {
    /// Rule folders (a SigmaHQ checkout as it is).
    pub rules: Vec<PathBuf>,
    /// Also the built-in rules.
    pub builtin: bool,
    /// Event files or folders (EVTX or any format lookout reads).
    pub events: Vec<PathBuf>,
    /// The events are matched this many times over (a small corpus gives a steadier rate).
    pub passes: usize,
}

/// The figures `lookout bench detect` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DetectBenchReport {
    pub rules_loaded: usize,
    pub rules_refused: usize,
    pub load_seconds: f64,
    pub corpus_events: usize,
    pub passes: usize,
    pub one_thread: BenchResult,
    pub all_threads: BenchResult,
    pub threads: usize,
    /// `/proc/loadavg` before and after (the machine may be shared).
    pub load_before: Option<String>,
    pub load_after: Option<String>,
}

/// Loads the rules and events, then times matching on one thread and on all.
pub fn run(opts: &DetectBenchOptions) -> DetectBenchReport {
    let load_before = load_average();
    let started = Instant::now();
    let (rules, report) = RuleSet::load(&opts.rules, opts.builtin);
    let load_seconds = started.elapsed().as_secs_f64();
    let (files, _) = expand_paths(&opts.events);
    let mut corpus = Vec::new();
    for f in &files {
        corpus.extend(read_file_to_vec(f, &IngestOptions::default()).0);
    }
    let passes = opts.passes.max(1);
    let events: Vec<Event> = (0..passes).flat_map(|_| corpus.iter().cloned()).collect();
    let one_thread = bench_detail(&rules, &events, false);
    let all_threads = bench_detail(&rules, &events, true);
    DetectBenchReport {
        rules_loaded: report.loaded,
        rules_refused: report.unsupported.len(),
        load_seconds,
        corpus_events: corpus.len(),
        passes,
        one_thread,
        all_threads,
        threads: rayon::current_num_threads(),
        load_before,
        load_after: load_average(),
    }
}

pub(crate) fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

impl fmt::Display for DetectBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "rules: {} loaded, {} refused, in {:.1} s",
            self.rules_loaded, self.rules_refused, self.load_seconds
        )?;
        writeln!(
            f,
            "events: {} x {} passes = {}",
            self.corpus_events, self.passes, self.one_thread.events
        )?;
        for (label, r) in [
            ("1 thread".to_string(), &self.one_thread),
            (format!("{} threads", self.threads), &self.all_threads),
        ] {
            writeln!(
                f,
                "{label:>10}: {:>10.0} events/s ({:.2} s, {} hits; {:.2} CPU-s, {:.0} events per \
                 CPU-s)",
                r.events_per_s,
                r.seconds,
                r.hits,
                r.cpu_seconds,
                r.events as f64 / r.cpu_seconds.max(1e-9)
            )?;
        }
        let na = || "n/a".to_string();
        writeln!(
            f,
            "load average (1/5/15 min): {} before, {} after on {} CPUs",
            self.load_before.clone().unwrap_or_else(na),
            self.load_after.clone().unwrap_or_else(na),
            std::thread::available_parallelism().map_or(0, |n| n.get())
        )
    }
}

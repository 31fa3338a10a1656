//! `bench store`: the team store under concurrent analysts: corrections saved per second and
//! review-queue hand-outs (lease, then finish) per second with N clients, each on its own
//! connection, in a throw-away case that is deleted afterwards. Also checks what it measured:
//! every correction stored once, no session handed out twice.

use std::fmt;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::Utc;

use crate::event::{Cause, Risk};
use crate::store::{Correction, CorrectionKind, Store, StoreUrl};

pub struct StoreBenchOptions {
    pub url: StoreUrl,
    pub clients: usize,
    /// How long each phase runs.
    pub seconds: f64,
    /// Sessions queued for the hand-out phase (it ends early when they run out).
    pub queued: usize,
}

#[derive(Debug, Clone)]
pub struct StoreBenchReport {
    pub location: String,
    pub clients: usize,
    pub corrections: u64,
    pub corrections_s: f64,
    pub handouts: u64,
    pub handouts_s: f64,
    pub latency_ms_p50: f64,
    pub latency_ms_p95: f64,
}

impl fmt::Display for StoreBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "store: {} ({} clients)", self.location, self.clients)?;
        writeln!(
            f,
            "  corrections: {} saved, {:.0}/s",
            self.corrections, self.corrections_s
        )?;
        writeln!(
            f,
            "  review queue: {} hand-outs (lease + finish), {:.0}/s; lease latency p50 {:.2} ms, p95 {:.2} ms",
            self.handouts, self.handouts_s, self.latency_ms_p50, self.latency_ms_p95
        )
    }
}

fn correction(case: &str, client: usize, n: u64) -> Correction {
    Correction {
        id: 0,
        case_name: case.to_string(),
        session_id: format!("s{}", n % 500),
        kind: CorrectionKind::Correction,
        analyst: format!("bench{client}"),
        created: Utc::now(),
        cause: Cause::Malicious,
        risk: Risk::High,
        priority: Some(2),
        techniques: vec!["T1110.001".into()],
        summary: "bench".into(),
        rationale: "bench".into(),
        model_id: "bench".into(),
        prompt_version: "bench".into(),
        model_output: None,
        session_host: "bench".into(),
    }
}

/// Runs `work(client, store)` on `clients` threads at once, each with its own connection,
/// until it returns false or `seconds` pass; returns each thread's result and the wall time.
fn phase<T: Send + 'static>(
    url: &StoreUrl,
    clients: usize,
    seconds: f64,
    work: impl Fn(usize, &Store, Instant) -> Result<T> + Send + Sync + 'static,
) -> Result<(Vec<T>, f64)> {
    let work = Arc::new(work);
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut threads = Vec::new();
    for i in 0..clients {
        let (url, work, barrier) = (url.clone(), work.clone(), barrier.clone());
        threads.push(std::thread::spawn(move || -> Result<T> {
            let store = Store::connect(&url);
            barrier.wait();
            let deadline = Instant::now() + Duration::from_secs_f64(seconds);
            work(i, &store?, deadline)
        }));
    }
    barrier.wait();
    let start = Instant::now();
    let mut out = Vec::new();
    for t in threads {
        let r = t
            .join()
            .map_err(|_| anyhow::anyhow!("a bench client panicked"))?;
        out.push(r?);
    }
    Ok((out, start.elapsed().as_secs_f64()))
}

pub fn run(opts: &StoreBenchOptions) -> Result<StoreBenchReport> {
    let case = format!("bench-store-{}", std::process::id());
    let mut store = Store::connect(&opts.url).context("opening the store")?;
    store.ensure_case(&case)?;
    let result = measure(opts, &store, &case);
    // The throw-away case goes whatever happened.
    store.delete_case(&case)?;
    result
}

fn measure(opts: &StoreBenchOptions, store: &Store, case: &str) -> Result<StoreBenchReport> {
    let clients = opts.clients.max(1);
    let c = case.to_string();
    let (saved, secs) = phase(&opts.url, clients, opts.seconds, move |i, s, deadline| {
        let mut n = 0u64;
        while Instant::now() < deadline {
            s.add_correction(&correction(&c, i, n))?;
            n += 1;
        }
        Ok(n)
    })?;
    let corrections: u64 = saved.iter().sum();
    let stored = store.corrections(Some(case))?.len() as u64;
    anyhow::ensure!(
        stored == corrections,
        "{corrections} corrections saved but {stored} stored"
    );

    let items: Vec<(String, i64)> = (0..opts.queued)
        .map(|i| (format!("q{i:07}"), (i % 5) as i64))
        .collect();
    store.enqueue_reviews(case, &items)?;
    let c = case.to_string();
    let (handed, secs2) = phase(&opts.url, clients, opts.seconds, move |i, s, deadline| {
        let holder = format!("bench{i}");
        let mut got = Vec::new();
        let mut lat = Vec::new();
        while Instant::now() < deadline {
            let t = Instant::now();
            let Some(lease) = s.lease_review(&c, &holder, Duration::from_secs(60))? else {
                break;
            };
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                s.finish_review(&c, &lease.session_id, &holder)?,
                "lost the lease on {}",
                lease.session_id
            );
            got.push(lease.session_id);
        }
        Ok((got, lat))
    })?;
    let mut all: Vec<&String> = handed.iter().flat_map(|(g, _)| g).collect();
    let handouts = all.len() as u64;
    all.sort();
    all.dedup();
    anyhow::ensure!(
        all.len() as u64 == handouts,
        "{} session(s) handed out twice",
        handouts - all.len() as u64
    );
    let mut lat: Vec<f64> = handed.into_iter().flat_map(|(_, l)| l).collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    Ok(StoreBenchReport {
        location: store.location(),
        clients,
        corrections,
        corrections_s: corrections as f64 / secs,
        handouts,
        handouts_s: handouts as f64 / secs2,
        latency_ms_p50: pct(0.5),
        latency_ms_p95: pct(0.95),
    })
}

//! `lookout bench index --index opensearch://…`: the same synthetic Windows events into the
//! tantivy index and into an OpenSearch index (parsed beforehand, not timed; the writer each
//! ingest uses), then a set of queries (terms, phrases, fields, time ranges, boolean) run many
//! times on both: events/s and search p50/p95 side by side. Run it against a one-node and a
//! two-node cluster for the two ingest figures.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::synth;
use crate::case::{INGEST_WRITER_MEMORY, INGEST_WRITER_THREADS};
use crate::index::{EventIndex, IndexBackend, IndexUrl, Order, WriteMode};
use crate::ingest::IngestOptions;

pub struct IndexBenchOptions {
    pub url: IndexUrl,
    pub events: u64,
    /// Runs of each query per backend.
    pub rounds: usize,
    pub work_dir: PathBuf,
}

/// What the workbench and `search` send: a spread of the query language.
const QUERIES: &[&str] = &[
    "event_id:4625",
    "host:ws01.corp.local",
    "TargetUserName:alice",
    "powershell.exe",
    "\"type renderer\"",
    "event_id:4624 AND user:bob",
    "ts:[2026-03-02T09:10:00Z TO 2026-03-02T09:20:00Z}",
    "(outlook.exe OR chrome.exe) AND host:dc01.corp.local",
];

/// Hits fetched per query, as the workbench's search screen fetches them.
const LIMIT: usize = 500;

pub fn run(opts: &IndexBenchOptions) -> Result<String> {
    let IndexUrl::OpenSearch(url) = &opts.url else {
        bail!("bench index compares tantivy with OpenSearch: give --index opensearch://…");
    };
    std::fs::create_dir_all(&opts.work_dir)?;
    let corpus = opts.work_dir.join("bench-index.jsonl");
    synth::windows_jsonl(&corpus, opts.events, 7)?;
    // Parsing alone first, so each backend's figure below can be read without it. The corpus is
    // streamed, never held: 10M events would not fit in memory twice.
    let started = Instant::now();
    let mut n = 0u64;
    crate::ingest::read_file(&corpus, &IngestOptions::default(), &mut |_| n += 1);
    let parse_s = started.elapsed().as_secs_f64();
    let mut out = String::new();
    writeln!(
        out,
        "{n} synthetic Windows events; {} queries x {} rounds, {LIMIT} hits each",
        QUERIES.len(),
        opts.rounds
    )?;
    writeln!(
        out,
        "parse alone {:>9.1} s {:>9.0} events/s (included in the ingest figures)",
        parse_s,
        n as f64 / parse_s.max(1e-9)
    )?;

    let tv_dir = opts
        .work_dir
        .join(format!("bench-index-{}", std::process::id()));
    let tv = EventIndex::open(&tv_dir)?;
    let case = format!("bench-{}", std::process::id());
    let os = crate::index::opensearch::OpenSearchIndex::open(url, &case)
        .context("opening the OpenSearch index")?;
    let backends: [(&str, &dyn IndexBackend); 2] = [("tantivy", &tv), ("opensearch", &os)];
    for (name, ix) in backends {
        let started = Instant::now();
        let mut w = ix.writer(INGEST_WRITER_THREADS, INGEST_WRITER_MEMORY)?;
        let mut failed = None;
        crate::ingest::read_file(&corpus, &IngestOptions::default(), &mut |ev| {
            if failed.is_some() {
                return;
            }
            let added = w
                .admit(&ev, WriteMode::SkipExisting)
                .and_then(|fresh| if fresh { w.add(ev) } else { Ok(()) });
            if let Err(e) = added {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            return Err(e).with_context(|| format!("{name}: adding events"));
        }
        w.finish()?;
        ix.reload()?;
        let s = started.elapsed().as_secs_f64();
        let count = ix.count()?;
        let line = format!(
            "ingest {name:<11} {count:>9} events {s:>7.1} s {:>9.0} events/s",
            n as f64 / s.max(1e-9)
        );
        // A 10M-event run takes a while: say each backend's figure as it comes.
        eprintln!("{line}");
        writeln!(out, "{line}")?;
    }
    let mut per_query: Vec<Vec<f64>> = Vec::new();
    for (name, ix) in backends {
        let mut times = Vec::with_capacity(QUERIES.len() * opts.rounds);
        let mut by_query = vec![Vec::with_capacity(opts.rounds); QUERIES.len()];
        // One round unmeasured: caches warm, as a workbench's second search finds them.
        for round in 0..=opts.rounds {
            for (i, q) in QUERIES.iter().enumerate() {
                let started = Instant::now();
                ix.search(q, LIMIT, Order::NewestFirst)
                    .with_context(|| format!("{name}: `{q}`"))?;
                if round > 0 {
                    let ms = started.elapsed().as_secs_f64() * 1000.0;
                    times.push(ms);
                    by_query[i].push(ms);
                }
            }
        }
        writeln!(
            out,
            "search {name:<11} p50 {:>7.2} ms  p95 {:>7.2} ms",
            percentile(&mut times, 0.5),
            percentile(&mut times, 0.95)
        )?;
        per_query.push(by_query.iter_mut().map(|t| percentile(t, 0.5)).collect());
    }
    // Which queries make the tail.
    writeln!(out, "p50 per query (ms): tantivy / opensearch")?;
    for (i, q) in QUERIES.iter().enumerate() {
        writeln!(
            out,
            "  {:>8.2} / {:>8.2}  {q}",
            per_query[0][i], per_query[1][i]
        )?;
    }
    os.delete()?;
    drop(tv);
    let _ = std::fs::remove_dir_all(&tv_dir);
    let _ = std::fs::remove_file(&corpus);
    Ok(out)
}

/// The `p` quantile of `times` (sorted in place); 0 when empty.
fn percentile(times: &mut [f64], p: f64) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort_by(f64::total_cmp);
    times[((times.len() - 1) as f64 * p).round() as usize]
}

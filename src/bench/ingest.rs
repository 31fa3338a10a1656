//! `lookout bench ingest`: synthetic JSONL and syslog corpora (1M events each by default) and
//! the shared EVTX corpus ingested into throw-away cases; the parser and the index writer of
//! the synthetic corpora on their own; then sessionization and Sigma matching speed on the
//! result. Prints events/s, MB/s and peak RSS per phase.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use super::detect::bench_detail;
use super::{mib, peak_rss_bytes, reset_peak_rss, synth};
use crate::case::{Case, INGEST_WRITER_MEMORY, INGEST_WRITER_THREADS, IngestProgress};
use crate::config::Config;
use crate::detect::RuleSet;
use crate::ingest::IngestOptions;
use crate::sessions::{GroupOptions, sessionize};

pub struct BenchOptions {
    pub events: u64,
    pub work_dir: PathBuf,
    /// Folder of EVTX files to ingest as the EVTX figure (the shared evtx-attack corpus).
    pub evtx_dir: Option<PathBuf>,
    /// Extra Sigma rule folders for the matching figure (e.g. the shared SigmaHQ sample).
    pub sigma_dirs: Vec<PathBuf>,
}

pub struct Figure {
    pub name: String,
    pub events: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub peak_rss: u64,
}

impl Figure {
    pub fn print(&self) {
        let eps = self.events as f64 / self.seconds.max(1e-9);
        let mbs = mib(self.bytes) / self.seconds.max(1e-9);
        println!(
            "{:<28} {:>10} events {:>8.2} s {:>10.0} events/s {:>8.1} MB/s  peak RSS {:>7.1} MB",
            self.name,
            self.events,
            self.seconds,
            eps,
            mbs,
            mib(self.peak_rss)
        );
    }
}

fn ingest_phase(name: &str, data_dir: &Path, input: &Path, bytes: u64) -> Result<Figure> {
    reset_peak_rss();
    let config = Config::default();
    let (rules, _) = RuleSet::load(&[], true);
    let mut case = Case::open(data_dir, name)?;
    let started = Instant::now();
    let summary = case.ingest(
        &[input.to_path_buf()],
        &IngestOptions::default(),
        &crate::case::FileLabels::default(),
        &rules,
        &config,
        &IngestProgress::default(),
    )?;
    Ok(Figure {
        name: format!("ingest {name}"),
        events: summary.events,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss: peak_rss_bytes().unwrap_or(0),
    })
}

/// The reader and parser alone over `files` (events counted, then dropped): the ceiling that
/// parsing sets on the end-to-end figure.
fn parse_phase(name: &str, files: &[PathBuf], bytes: u64) -> Result<Figure> {
    reset_peak_rss();
    let started = Instant::now();
    let mut events = 0u64;
    for f in files {
        crate::ingest::read_file(f, &IngestOptions::default(), &mut |_| events += 1);
    }
    Ok(Figure {
        name: format!("parse {name} (reader only)"),
        events,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss: peak_rss_bytes().unwrap_or(0),
    })
}

/// Events of the index-only figure (bounded: they are held in memory at once).
const INDEX_ONLY_EVENTS: u64 = 200_000;

/// The index writer alone: every event of `input` (a corpus's first [`INDEX_ONLY_EVENTS`]),
/// parsed beforehand (not timed), added to a fresh case index with the writer ingest uses and
/// committed. The ceiling that indexing sets on the end-to-end figure, on the same cores.
fn index_phase(name: &str, data_dir: &Path, input: &Path) -> Result<Figure> {
    let mut events = Vec::new();
    crate::ingest::read_file(input, &IngestOptions::default(), &mut |ev| events.push(ev));
    let n = events.len() as u64;
    let bytes = events.iter().map(|e| e.raw.len() as u64 + 1).sum();
    reset_peak_rss();
    let index = crate::index::EventIndex::open(&crate::case::index_dir(
        data_dir,
        &format!("{name}-index-only"),
    ))?;
    let started = Instant::now();
    let mut writer = index.writer(INGEST_WRITER_THREADS, INGEST_WRITER_MEMORY)?;
    for ev in events {
        if writer.admit(&ev, crate::index::WriteMode::SkipExisting)? {
            writer.add(ev)?;
        }
    }
    writer.finish()?;
    let seconds = started.elapsed().as_secs_f64();
    // The held events are gone: give their memory back before the next phase resets the peak.
    crate::case::release_freed_memory();
    Ok(Figure {
        name: format!("index {name} (writer only)"),
        events: n,
        bytes,
        seconds,
        peak_rss: peak_rss_bytes().unwrap_or(0),
    })
}

fn evtx_parse_phase(dir: &Path) -> Result<Figure> {
    let (files, _) = crate::ingest::expand_paths(&[dir.to_path_buf()]);
    let evtx: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| {
            f.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        })
        .collect();
    let bytes = evtx
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    parse_phase("evtx", &evtx, bytes)
}

fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

pub fn run(opts: &BenchOptions) -> Result<Vec<Figure>> {
    let data_dir = opts.work_dir.join("data");
    let _ = std::fs::remove_dir_all(&opts.work_dir);
    std::fs::create_dir_all(&data_dir).context("creating bench work dir")?;
    let mut figures = Vec::new();

    let jsonl = opts.work_dir.join("windows.jsonl");
    let t = Instant::now();
    let jsonl_bytes = synth::windows_jsonl(&jsonl, opts.events, 7)?;
    eprintln!(
        "generated {} events of JSONL ({:.0} MB) in {:.1} s",
        opts.events,
        mib(jsonl_bytes),
        t.elapsed().as_secs_f64()
    );
    let syslog = opts.work_dir.join("auth.log");
    let syslog_bytes = synth::auth_syslog(&syslog, opts.events, 11)?;
    // The same generators and seeds write the first events of each corpus again, as the
    // index-only input: parsing the whole corpus to keep its head would parse it twice.
    let head = INDEX_ONLY_EVENTS.min(opts.events);
    let jsonl_head = opts.work_dir.join("windows-head.jsonl");
    synth::windows_jsonl(&jsonl_head, head, 7)?;
    let syslog_head = opts.work_dir.join("auth-head.log");
    synth::auth_syslog(&syslog_head, head, 11)?;
    let corpora = [
        ("jsonl", &jsonl, jsonl_bytes, &jsonl_head),
        ("syslog", &syslog, syslog_bytes, &syslog_head),
    ];
    // End to end (parse, rules, index, sessions)...
    for (name, file, bytes, _) in corpora {
        let f = ingest_phase(name, &data_dir, file, bytes)?;
        f.print();
        figures.push(f);
    }
    // ...then the two stages on their own: the ceilings each sets on the figures above. After
    // the end-to-end runs, so that their peak RSS is not raised by the events held here.
    for (name, file, bytes, head) in corpora {
        for f in [
            parse_phase(name, std::slice::from_ref(file), bytes)?,
            index_phase(name, &data_dir, head)?,
        ] {
            f.print();
            figures.push(f);
        }
    }

    if let Some(dir) = opts.evtx_dir.as_ref().filter(|d| d.exists()) {
        let f = ingest_phase("evtx", &data_dir, dir, dir_size(dir))?;
        f.print();
        figures.push(f);
        // The shared corpus is small (a few thousand records over ~250 files), so the figure
        // above is mostly per-file work (hashing, run records, sessions); this one is the
        // EVTX reader alone over the same files.
        let f = evtx_parse_phase(dir)?;
        f.print();
        figures.push(f);
    }

    // Sessionization of the JSONL case, from the index's fast columns.
    reset_peak_rss();
    let case = Case::open(&data_dir, "jsonl")?;
    let t = Instant::now();
    let meta = case.index.scan_meta()?;
    let scan_s = t.elapsed().as_secs_f64();
    let hits = case.store.hits("jsonl")?;
    let t = Instant::now();
    let sessions = sessionize(&meta, &hits, &GroupOptions::with_gap_minutes(5));
    let group_s = t.elapsed().as_secs_f64();
    let f = Figure {
        name: format!("sessionize ({} sessions)", sessions.len()),
        events: meta.len() as u64,
        bytes: 0,
        seconds: scan_s + group_s,
        peak_rss: peak_rss_bytes().unwrap_or(0),
    };
    f.print();
    eprintln!("  (scan of fast columns {scan_s:.2} s, grouping {group_s:.2} s)");
    figures.push(f);

    // Sigma matching: every rule (built-in + extra folders) over a sample of parsed events.
    let (rules, report) = RuleSet::load(&opts.sigma_dirs, true);
    let mut sample = Vec::new();
    let t = Instant::now();
    case.index.for_each_event(|ev| {
        if sample.len() < 200_000 {
            sample.push(ev);
        }
    })?;
    eprintln!(
        "loaded {} stored events in {:.1} s",
        sample.len(),
        t.elapsed().as_secs_f64()
    );
    // Both cores, as ingest uses them: the rule set is shared read-only across threads.
    let m = bench_detail(&rules, &sample, true);
    let f = Figure {
        name: format!("sigma ({} rules, {} hits)", report.loaded, m.hits),
        events: sample.len() as u64,
        bytes: 0,
        seconds: m.seconds,
        peak_rss: peak_rss_bytes().unwrap_or(0),
    };
    f.print();
    figures.push(f);
    Ok(figures)
}

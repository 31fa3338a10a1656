//! `lookout bench limits`: a large generated auth.log (2 GB by default) read in bounded
//! memory. Prints resident memory as the file is read (it must stay flat), the reader's
//! events/s and peak RSS, then the same for a whole ingest into a throw-away case (parse,
//! rules, index, store, sessions, instant verdicts) of the file or of its first
//! `--ingest-size` bytes, with resident memory sampled through it: the peak of each stage
//! (reading, the last index commit, sessions, verdicts), all of it and the anonymous part.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::ingest::Figure;
use super::{mib, peak_rss_bytes, reset_peak_rss, synth};
use crate::case::{Case, IngestProgress, IngestStage};
use crate::config::Config;
use crate::detect::RuleSet;
use crate::ingest::IngestOptions;

pub struct LimitsOptions {
    /// Bytes of log to generate and read.
    pub size: u64,
    /// Bytes of it to ingest end to end (0: none; at most `size`).
    pub ingest_size: u64,
    /// Scratch folder (removed and recreated, removed again at the end).
    pub work_dir: PathBuf,
    /// Skip the reader-only pass (generate, then ingest).
    pub skip_read: bool,
}

/// `2G`, `500M`, `64k` or a plain byte count (binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let n: f64 = num.parse().map_err(|_| format!("not a size: {s}"))?;
    let mult = match unit
        .trim()
        .to_ascii_lowercase()
        .trim_end_matches(['b', 'i'])
    {
        "" => 1u64,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return Err(format!("unknown size unit in {s} (use k, M, G)")),
    };
    Ok((n * mult as f64) as u64)
}

/// Resident memory now (Linux `VmRSS`).
fn rss_bytes() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// Resident memory of the heap and other private mappings now (Linux `RssAnon`): `VmRSS`
/// less the index files' pages mapped in, which grow while tantivy merges large segments but
/// are page cache the kernel takes back under pressure.
fn anon_bytes() -> Option<u64> {
    status_bytes("RssAnon:")
}

/// A `kB` line of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Writes at least `size` bytes of synthetic auth.log to `path` (whole lines), in blocks from
/// the ingest benchmark's generator, its clock going on from block to block (20 lines a
/// second: a 2 GiB log spans 11 days). Blocks that each started at midnight again made a
/// larger file denser in time, not longer: every session grew with the file.
fn generate(path: &Path, size: u64, block: &Path) -> Result<u64> {
    const BLOCK_EVENTS: u64 = 200_000;
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut written = 0u64;
    let mut seed = 1;
    while written < size {
        synth::auth_syslog_from(block, BLOCK_EVENTS, seed, (seed - 1) * BLOCK_EVENTS)?;
        seed += 1;
        let mut lines = BufReader::new(std::fs::File::open(block)?);
        let mut line = Vec::new();
        while written < size {
            line.clear();
            if lines.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            out.write_all(&line)?;
            written += line.len() as u64;
        }
    }
    out.flush()?;
    Ok(written)
}

pub fn run(opts: &LimitsOptions) -> Result<Vec<Figure>> {
    let _ = std::fs::remove_dir_all(&opts.work_dir);
    std::fs::create_dir_all(&opts.work_dir).context("creating bench work dir")?;
    let log = opts.work_dir.join("auth.log");
    let t = Instant::now();
    let bytes = generate(&log, opts.size, &opts.work_dir.join("block.log"))?;
    eprintln!(
        "generated {:.0} MiB of auth.log in {:.1} s",
        mib(bytes),
        t.elapsed().as_secs_f64()
    );
    let mut figures = Vec::new();
    if !opts.skip_read {
        figures.push(read_only(&log, bytes));
    }
    if opts.ingest_size > 0 {
        figures.push(ingest(opts, &log, bytes)?);
    }
    let _ = std::fs::remove_dir_all(&opts.work_dir);
    Ok(figures)
}

/// The reader alone, streaming: resident memory sampled every tenth of the file.
fn read_only(log: &Path, bytes: u64) -> Figure {
    reset_peak_rss();
    let started = Instant::now();
    let (mut events, mut seen, mut next) = (0u64, 0u64, bytes / 10);
    let reports = crate::ingest::read_file(log, &IngestOptions::default(), &mut |ev| {
        events += 1;
        seen += ev.raw.len() as u64 + 1;
        if seen >= next {
            next += bytes / 10;
            println!(
                "  read {:>6.0} MiB: {:>9} events, RSS {:>6.1} MiB",
                mib(seen),
                events,
                mib(rss_bytes().unwrap_or(0))
            );
        }
    });
    let lost: u64 = reports.iter().map(|r| r.lost()).sum();
    let f = Figure {
        name: format!("read {:.0} MiB (reader only)", mib(bytes)),
        events,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss: peak_rss_bytes().unwrap_or(0),
    };
    f.print();
    println!("  records lost: {lost}");
    f
}

/// The whole ingest of the log's first `ingest_size` bytes into a throw-away case.
fn ingest(opts: &LimitsOptions, log: &Path, bytes: u64) -> Result<Figure> {
    let part = if opts.ingest_size >= bytes {
        log.to_path_buf()
    } else {
        let part = opts.work_dir.join("auth-part.log");
        let mut r = BufReader::new(std::fs::File::open(log)?).take(opts.ingest_size);
        let mut w = BufWriter::new(std::fs::File::create(&part)?);
        std::io::copy(&mut r, &mut w)?;
        w.flush()?;
        part
    };
    let part_bytes = std::fs::metadata(&part)?.len();
    reset_peak_rss();
    let (rules, _) = RuleSet::load(&[], true);
    let mut case = Case::open(&opts.work_dir.join("data"), "limits")?;
    let progress = Arc::new(IngestProgress::default());
    let sampler = Sampler::start(progress.clone());
    let started = Instant::now();
    let summary = case.ingest(
        std::slice::from_ref(&part),
        &IngestOptions::default(),
        &crate::case::FileLabels::default(),
        &rules,
        &Config::default(),
        &progress,
    )?;
    let peaks = sampler.stop();
    let f = Figure {
        name: format!("ingest {:.0} MiB (end to end)", mib(part_bytes)),
        events: summary.events,
        bytes: part_bytes,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss: peak_rss_bytes().unwrap_or(0),
    };
    f.print();
    let disk = |p: &Path| -> u64 {
        walkdir::WalkDir::new(p)
            .into_iter()
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum()
    };
    let data = opts.work_dir.join("data");
    println!(
        "  on disk: index {:.0} MiB, store {:.0} MiB (with its WAL)",
        mib(disk(&data.join("cases"))),
        mib(disk(&data) - disk(&data.join("cases")))
    );
    let by_stage: Vec<String> = IngestStage::ALL
        .iter()
        .zip(peaks)
        .map(|(s, p)| format!("{} {:.0} MiB ({:.0})", s.name(), mib(p.rss), mib(p.anon)))
        .collect();
    println!(
        "  peak RSS by stage (anonymous in brackets): {}",
        by_stage.join(", ")
    );
    Ok(f)
}

/// The peaks of one stage.
#[derive(Debug, Clone, Copy, Default)]
struct Peak {
    rss: u64,
    anon: u64,
}

/// Resident memory sampled through an ingest, a peak per stage ([`IngestStage`]); a line
/// every half minute shows how memory moves.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<[Peak; 4]>,
}

impl Sampler {
    fn start(progress: Arc<IngestProgress>) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let done = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peaks = [Peak::default(); 4];
            let started = Instant::now();
            let mut next_line = Duration::ZERO;
            while !done.load(Ordering::Relaxed) {
                let rss = rss_bytes().unwrap_or(0);
                let anon = anon_bytes().unwrap_or(0);
                let stage = progress.stage();
                let at = IngestStage::ALL
                    .iter()
                    .position(|&s| s == stage)
                    .unwrap_or(0);
                peaks[at].rss = peaks[at].rss.max(rss);
                peaks[at].anon = peaks[at].anon.max(anon);
                if started.elapsed() >= next_line {
                    next_line += Duration::from_secs(30);
                    println!(
                        "  {:>6.0} s {:<13} {:>10} events  RSS {:>7.0} MiB (anonymous {:.0})",
                        started.elapsed().as_secs_f64(),
                        stage.name(),
                        progress.events.load(Ordering::Relaxed),
                        mib(rss),
                        mib(anon)
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            peaks
        });
        Sampler { stop, thread }
    }

    /// The peaks of each stage, in [`IngestStage::ALL`] order.
    fn stop(self) -> [Peak; 4] {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("64kB"), Ok(64 << 10));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("123"), Ok(123));
        assert!(parse_size("2X").is_err());
        assert!(parse_size("G").is_err());
    }
}

//! The ingest loop of a case: one pass over the files feeds the event index, the rules and the
//! store, with live progress counters and commits that make an interrupted ingest resumable.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Case;
use super::read_as::ReadAs;
use crate::config::Config;
use crate::detect::{Correlator, Hit, RuleSet};
use crate::event::{Event, Label};
use crate::fsutil::sha256_file;
use crate::index::{EventWriter, IndexBackend, WriteMode};
use crate::ingest::{self, FileLabels, FileReport, IngestOptions, Problem};
use crate::store::{FileState, IngestRun, Store};

/// Events indexed between two commits: bounds memory and the work an interruption loses.
const COMMIT_EVERY: u64 = 250_000;

/// Rule hits held in memory during an ingest before they go to the store.
const HITS_IN_MEMORY: usize = 20_000;
/// Events matched against the rules at once (on every core): enough that a batch's work
/// outweighs handing it out, few enough that they are held for milliseconds.
const MATCH_BATCH: usize = 2_048;

/// Indexing threads and memory budget of the ingest writer (the bench's index-only figure uses
/// the same).
pub const INGEST_WRITER_THREADS: usize = 2;
pub const INGEST_WRITER_MEMORY: usize = 256 << 20;

/// Live counters of a running ingest, read by progress bars and the workbench on each tick.
#[derive(Default)]
pub struct IngestProgress {
    pub files_total: AtomicU64,
    pub files_done: AtomicU64,
    pub bytes_total: AtomicU64,
    pub bytes_done: AtomicU64,
    pub events: AtomicU64,
    pub cancel: AtomicBool,
    /// An [`IngestStage`] as a number.
    stage: AtomicU8,
}

/// What an ingest is doing once its files are read: the memory benchmark reports a peak per
/// stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestStage {
    Reading,
    /// The last index commit and its merges.
    Indexing,
    Sessions,
    Verdicts,
}

impl IngestStage {
    pub const ALL: [IngestStage; 4] = [
        IngestStage::Reading,
        IngestStage::Indexing,
        IngestStage::Sessions,
        IngestStage::Verdicts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            IngestStage::Reading => "reading",
            IngestStage::Indexing => "index commit",
            IngestStage::Sessions => "sessions",
            IngestStage::Verdicts => "verdicts",
        }
    }
}

impl IngestProgress {
    pub fn stage(&self) -> IngestStage {
        let n = usize::from(self.stage.load(Ordering::Relaxed));
        IngestStage::ALL
            .get(n)
            .copied()
            .unwrap_or(IngestStage::Reading)
    }

    pub(crate) fn set_stage(&self, stage: IngestStage) {
        self.stage.store(stage as u8, Ordering::Relaxed);
    }
}

/// Shared handle type for workers.
pub type SharedProgress = Arc<IngestProgress>;

/// What `lookout ingest --json` prints.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    pub files: u64,
    pub events: u64,
    pub skipped: BTreeMap<String, u64>,
    pub formats: BTreeMap<String, u64>,
    pub seconds: f64,
    /// Files already ingested completely (same content), not read again.
    #[serde(skip)]
    pub unchanged_files: u64,
    /// Events already in the case (e.g. the old part of a log that has grown), not added again.
    #[serde(skip)]
    pub duplicates: u64,
    #[serde(skip)]
    pub detections: u64,
    /// Files the case held already (another analyst's ingest) read into this machine's
    /// index, and their events: the case did not change.
    #[serde(skip)]
    pub indexed_here_files: u64,
    #[serde(skip)]
    pub indexed_here_events: u64,
    #[serde(skip)]
    pub problems: Vec<Problem>,
}

impl IngestSummary {
    /// A path not read at all (not found, unreadable): counted under its reason and kept.
    fn skip(&mut self, p: Problem) {
        *self
            .skipped
            .entry(p.reason.as_str().to_string())
            .or_default() += 1;
        self.problems.push(p);
    }

    /// Counts a file of the case read into this machine's index only.
    fn indexed_here(&mut self, t: &FileTally) {
        self.indexed_here_files += 1;
        self.indexed_here_events += t.events;
        self.duplicates += t.duplicates;
    }

    /// Adds one file's counts.
    fn add(&mut self, t: &FileTally) {
        self.events += t.events;
        self.duplicates += t.duplicates;
        for (k, v) in &t.formats {
            *self.formats.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &t.skipped {
            *self.skipped.entry(k.clone()).or_default() += v;
        }
    }
}

/// One file's counts: what its ingest run records in the store, and what the summary adds up.
#[derive(Debug, Default, PartialEq)]
struct FileTally {
    events: u64,
    /// Events already in the case (same id), not added again.
    duplicates: u64,
    skipped: BTreeMap<String, u64>,
    formats: BTreeMap<String, u64>,
    duration_ms: u64,
}

impl FileTally {
    /// One event added, of `format`.
    fn count(&mut self, format: &str) {
        self.events += 1;
        // get_mut first: the key is allocated once per format, not once per event.
        match self.formats.get_mut(format) {
            Some(n) => *n += 1,
            None => {
                self.formats.insert(format.to_string(), 1);
            }
        }
    }

    /// Takes the readers' skip counts; returns their problems.
    fn take_reports(&mut self, reports: Vec<FileReport>) -> Vec<Problem> {
        let mut problems = Vec::new();
        for r in reports {
            for (reason, n) in r.skipped {
                *self.skipped.entry(reason).or_default() += n;
            }
            problems.extend(r.problems);
        }
        problems
    }
}

/// The options to read `file` with: `opts`, with the file's own label when it has one.
fn file_options<'a>(
    opts: &'a IngestOptions,
    labels: &FileLabels,
    file: &Path,
) -> Cow<'a, IngestOptions> {
    match labels.get(file) {
        Some(label) => Cow::Owned(IngestOptions {
            label: Some(label.clone()),
            ..opts.clone()
        }),
        None => Cow::Borrowed(opts),
    }
}

/// What the analyst knows that the record does not say: the default host, and the record's
/// own label in a file labelled record by record (which replaces the file's label, if any).
fn attach_labels(
    ev: &mut Event,
    default_host: &Option<String>,
    records: Option<&HashMap<u64, Label>>,
) {
    if ev.host.is_none() {
        ev.host.clone_from(default_host);
    }
    if let Some(labels) = records {
        ev.label = labels.get(&ev.record).cloned();
    }
}

/// A file cut short earlier is read again over its own events: replace them. Otherwise events
/// already in the case (a grown log's old part) are skipped.
fn write_mode(state: FileState) -> WriteMode {
    if state == FileState::Interrupted {
        WriteMode::Replace
    } else {
        WriteMode::SkipExisting
    }
}

/// One file of an ingest, hashed, with how to read it.
struct FileToRead<'a> {
    path: &'a Path,
    size: u64,
    digest: String,
    opts: Cow<'a, IngestOptions>,
    labels: &'a FileLabels,
}

/// What the files of one ingest share while they are read.
struct Sinks<'a> {
    writer: EventWriter,
    /// Rule hits not stored yet.
    hits: Vec<Hit>,
    rules: &'a RuleSet,
    /// The correlation rules' view of this ingest's events (run once all are read).
    correlator: Correlator<'a>,
    progress: &'a IngestProgress,
}

impl Case {
    /// Ingests files and folders: parse, run rules, upsert into the index, record runs, then
    /// recompute sessions. Files already ingested completely are skipped; a half-ingested file
    /// (interrupted run) is simply read again, and upserts keep its events unique.
    pub fn ingest(
        &mut self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        file_labels: &FileLabels,
        rules: &RuleSet,
        config: &Config,
        progress: &IngestProgress,
    ) -> Result<IngestSummary> {
        let started = Instant::now();
        let (files, problems) = ingest::expand_paths(paths);
        let mut summary = IngestSummary::default();
        for p in problems {
            summary.skip(p);
        }
        progress
            .files_total
            .store(files.len() as u64, Ordering::Relaxed);
        let sizes: Vec<u64> = files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .collect();
        progress
            .bytes_total
            .store(sizes.iter().sum(), Ordering::Relaxed);

        let mut sinks = Sinks {
            writer: self
                .index
                .writer(INGEST_WRITER_THREADS, INGEST_WRITER_MEMORY)?,
            hits: Vec::new(),
            rules,
            correlator: rules.correlator(),
            progress,
        };
        let mut pending_runs: Vec<(i64, String, FileTally)> = Vec::new();
        for (file, size) in files.iter().zip(sizes) {
            if progress.cancel.load(Ordering::Relaxed) {
                break;
            }
            summary.files += 1;
            let digest = match sha256_file(file) {
                Ok(d) => d,
                Err(e) => {
                    summary.skip(Problem::unreadable(file, &e));
                    progress.files_done.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            let file = FileToRead {
                path: file,
                size,
                digest,
                opts: file_options(opts, file_labels, file),
                labels: file_labels,
            };
            self.ingest_file(&mut sinks, &mut pending_runs, &mut summary, file)?;
        }
        // Files of the case that another analyst ingested (team mode: their runs are in the
        // shared store, their events in their own index) and that this machine can read at the
        // path they were read from: read here too, as they were read there.
        if !progress.cancel.load(Ordering::Relaxed) {
            for (path, digest, read_as) in self.files_to_catch_up()? {
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                progress.files_total.fetch_add(1, Ordering::Relaxed);
                progress.bytes_total.fetch_add(size, Ordering::Relaxed);
                let (opts, labels) = read_as.options(&path, opts);
                let file = FileToRead {
                    path: &path,
                    size,
                    digest,
                    opts: Cow::Owned(opts),
                    labels: &labels,
                };
                self.ingest_file(&mut sinks, &mut pending_runs, &mut summary, file)?;
            }
        }
        progress.set_stage(IngestStage::Indexing);
        // Correlations over this ingest's events, stored as hits on each event they name.
        let correlator = std::mem::replace(&mut sinks.correlator, rules.correlator());
        sinks
            .hits
            .extend(correlator.finish().iter().flat_map(Hit::per_event));
        self.commit(&mut sinks, &mut pending_runs)?;
        // Events the index found it held only when they were written (OpenSearch) were
        // counted as added: they move to the duplicates.
        let stored_already = sinks.writer.finish()?;
        summary.events = summary.events.saturating_sub(stored_already);
        summary.duplicates += stored_already;
        release_freed_memory();
        self.index.reload()?;
        summary.detections = self.store.hit_count(&self.name)?;
        let missing = self.files_not_held()?;
        if missing.is_empty() {
            self.refresh_sessions_with(config, Some(progress))?;
        } else {
            // Sessions built from part of the case would replace the whole case's in the store.
            eprintln!(
                "lookout: sessions not rebuilt: this machine's index lacks {} file(s) of case `{}` \
                 that another analyst ingested and that cannot be read here ({}); ingest them \
                 here too (the analyst whose index holds every file rebuilds the sessions)",
                missing.len(),
                self.name,
                super::some_files(&missing)
            );
        }
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Files the case holds (complete ingest runs in the store) that this index does not, by
    /// the path they were last read from.
    pub(crate) fn files_not_held(&self) -> Result<Vec<String>> {
        files_not_held(&self.store, self.index.as_ref(), &self.name)
    }

    /// Files of the case this index lacks that are readable here with the same content, with
    /// how they were read.
    fn files_to_catch_up(&self) -> Result<Vec<(PathBuf, String, ReadAs)>> {
        let mut out = Vec::new();
        for (digest, run) in runs_not_held(&self.store, self.index.as_ref(), &self.name)? {
            let path = PathBuf::from(&run.file);
            // Another machine's path may hold other content here, or nothing.
            if path.is_file() && sha256_file(&path).is_ok_and(|d| d == digest) {
                out.push((path, digest, ReadAs::parse(&run.read_as)));
            }
        }
        Ok(out)
    }

    /// Reads one file into the index and the rules and records its run; a file the case held
    /// already (another analyst's) only fills this machine's index.
    fn ingest_file(
        &mut self,
        sinks: &mut Sinks,
        pending_runs: &mut Vec<(i64, String, FileTally)>,
        summary: &mut IngestSummary,
        file: FileToRead,
    ) -> Result<()> {
        let progress = sinks.progress;
        let state = self.store.file_state(&self.name, &file.digest)?;
        // In the case, and in this index too (team mode: another analyst's ingest puts a
        // file in the shared store, not in this machine's index; it is read here, adding
        // nothing to the case).
        if state == FileState::Done && self.index.holds_file(&file.digest)? {
            summary.unchanged_files += 1;
            progress.files_done.fetch_add(1, Ordering::Relaxed);
            progress.bytes_done.fetch_add(file.size, Ordering::Relaxed);
            return Ok(());
        }
        let file_started = Instant::now();
        let read_as = ReadAs::of(file.path, &file.opts, file.labels).to_json();
        let run = self.store.start_run(
            &self.name,
            &file.path.display().to_string(),
            file.size,
            &file.digest,
            &read_as,
        )?;
        let (mut tally, problems) =
            self.read_file(sinks, file.path, &file.opts, file.labels, write_mode(state))?;
        summary.problems.extend(problems);
        tally.duration_ms = file_started.elapsed().as_millis() as u64;
        if state == FileState::Done {
            summary.indexed_here(&tally);
        } else {
            summary.add(&tally);
        }
        pending_runs.push((run, file.digest, tally));
        progress.files_done.fetch_add(1, Ordering::Relaxed);
        progress.bytes_done.fetch_add(file.size, Ordering::Relaxed);
        if sinks.writer.pending() >= COMMIT_EVERY {
            self.commit(sinks, pending_runs)?;
        }
        Ok(())
    }

    /// Reads one file into the index and the rules; returns its counts and the readers'
    /// problems. The first index or store error stops the file and is returned.
    fn read_file(
        &mut self,
        sinks: &mut Sinks,
        file: &Path,
        opts: &IngestOptions,
        file_labels: &FileLabels,
        mode: WriteMode,
    ) -> Result<(FileTally, Vec<Problem>)> {
        let mut tally = FileTally::default();
        let record_labels = file_labels.records(file);
        let (store, name) = (&mut self.store, self.name.as_str());
        let mut error = None;
        let mut batch: Vec<Event> = Vec::with_capacity(MATCH_BATCH);
        let reports = ingest::read_file(file, opts, &mut |mut ev: Event| {
            if error.is_some() {
                return;
            }
            attach_labels(&mut ev, &file_labels.default_host, record_labels);
            match sinks.writer.admit(&ev, mode) {
                Ok(true) => batch.push(ev),
                Ok(false) => tally.duplicates += 1,
                Err(e) => error = Some(anyhow::Error::from(e).context("indexing")),
            }
            if batch.len() >= MATCH_BATCH {
                error = flush(sinks, store, name, &mut batch, &mut tally).err();
            }
        });
        if error.is_none() {
            error = flush(sinks, store, name, &mut batch, &mut tally).err();
        }
        if let Some(e) = error {
            return Err(e).context(format!("ingesting {}", file.display()));
        }
        let problems = tally.take_reports(reports);
        Ok((tally, problems))
    }

    /// Commits the index, then marks the covered runs complete and stores their hits: a run is
    /// complete only once its events are durable.
    fn commit(
        &mut self,
        sinks: &mut Sinks,
        runs: &mut Vec<(i64, String, FileTally)>,
    ) -> Result<()> {
        sinks.writer.commit()?;
        // Before the runs are marked done: a file the store calls done is then always in the
        // index's ledger (a crash in between leaves the run unfinished, read again next time).
        let digests: Vec<String> = runs.iter().map(|(_, d, _)| d.clone()).collect();
        self.index.files_committed(&digests)?;
        self.store.add_hits(&self.name, &sinks.hits)?;
        sinks.hits.clear();
        for (id, _, t) in runs.drain(..) {
            self.store
                .finish_run(id, t.events, &t.skipped, &t.formats, t.duration_ms)?;
        }
        Ok(())
    }
}

/// The latest complete run of each file `case` holds (as `store` says now) and `index` does
/// not, by content.
fn runs_not_held(
    store: &Store,
    index: &dyn IndexBackend,
    case: &str,
) -> Result<BTreeMap<String, IngestRun>> {
    let mut missing = BTreeMap::new();
    for run in store.runs(case)? {
        if run.complete && !index.holds_file(&run.sha256)? {
            missing.insert(run.sha256.clone(), run);
        }
    }
    Ok(missing)
}

/// Files `case` holds and `index` does not, by the path they were last read from. `store` may
/// be another connection than the case's (a session rebuild holds the case's in a transaction).
pub(super) fn files_not_held(
    store: &Store,
    index: &dyn IndexBackend,
    case: &str,
) -> Result<Vec<String>> {
    Ok(runs_not_held(store, index, case)?
        .into_values()
        .map(|r| r.file)
        .collect())
}

/// Returns memory freed by the index writer to the system. glibc keeps freed blocks of its
/// per-thread arenas, so building sessions right after a large ingest would otherwise stack
/// on top of the writer's high-water mark.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's allocator; it has no
    // preconditions and is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;

/// Matches a batch of admitted events on every core (hits and correlations in event order),
/// then indexes them; stores the hits when many are held, and commits a large file as it goes.
fn flush(
    sinks: &mut Sinks,
    store: &mut Store,
    name: &str,
    batch: &mut Vec<Event>,
    tally: &mut FileTally,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    sinks
        .rules
        .matches_batch(batch, &mut sinks.hits, Some(&mut sinks.correlator));
    // Rule-heavy files would otherwise hold every hit in memory until the file ends. Hits
    // stored before the index commits are harmless: a file not finished is read again, and
    // storing a hit twice keeps one row.
    if sinks.hits.len() >= HITS_IN_MEMORY {
        store
            .add_hits(name, &sinks.hits)
            .context("storing rule hits")?;
        sinks.hits.clear();
    }
    for ev in batch.drain(..) {
        tally.count(ev.format.as_str());
        sinks.writer.add(ev).context("indexing")?;
        sinks.progress.events.fetch_add(1, Ordering::Relaxed);
    }
    // A large file commits as it goes, like a run of small ones: the writer's set of keys
    // added since its last commit held every key of a 2 GB file. The file's run stays
    // incomplete until its end, so an interruption reads it again (Replace). Only here,
    // between batches: every admitted event has been added before a commit.
    if sinks.writer.pending() >= COMMIT_EVERY {
        sinks.writer.commit().context("committing the index")?;
        store
            .add_hits(name, &sinks.hits)
            .context("storing rule hits")?;
        sinks.hits.clear();
    }
    Ok(())
}

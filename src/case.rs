//! A case: one investigation under the data dir, tying the event index, the store, rule
//! detections and sessions together. The CLI and the workbench both work through it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::detect::{Hit, RuleSet};
use crate::event::Event;
use crate::fsutil::{sha256_file, validate_name};
use crate::index::{EventIndex, Order, SearchHits, WriteMode};
use crate::ingest::{self, IngestOptions, Problem};
use crate::sessions::{self, GroupOptions, Session, Timeline};
use crate::store::{FileState, Store};

/// Events indexed between two commits: bounds memory and the work an interruption loses.
const COMMIT_EVERY: u64 = 250_000;

/// Rule hits held in memory during an ingest before they go to the store.
const HITS_IN_MEMORY: usize = 20_000;

/// Indexing threads and memory budget of the ingest writer (the bench's index-only figure uses
/// the same).
pub const INGEST_WRITER_THREADS: usize = 2;
pub const INGEST_WRITER_MEMORY: usize = 256 << 20;

pub struct Case {
    pub name: String,
    pub data_dir: PathBuf,
    pub index: EventIndex,
    pub store: Store,
}

/// Live counters of a running ingest, read by progress bars and the workbench on each tick.
#[derive(Default)]
pub struct IngestProgress {
    pub files_total: AtomicU64,
    pub files_done: AtomicU64,
    pub bytes_total: AtomicU64,
    pub bytes_done: AtomicU64,
    pub events: AtomicU64,
    pub cancel: AtomicBool,
}

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
    #[serde(skip)]
    pub problems: Vec<Problem>,
}

/// A case as `lookout cases` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub name: String,
    pub events: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub formats: BTreeMap<String, u64>,
    pub hosts: u64,
    pub sessions: u64,
    pub files: u64,
}

pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("lookout.db")
}

pub fn index_dir(data_dir: &Path, case: &str) -> PathBuf {
    data_dir.join("cases").join(case).join("index")
}

impl Case {
    pub fn open(data_dir: &Path, name: &str) -> Result<Case> {
        validate_name("case", name)?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data dir {}", data_dir.display()))?;
        let store = Store::open(&store_path(data_dir))?;
        store.ensure_case(name)?;
        let index = EventIndex::open(&index_dir(data_dir, name))?;
        Ok(Case {
            name: name.to_string(),
            data_dir: data_dir.to_path_buf(),
            index,
            store,
        })
    }

    /// Names of the cases in the data dir.
    pub fn names(data_dir: &Path) -> Result<Vec<String>> {
        if !store_path(data_dir).exists() {
            return Ok(Vec::new());
        }
        let store = Store::open(&store_path(data_dir))?;
        Ok(store.cases()?.into_iter().map(|c| c.name).collect())
    }

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
            *summary
                .skipped
                .entry(p.reason.as_str().to_string())
                .or_default() += 1;
            summary.problems.push(p);
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

        let mut writer = self
            .index
            .writer(INGEST_WRITER_THREADS, INGEST_WRITER_MEMORY)?;
        let mut pending_runs: Vec<(i64, FileTally)> = Vec::new();
        let mut hits: Vec<Hit> = Vec::new();
        for (file, size) in files.iter().zip(sizes) {
            if progress.cancel.load(Ordering::Relaxed) {
                break;
            }
            summary.files += 1;
            let digest = match sha256_file(file) {
                Ok(d) => d,
                Err(e) => {
                    *summary.skipped.entry("unreadable".into()).or_default() += 1;
                    summary.problems.push(Problem::unreadable(file, &e));
                    progress.files_done.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            let state = self.store.file_state(&self.name, &digest)?;
            if state == FileState::Done {
                summary.unchanged_files += 1;
                progress.files_done.fetch_add(1, Ordering::Relaxed);
                progress.bytes_done.fetch_add(size, Ordering::Relaxed);
                continue;
            }
            let file_started = Instant::now();
            let run =
                self.store
                    .start_run(&self.name, &file.display().to_string(), size, &digest)?;
            let mut tally = FileTally::default();
            // A file cut short earlier is read again over its own events: replace them.
            let mode = if state == FileState::Interrupted {
                WriteMode::Replace
            } else {
                WriteMode::SkipExisting
            };
            let mut write_error = None;
            let file_opts;
            let opts = match file_labels.get(file) {
                Some(label) => {
                    file_opts = IngestOptions {
                        label: Some(label.clone()),
                        ..opts.clone()
                    };
                    &file_opts
                }
                None => opts,
            };
            let record_labels = file_labels.records(file);
            let (store, name) = (&mut self.store, self.name.as_str());
            let mut store_error = None;
            let reports = ingest::read_file(file, opts, &mut |mut ev: Event| {
                if write_error.is_some() || store_error.is_some() {
                    return;
                }
                if ev.host.is_none() {
                    ev.host.clone_from(&file_labels.default_host);
                }
                if let Some(labels) = record_labels {
                    ev.label = labels.get(&ev.record).cloned();
                }
                match writer.admit(&ev, mode) {
                    Ok(true) => {}
                    Ok(false) => {
                        tally.duplicates += 1;
                        return;
                    }
                    Err(e) => {
                        write_error = Some(e);
                        return;
                    }
                }
                hits.extend(rules.matches(&ev));
                // Rule-heavy files would otherwise hold every hit in memory until the file
                // ends. Hits stored before the index commits are harmless: a file not
                // finished is read again, and storing a hit twice keeps one row.
                if hits.len() >= HITS_IN_MEMORY {
                    if let Err(e) = store.add_hits(name, &hits) {
                        store_error = Some(e);
                    }
                    hits.clear();
                }
                tally.events += 1;
                match tally.formats.get_mut(ev.format.as_str()) {
                    Some(n) => *n += 1,
                    None => {
                        tally.formats.insert(ev.format.as_str().to_string(), 1);
                    }
                }
                if let Err(e) = writer.add(ev) {
                    write_error = Some(e);
                    return;
                }
                progress.events.fetch_add(1, Ordering::Relaxed);
            });
            if let Some(e) = write_error {
                return Err(e).context(format!("indexing {}", file.display()));
            }
            if let Some(e) = store_error {
                return Err(e).context(format!("storing rule hits of {}", file.display()));
            }
            for r in reports {
                for (reason, n) in r.skipped {
                    *tally.skipped.entry(reason).or_default() += n;
                }
                summary.problems.extend(r.problems);
            }
            tally.duration_ms = file_started.elapsed().as_millis() as u64;
            summary.events += tally.events;
            summary.duplicates += tally.duplicates;
            for (k, v) in &tally.formats {
                *summary.formats.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &tally.skipped {
                *summary.skipped.entry(k.clone()).or_default() += v;
            }
            pending_runs.push((run, tally));
            progress.files_done.fetch_add(1, Ordering::Relaxed);
            progress.bytes_done.fetch_add(size, Ordering::Relaxed);
            if writer.pending() >= COMMIT_EVERY {
                self.commit(&mut writer, &mut pending_runs, &mut hits)?;
            }
        }
        self.commit(&mut writer, &mut pending_runs, &mut hits)?;
        writer.finish()?;
        release_freed_memory();
        self.index.reload()?;
        summary.detections = self.store.hit_count(&self.name)?;
        self.refresh_sessions(config)?;
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Commits the index, then marks the covered runs complete and stores their hits: a run is
    /// complete only once its events are durable.
    fn commit(
        &mut self,
        writer: &mut crate::index::EventWriter,
        runs: &mut Vec<(i64, FileTally)>,
        hits: &mut Vec<Hit>,
    ) -> Result<()> {
        writer.commit()?;
        self.store.add_hits(&self.name, hits)?;
        hits.clear();
        for (id, t) in runs.drain(..) {
            self.store
                .finish_run(id, t.events, &t.skipped, &t.formats, t.duration_ms)?;
        }
        Ok(())
    }

    /// Recomputes and stores the case's sessions (after an ingest or a rule re-run).
    pub fn refresh_sessions(&mut self, config: &Config) -> Result<usize> {
        let meta = self.index.scan_meta()?;
        let hits = self.store.hits(&self.name)?;
        let mut opts = GroupOptions::with_gap_minutes(config.sessions.gap_minutes);
        opts.host_ips = config.sessions.host_ips.clone().into_iter().collect();
        let sessions = sessions::sessionize(&meta, &hits, &opts);
        self.store.replace_sessions(&self.name, &sessions)?;
        Ok(sessions.len())
    }

    /// Re-runs `rules` over every stored event, replacing the stored hits, then sessions.
    pub fn redetect(&mut self, rules: &RuleSet, config: &Config) -> Result<Vec<Hit>> {
        let mut hits = Vec::new();
        self.index
            .for_each_event(|ev| hits.extend(rules.matches(&ev)))?;
        self.store.clear_hits(&self.name)?;
        self.store.add_hits(&self.name, &hits)?;
        self.refresh_sessions(config)?;
        Ok(hits)
    }

    pub fn sessions(&self) -> Result<Vec<Session>> {
        Ok(self.store.sessions(&self.name)?)
    }

    /// A session by id or unique id prefix.
    pub fn session(&self, id: &str) -> Result<Session> {
        self.store.session(&self.name, id)?.with_context(|| {
            format!(
                "no session `{id}` in case `{}` (or the prefix is ambiguous)",
                self.name
            )
        })
    }

    /// The session's events in time order.
    pub fn session_events(&self, session: &Session) -> Result<Vec<Event>> {
        let keys = self.store.session_members(&self.name, &session.id)?;
        Ok(self.index.events_by_keys(&keys)?)
    }

    /// Rule hits on the session's events.
    pub fn session_hits(&self, events: &[Event]) -> Result<Vec<Hit>> {
        let ids: std::collections::BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
        Ok(self.store.hits_on(&self.name, ids)?)
    }

    /// The condensed (or full) timeline of a session.
    pub fn timeline(
        &self,
        session: &Session,
        budget_tokens: usize,
        full: bool,
    ) -> Result<(Timeline, Vec<Event>)> {
        let events = self.session_events(session)?;
        let hits = self.session_hits(&events)?;
        let t = if full {
            sessions::timeline::full(&events, &hits)
        } else {
            sessions::timeline::condense(&events, &hits, budget_tokens)
        };
        Ok((t, events))
    }

    pub fn search(&self, query: &str, limit: usize, order: Order) -> Result<SearchHits> {
        Ok(self.index.search(query, limit, order)?)
    }

    pub fn summary(&self) -> Result<CaseSummary> {
        let meta = self.index.scan_meta()?;
        let mut formats: BTreeMap<String, u64> = BTreeMap::new();
        let mut hosts = std::collections::HashSet::new();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        for m in &meta {
            if let Some(f) = &m.format {
                *formats.entry(f.to_string()).or_default() += 1;
            }
            if let Some(h) = &m.host {
                hosts.insert(h.clone());
            }
            if let Some(t) = m.ts {
                first = first.min(t);
                last = last.max(t);
            }
        }
        let time = |t: i64| {
            (t != i64::MAX && t != i64::MIN)
                .then(|| Utc.timestamp_micros(t).single())
                .flatten()
        };
        Ok(CaseSummary {
            name: self.name.clone(),
            events: meta.len() as u64,
            first: time(first),
            last: time(last),
            formats,
            hosts: hosts.len() as u64,
            sessions: self.store.sessions(&self.name)?.len() as u64,
            files: self
                .store
                .runs(&self.name)?
                .iter()
                .filter(|r| r.complete)
                .count() as u64,
        })
    }
}

/// What the analyst knows about the input files: ground truth per file (labelled corpora,
/// canonical path -> label) and the host of records that name none.
#[derive(Debug, Clone, Default)]
pub struct FileLabels {
    by_path: std::collections::HashMap<PathBuf, crate::event::Label>,
    /// Files labelled record by record (record number -> label); their records without an
    /// entry stay unlabelled whatever the file's own label.
    by_record:
        std::collections::HashMap<PathBuf, std::collections::HashMap<u64, crate::event::Label>>,
    /// Host for records that name none (e.g. a web access log): `ingest --host`.
    pub default_host: Option<String>,
}

impl FileLabels {
    /// Files are known by their canonical path, however the command line named them.
    fn key(path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }

    pub fn insert(&mut self, path: &Path, label: crate::event::Label) {
        self.by_path.insert(Self::key(path), label);
    }

    pub fn insert_records(
        &mut self,
        path: &Path,
        labels: std::collections::HashMap<u64, crate::event::Label>,
    ) {
        self.by_record.insert(Self::key(path), labels);
    }

    /// The per-record labels of `path`, when it has them.
    pub fn records(
        &self,
        path: &Path,
    ) -> Option<&std::collections::HashMap<u64, crate::event::Label>> {
        if self.by_record.is_empty() {
            return None;
        }
        self.by_record.get(&Self::key(path))
    }

    pub fn get(&self, path: &Path) -> Option<&crate::event::Label> {
        if self.by_path.is_empty() {
            return None;
        }
        self.by_path.get(&Self::key(path))
    }

    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }
}

#[derive(Default)]
struct FileTally {
    events: u64,
    /// Events already in the case (same id), not added again.
    duplicates: u64,
    skipped: BTreeMap<String, u64>,
    formats: BTreeMap<String, u64>,
    duration_ms: u64,
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

/// Shared handle type for workers.
pub type SharedProgress = Arc<IngestProgress>;

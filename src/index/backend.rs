//! The index backend seam: what the rest of lookout needs from a case's event index (adding
//! events in batches, committing, searching with the query language, scans for sessions,
//! fetches by key, histograms), with two implementations: the per-case tantivy index (one
//! analyst, the default) and OpenSearch (a team, cases larger than one machine).

use crate::event::Event;

use super::{EventMeta, IndexError, Order, Result, SearchHits};

/// How an event meets the events already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Delete any stored event with the same id first: for a file whose earlier ingest was
    /// interrupted, where many of its events are already there.
    Replace,
    /// Add the event unless one with the same id is stored or was added in this run: for a
    /// file never ingested before, which may still overlap others (a log that has grown since
    /// it was last ingested). Cheaper than `Replace`, whose queued deletes dominate memory.
    SkipExisting,
}

/// The events of one actor, for [`IndexBackend::scan_actor`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorScan {
    /// The host, matched as the `host:` query term is (case-insensitive).
    pub host: String,
    /// The user, likewise; `None` = every user of the host.
    pub user: Option<String>,
    /// Microseconds since the epoch, inclusive; `None` = open.
    pub from_us: Option<i64>,
    /// Microseconds since the epoch, exclusive; `None` = open.
    pub to_us: Option<i64>,
}

/// One bucket of [`IndexBackend::histogram`]: events with a timestamp in
/// `[start_us, start_us + interval)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub start_us: i64,
    pub count: u64,
}

/// A case's event index. Readers are cheap and many; writers are taken per ingest.
pub trait IndexBackend: Send + Sync {
    /// Where the index lives, for messages (`tantivy /path`, `opensearch http://…/index`).
    fn location(&self) -> String;

    /// A writer for an ingest. `threads` and `memory_bytes` size tantivy's writer; a remote
    /// backend takes them as hints for its batches.
    fn writer(&self, threads: usize, memory_bytes: usize) -> Result<EventWriter>;

    /// Sees the latest commit (after an ingest in this or another process).
    fn reload(&self) -> Result<()>;

    /// The number of events stored.
    fn count(&self) -> Result<u64>;

    /// [`IndexBackend::count`] for displays, where no number is better than an error: 0 when
    /// the index cannot answer (the local index always can).
    fn num_events(&self) -> u64 {
        self.count().unwrap_or_default()
    }

    /// The events matching `query` (lookout's query language: tantivy's syntax over the
    /// fields of `index::schema`), the newest or oldest first, and how many match in all.
    fn search(&self, query: &str, limit: usize, order: Order) -> Result<SearchHits>;

    /// The events whose keys are given (a session's members), in time order.
    fn events_by_keys(&self, keys: &[u64]) -> Result<Vec<Event>>;

    /// One event by its full id.
    fn event(&self, id: &str) -> Result<Option<Event>>;

    /// Calls `f` for every stored event (any order). Used to re-run rules over a case; callers
    /// write `index.for_each_event(|ev| …)` (below).
    fn visit_events(&self, f: &mut dyn FnMut(Event)) -> Result<()>;

    /// Every event's `EventMeta`, in no particular order, all held: for small cases and tests.
    fn scan_meta(&self) -> Result<Vec<EventMeta>>;

    /// Every event's `EventMeta` in chunks of at most `chunk` events, in no particular order,
    /// until `f` fails. Callers write `index.for_each_meta(…)` (below).
    fn visit_meta(
        &self,
        chunk: usize,
        f: &mut dyn FnMut(Vec<EventMeta>) -> Result<()>,
    ) -> Result<()>;

    /// Every event's `EventMeta` in (time, key) order ([`EventMeta::order`]: undated events
    /// first), in windows of about `window` events, every event of a window before every
    /// event of the next, until `f` fails: what sessionization reads, a window at a time.
    /// Callers write `index.for_each_meta_by_time(…)` (below).
    fn visit_meta_by_time(
        &self,
        window: usize,
        f: &mut dyn FnMut(Vec<EventMeta>) -> Result<()>,
    ) -> Result<()>;

    /// Calls `f` with the events of one host (and user) in time order (undated events are not
    /// part of a timeline), until `f` returns false.
    fn scan_actor(&self, actor: &ActorScan, f: &mut dyn FnMut(Event) -> bool) -> Result<()>;

    /// Counts of the events matching `query` per `interval_secs` of their timestamps, oldest
    /// first, empty buckets left out.
    fn histogram(&self, query: &str, interval_secs: u32) -> Result<Vec<Bucket>>;

    /// Files of the committed index whose checksum does not match their content (damage on
    /// disk); empty when the index is sound or lives on a server that checks its own.
    fn corrupt_files(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Whether this index holds the events of the evidence file with this content. The store
    /// records what the case holds; a local index in team mode may lack files that another
    /// analyst ingested (index/ledger.rs). A shared index holds what the case holds.
    fn holds_file(&self, _sha256: &str) -> Result<bool> {
        Ok(true)
    }

    /// Records files whose events the last commit made durable (see [`IndexBackend::holds_file`]).
    fn files_committed(&self, _sha256: &[String]) -> Result<()> {
        Ok(())
    }
}

impl dyn IndexBackend {
    /// [`IndexBackend::visit_events`] with a closure taken by value.
    pub fn for_each_event(&self, mut f: impl FnMut(Event)) -> Result<()> {
        self.visit_events(&mut f)
    }

    /// [`IndexBackend::visit_meta`], the first error of `each` returned as it is.
    pub fn for_each_meta<E: From<IndexError>>(
        &self,
        chunk: usize,
        mut each: impl FnMut(Vec<EventMeta>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        with_caller_error(|stop| self.visit_meta(chunk, &mut |c| stop(each(c))))
    }

    /// [`IndexBackend::visit_meta_by_time`], the first error of `each` returned as it is.
    pub fn for_each_meta_by_time<E: From<IndexError>>(
        &self,
        window: usize,
        mut each: impl FnMut(Vec<EventMeta>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        with_caller_error(|stop| self.visit_meta_by_time(window, &mut |w| stop(each(w))))
    }
}

/// Runs a scan whose callback fails with the caller's error type: the callback's error is
/// kept aside (the scan sees [`IndexError::Stopped`] and unwinds) and returned in its place.
fn with_caller_error<E: From<IndexError>>(
    call: impl FnOnce(&mut dyn FnMut(std::result::Result<(), E>) -> Result<()>) -> Result<()>,
) -> std::result::Result<(), E> {
    let mut kept = None;
    let done = call(&mut |r| {
        r.map_err(|e| {
            kept = Some(e);
            IndexError::Stopped
        })
    });
    match kept {
        Some(e) => Err(e),
        None => done.map_err(E::from),
    }
}

/// What an [`EventWriter`] is made of, per backend.
pub trait BatchWriter: Send {
    /// Whether `ev` is to be written (see [`Mode`]). Call `add` with every admitted event.
    fn admit(&mut self, ev: &Event, mode: Mode) -> Result<bool>;
    /// Adds an admitted event (written by the next commit at the latest).
    fn add(&mut self, ev: Event) -> Result<()>;
    /// Events added since the last commit.
    fn pending(&self) -> u64;
    /// Makes everything added so far durable and visible.
    fn commit(&mut self) -> Result<()>;
    /// Commits and releases the writer; returns how many added events turned out to be stored
    /// already (a backend that learns it only when writing: OpenSearch's `create` answering 409).
    fn finish(self: Box<Self>) -> Result<u64>;
}

/// The writer of one ingest: adds each event once, by key, so that re-ingesting adds nothing.
pub struct EventWriter(Box<dyn BatchWriter>);

impl EventWriter {
    pub fn new(inner: Box<dyn BatchWriter>) -> Self {
        EventWriter(inner)
    }

    /// Whether `ev` is to be written: always for `Replace` (its stored copy goes), and for
    /// `SkipExisting` unless an event with its key is stored or was admitted in this run.
    pub fn admit(&mut self, ev: &Event, mode: Mode) -> Result<bool> {
        self.0.admit(ev, mode)
    }

    /// Indexes an admitted event. Takes it by value so that its original fields move into
    /// the document instead of being copied.
    pub fn add(&mut self, ev: Event) -> Result<()> {
        self.0.add(ev)
    }

    /// Events added since the last commit.
    pub fn pending(&self) -> u64 {
        self.0.pending()
    }

    /// Makes everything added so far durable and visible.
    pub fn commit(&mut self) -> Result<()> {
        self.0.commit()
    }

    /// Commits and releases the writer (tantivy: waits for merges and frees the lock).
    pub fn finish(self) -> Result<u64> {
        self.0.finish()
    }
}

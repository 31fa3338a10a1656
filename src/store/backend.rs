//! The store's seam: what a backend (SQLite, PostgreSQL) does, one method per operation. The
//! `Store` handle dereferences to it, so callers name no backend.

use std::collections::BTreeMap;
use std::time::Duration;

use super::copy::{Table, Value};
use super::types::{
    AssessmentKey, CaseRow, CorrectionNotice, FileState, IngestRun, Lease, ReviewItem,
};
use super::{Correction, Result};
use crate::model::{Assessment, Hit, Session};

pub trait Backend: Send {
    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    /// Where the store is, without any password.
    fn location(&self) -> String;
    /// The schema version the store is at (after the migrations run on open).
    fn schema_version(&self) -> Result<i64>;
    /// The engine's own consistency check: the problems it names, none when sound.
    fn integrity_problems(&self) -> Result<Vec<String>>;

    // Cases and ingest runs.
    fn ensure_case(&self, name: &str) -> Result<()>;
    fn cases(&self) -> Result<Vec<CaseRow>>;
    /// Whether a file with this content was ingested into the case: completely, partly (an
    /// interrupted run), or never.
    fn file_state(&self, case: &str, sha256: &str) -> Result<FileState>;
    /// Records the start of a file's ingest and how it is read (`read_as`: JSON, see
    /// `case::ReadAs`); returns the run id.
    fn start_run(
        &self,
        case: &str,
        file: &str,
        size: u64,
        sha256: &str,
        read_as: &str,
    ) -> Result<i64>;
    /// Marks a run complete with its counts (called after the index commit).
    fn finish_run(
        &self,
        id: i64,
        events: u64,
        skipped: &BTreeMap<String, u64>,
        formats: &BTreeMap<String, u64>,
        duration_ms: u64,
    ) -> Result<()>;
    fn runs(&self, case: &str) -> Result<Vec<IngestRun>>;
    /// Removes a case and everything stored for it (its assessments by session id).
    fn delete_case(&mut self, case: &str) -> Result<()>;

    // Sessions. A large case has millions: they are written and read one at a time (the
    // `Store` handle adds the whole-list forms and typed errors on top, in `store::sessions`).
    /// Replaces the case's sessions with those `fill` puts into the sink (called once), in one
    /// transaction, so readers see either the old or the new set. An error of `fill` rolls the
    /// replacement back and is returned.
    fn write_sessions(
        &mut self,
        case: &str,
        fill: &mut dyn FnMut(&mut dyn SessionSink) -> Result<()>,
    ) -> Result<()>;
    /// Each session of a case in start order, read one at a time; the first error of `each`
    /// stops the scan and is returned. `each` must not use this same connection (PostgreSQL's
    /// is busy with the scan: it answers [`super::StoreError::Busy`]); open another `Store`.
    fn scan_sessions(&self, case: &str, each: &mut dyn FnMut(Session) -> Result<()>) -> Result<()>;
    /// One session by id, or by a unique id prefix.
    fn session(&self, case: &str, id: &str) -> Result<Option<Session>>;
    /// The member event keys of a session.
    fn session_members(&self, case: &str, id: &str) -> Result<Vec<u64>>;

    // Rule hits.
    /// Adds hits (idempotent: the same rule on the same event is stored once).
    fn add_hits(&mut self, case: &str, hits: &[Hit]) -> Result<()>;
    /// Replaces every stored hit of the case in one transaction: a process killed half-way
    /// leaves the old hits, never none.
    fn replace_hits(&mut self, case: &str, hits: &[Hit]) -> Result<()>;
    fn clear_hits(&mut self, case: &str) -> Result<()>;
    fn hit_count(&self, case: &str) -> Result<u64>;
    /// The hits on these events (a session's), through the primary key.
    fn hits_on_ids(&self, case: &str, event_ids: &[&str]) -> Result<Vec<Hit>>;
    /// The hits on the events with these keys (an event id's low 64 bits), through an index.
    fn hits_on_keys(&self, case: &str, keys: &[u64]) -> Result<Vec<Hit>>;
    /// Every hit of the case, in event id order.
    fn hits(&self, case: &str) -> Result<Vec<Hit>>;

    // Corrections.
    /// Appends a correction; returns its id once it is durable, and tells every watcher.
    fn add_correction(&self, c: &Correction) -> Result<i64>;
    /// Every correction of a case (all cases when `case` is None), oldest first.
    fn corrections(&self, case: Option<&str>) -> Result<Vec<Correction>>;
    /// A watch on corrections saved from now on, by this process or any other.
    fn watch_corrections(&self) -> Result<Box<dyn CorrectionWatch>>;

    // The assessment cache.
    fn cached_assessment(&self, key: &AssessmentKey) -> Result<Option<Assessment>>;
    /// Stores (or replaces) an assessment with the model's raw output.
    fn put_assessment(&self, key: &AssessmentKey, a: &Assessment, raw_output: &str) -> Result<()>;
    /// The most recent assessment of a session, whatever model or prompt made it.
    fn latest_assessment(&self, session_id: &str) -> Result<Option<Assessment>>;
    fn assessment_raw_output(&self, key: &AssessmentKey) -> Result<Option<String>>;

    // Batches (see `Store::batch`): the single-statement writes between a begin and a commit
    // share one transaction. Methods that open their own transaction must not run inside one.
    fn begin_batch(&self) -> Result<()>;
    fn commit_batch(&self) -> Result<()>;
    fn rollback_batch(&self) -> Result<()>;

    // The review queue.
    /// Queues sessions (id, priority: lower first) for review; those already queued keep
    /// their state. Returns how many were new.
    fn enqueue_reviews(&self, case: &str, items: &[(String, i64)]) -> Result<usize>;
    /// Hands the most pressing unreviewed session that nobody holds to `holder` for `ttl`;
    /// None when there is none. Two callers never get the same session while a lease runs.
    fn lease_review(&self, case: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>>;
    /// Extends a lease still held by its holder; false when it was lost (expired and taken).
    fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool>;
    /// Marks a held session reviewed; false when `holder` does not hold it.
    fn finish_review(&self, case: &str, session_id: &str, holder: &str) -> Result<bool>;
    /// Gives a held session back to the queue unreviewed.
    fn release_lease(&self, case: &str, session_id: &str, holder: &str) -> Result<bool>;
    /// The queue of a case, most pressing first.
    fn review_items(&self, case: &str) -> Result<Vec<ReviewItem>>;

    // Whole-table access for `store copy`.
    /// A case's rows of a table, ordered by the table's key.
    fn read_case_rows(&self, table: &Table, case: &str) -> Result<Vec<Vec<Value>>>;
    /// Inserts the tables' rows in one transaction, ids included unless one of them is taken
    /// here (then this store assigns new ones: true for that table). Assessments already
    /// cached here (same key, from another case) are kept.
    fn write_rows(&mut self, batches: &[(&Table, &[Vec<Value>])]) -> Result<Vec<bool>>;
}

/// Where [`Backend::write_sessions`] takes the sessions as they are made.
pub trait SessionSink {
    /// Stores one session with its member event keys.
    fn put(&mut self, s: &Session, members: &[u64]) -> Result<()>;
    /// Adds `other` to the links of the stored session `id` (a link found after the session
    /// was put; rare, so read and rewritten one at a time).
    fn link(&mut self, id: &str, other: &str) -> Result<()>;
}

/// Correction notices as they come: LISTEN/NOTIFY on PostgreSQL, a poll of the table on
/// SQLite.
pub trait CorrectionWatch: Send {
    /// The corrections saved since the last call, waiting up to `timeout` for the first.
    fn wait(&mut self, timeout: Duration) -> Result<Vec<CorrectionNotice>>;
}

/// How long a poll-based watch sleeps between looks.
pub(super) const POLL: Duration = Duration::from_millis(100);

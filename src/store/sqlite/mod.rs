//! The SQLite backend: one file (WAL) in the data dir, for one analyst. Its schema version is
//! SQLite's `user_version`; the migrations below run on open.

mod assessments;
mod cases;
mod corrections;
mod detections;
mod reviews;
mod rows;
mod sessions;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use super::backend::{Backend, CorrectionWatch, POLL, SessionSink};
use super::copy::{Table, Value};
use super::types::{
    AssessmentKey, CaseRow, CorrectionNotice, FileState, IngestRun, Lease, ReviewItem,
};
use super::{Correction, Result, StoreError};
use crate::model::{Assessment, Hit, Session};

/// One connection to a SQLite store.
pub struct Sqlite {
    conn: Connection,
    /// Where the file is (`:memory:` for tests).
    path: String,
}

/// The schema in versions: each runs once, in order, and leaves `user_version` at its number.
/// Version 1 is the layout of every store before versions were kept (its `IF NOT EXISTS`
/// makes it a no-op there, and the 0.1 `detections` rows move on), so old files upgrade.
const MIGRATIONS: &[(i64, &[&str])] = &[
    (
        1,
        &[
            cases::SCHEMA,
            sessions::SCHEMA,
            detections::SCHEMA,
            corrections::SCHEMA,
            assessments::SCHEMA,
        ],
    ),
    (2, &[reviews::SCHEMA]),
    (3, &[detections::KEY_INDEX, sessions::START_INDEX]),
    (4, &[cases::READ_AS]),
];

/// The newest schema version this lookout writes.
pub(super) const SCHEMA_VERSION: i64 = 4;

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite> {
        let err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        let mut s = Sqlite {
            conn,
            path: path.display().to_string(),
        };
        s.migrate()?;
        Ok(s)
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> Result<Sqlite> {
        let mut s = Sqlite {
            conn: Connection::open_in_memory()?,
            path: ":memory:".into(),
        };
        s.migrate()?;
        Ok(s)
    }

    /// Runs the migrations the file has not had, each in its own immediate transaction (one
    /// process migrates; another opening at once waits on the lock, then finds it done).
    fn migrate(&mut self) -> Result<()> {
        for (version, steps) in MIGRATIONS {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let at: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if at > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    found: at,
                    known: SCHEMA_VERSION,
                });
            }
            if at < *version {
                for sql in *steps {
                    tx.execute_batch(sql)?;
                }
                if *version == 1 {
                    detections::migrate(&tx)?;
                }
                tx.pragma_update(None, "user_version", version)?;
            }
            tx.commit()?;
        }
        Ok(())
    }
}

impl Backend for Sqlite {
    fn kind(&self) -> &'static str {
        "sqlite"
    }
    fn location(&self) -> String {
        format!("sqlite://{}", self.path)
    }
    fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
    fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let rows: Vec<String> = rows.collect::<std::result::Result<_, _>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    fn ensure_case(&self, name: &str) -> Result<()> {
        Sqlite::ensure_case(self, name)
    }
    fn cases(&self) -> Result<Vec<CaseRow>> {
        Sqlite::cases(self)
    }
    fn file_state(&self, case: &str, sha256: &str) -> Result<FileState> {
        Sqlite::file_state(self, case, sha256)
    }
    fn start_run(
        &self,
        case: &str,
        file: &str,
        size: u64,
        sha256: &str,
        read_as: &str,
    ) -> Result<i64> {
        Sqlite::start_run(self, case, file, size, sha256, read_as)
    }
    fn finish_run(
        &self,
        id: i64,
        events: u64,
        skipped: &BTreeMap<String, u64>,
        formats: &BTreeMap<String, u64>,
        duration_ms: u64,
    ) -> Result<()> {
        Sqlite::finish_run(self, id, events, skipped, formats, duration_ms)
    }
    fn runs(&self, case: &str) -> Result<Vec<IngestRun>> {
        Sqlite::runs(self, case)
    }
    fn delete_case(&mut self, case: &str) -> Result<()> {
        rows::delete_case(&mut self.conn, case)
    }

    fn write_sessions(
        &mut self,
        case: &str,
        fill: &mut dyn FnMut(&mut dyn SessionSink) -> Result<()>,
    ) -> Result<()> {
        Sqlite::write_sessions(self, case, fill)
    }
    fn scan_sessions(&self, case: &str, each: &mut dyn FnMut(Session) -> Result<()>) -> Result<()> {
        Sqlite::scan_sessions(self, case, each)
    }
    fn session(&self, case: &str, id: &str) -> Result<Option<Session>> {
        Sqlite::session(self, case, id)
    }
    fn session_members(&self, case: &str, id: &str) -> Result<Vec<u64>> {
        Sqlite::session_members(self, case, id)
    }

    fn add_hits(&mut self, case: &str, hits: &[Hit]) -> Result<()> {
        Sqlite::add_hits(self, case, hits)
    }
    fn replace_hits(&mut self, case: &str, hits: &[Hit]) -> Result<()> {
        Sqlite::replace_hits(self, case, hits)
    }
    fn clear_hits(&mut self, case: &str) -> Result<()> {
        Sqlite::clear_hits(self, case)
    }
    fn hit_count(&self, case: &str) -> Result<u64> {
        Sqlite::hit_count(self, case)
    }
    fn hits_on_ids(&self, case: &str, event_ids: &[&str]) -> Result<Vec<Hit>> {
        Sqlite::hits_on_ids(self, case, event_ids)
    }
    fn hits_on_keys(&self, case: &str, keys: &[u64]) -> Result<Vec<Hit>> {
        Sqlite::hits_on_keys(self, case, keys)
    }
    fn hits(&self, case: &str) -> Result<Vec<Hit>> {
        Sqlite::hits(self, case)
    }

    fn add_correction(&self, c: &Correction) -> Result<i64> {
        Sqlite::add_correction(self, c)
    }
    fn corrections(&self, case: Option<&str>) -> Result<Vec<Correction>> {
        Sqlite::corrections(self, case)
    }
    fn watch_corrections(&self) -> Result<Box<dyn CorrectionWatch>> {
        let conn = if self.path == ":memory:" {
            // Another connection would see another database: watch through none (tests).
            None
        } else {
            Some(Connection::open(&self.path)?)
        };
        let last: i64 =
            self.conn
                .query_row("SELECT COALESCE(MAX(id), 0) FROM corrections", [], |r| {
                    r.get(0)
                })?;
        Ok(Box::new(PollWatch { conn, last }))
    }

    fn cached_assessment(&self, key: &AssessmentKey) -> Result<Option<Assessment>> {
        Sqlite::cached_assessment(self, key)
    }
    fn put_assessment(&self, key: &AssessmentKey, a: &Assessment, raw_output: &str) -> Result<()> {
        Sqlite::put_assessment(self, key, a, raw_output)
    }
    fn latest_assessment(&self, session_id: &str) -> Result<Option<Assessment>> {
        Sqlite::latest_assessment(self, session_id)
    }
    fn assessment_raw_output(&self, key: &AssessmentKey) -> Result<Option<String>> {
        Sqlite::assessment_raw_output(self, key)
    }

    fn begin_batch(&self) -> Result<()> {
        // Immediate: the write lock is taken (or waited for) now, not on the first write after
        // a read, where SQLite could only answer "busy".
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }
    fn commit_batch(&self) -> Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }
    fn rollback_batch(&self) -> Result<()> {
        Ok(self.conn.execute_batch("ROLLBACK")?)
    }

    fn enqueue_reviews(&self, case: &str, items: &[(String, i64)]) -> Result<usize> {
        reviews::enqueue(&self.conn, case, items)
    }
    fn lease_review(&self, case: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>> {
        reviews::lease(&self.conn, case, holder, ttl)
    }
    fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool> {
        reviews::renew(&self.conn, lease, ttl)
    }
    fn finish_review(&self, case: &str, session_id: &str, holder: &str) -> Result<bool> {
        reviews::finish(&self.conn, case, session_id, holder)
    }
    fn release_lease(&self, case: &str, session_id: &str, holder: &str) -> Result<bool> {
        reviews::release(&self.conn, case, session_id, holder)
    }
    fn review_items(&self, case: &str) -> Result<Vec<ReviewItem>> {
        reviews::items(&self.conn, case)
    }

    fn read_case_rows(&self, table: &Table, case: &str) -> Result<Vec<Vec<Value>>> {
        rows::read(&self.conn, table, case)
    }
    fn write_rows(&mut self, batches: &[(&Table, &[Vec<Value>])]) -> Result<Vec<bool>> {
        rows::write(&mut self.conn, batches)
    }
}

/// Corrections noticed by reading the table's new rows every [`POLL`]: SQLite has no
/// notifications across processes.
struct PollWatch {
    conn: Option<Connection>,
    last: i64,
}

impl CorrectionWatch for PollWatch {
    fn wait(&mut self, timeout: Duration) -> Result<Vec<CorrectionNotice>> {
        let Some(conn) = &self.conn else {
            return Ok(Vec::new());
        };
        let deadline = Instant::now() + timeout;
        loop {
            let mut stmt = conn.prepare_cached(
                "SELECT id, case_name FROM corrections WHERE id > ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![self.last], |r| {
                Ok(CorrectionNotice {
                    id: r.get(0)?,
                    case_name: r.get(1)?,
                })
            })?;
            let new: Vec<CorrectionNotice> = rows.collect::<std::result::Result<_, _>>()?;
            if let Some(n) = new.last() {
                self.last = n.id;
                return Ok(new);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Vec::new());
            }
            std::thread::sleep(left.min(POLL));
        }
    }
}

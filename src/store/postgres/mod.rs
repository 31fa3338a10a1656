//! The PostgreSQL backend: the team store several lookout processes share. One connection per
//! `Store` (the sync `postgres` client), the schema migrated on connect, corrections announced
//! with LISTEN/NOTIFY and the review queue handed out with row leases.

mod data;
mod reviews;
mod rows;
mod schema;
mod sessions;
mod verdicts;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use postgres::{Client, NoTls};

use super::backend::{Backend, CorrectionWatch, SessionSink};
use super::copy::{Table, Value};
use super::types::{AssessmentKey, CaseRow, FileState, IngestRun, Lease, ReviewItem};
use super::{Correction, Result, StoreError};
use crate::model::{Assessment, Hit, Session};

pub struct Postgres {
    /// The client needs `&mut` for every query; the store's API reads through `&self` (as
    /// rusqlite's does), and a `Store` is used from one thread at a time.
    client: RefCell<Client>,
    url: String,
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((auth, host)) => {
            let user = auth.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

fn open_client(url: &str) -> Result<Client> {
    let mut config: postgres::Config = url.parse().map_err(|source| StoreError::Connect {
        location: redact(url),
        source,
    })?;
    // libpq reads PGPASSWORD; this client does not by itself, and a password kept out of the
    // URL stays out of shell history and config files.
    if config.get_password().is_none()
        && let Some(p) = std::env::var_os("PGPASSWORD").filter(|p| !p.is_empty())
    {
        config.password(p.as_encoded_bytes());
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    config
        .application_name("lookout")
        .connect(NoTls)
        .map_err(|source| StoreError::Connect {
            location: redact(url),
            source,
        })
}

impl Postgres {
    /// Connects and runs the migrations the database has not had.
    pub fn connect(url: &str) -> Result<Postgres> {
        let mut client = open_client(url)?;
        schema::migrate(&mut client)?;
        Ok(Postgres {
            client: RefCell::new(client),
            url: url.to_string(),
        })
    }

    /// The connection, unless a session scan holds it (then the caller's `each` asked for
    /// it: an error, not a panic).
    fn c(&self) -> Result<std::cell::RefMut<'_, Client>> {
        self.client.try_borrow_mut().map_err(|_| StoreError::Busy)
    }
}

impl Backend for Postgres {
    fn kind(&self) -> &'static str {
        "postgres"
    }
    fn location(&self) -> String {
        redact(&self.url)
    }
    fn schema_version(&self) -> Result<i64> {
        schema::version(&mut *self.c()?)
    }
    fn integrity_problems(&self) -> Result<Vec<String>> {
        // The server keeps its own consistency; what can be wrong here is lookout's rows.
        let n: i64 = self
            .c()?
            .query_one(
                "SELECT COUNT(*) FROM ingest_runs r WHERE NOT EXISTS
                     (SELECT 1 FROM cases c WHERE c.name = r.case_name)",
                &[],
            )?
            .get(0);
        Ok(if n == 0 {
            Vec::new()
        } else {
            vec![format!("{n} ingest runs of no case")]
        })
    }

    fn ensure_case(&self, name: &str) -> Result<()> {
        data::ensure_case(&mut *self.c()?, name)
    }
    fn cases(&self) -> Result<Vec<CaseRow>> {
        data::cases(&mut *self.c()?)
    }
    fn file_state(&self, case: &str, sha256: &str) -> Result<FileState> {
        data::file_state(&mut *self.c()?, case, sha256)
    }
    fn start_run(
        &self,
        case: &str,
        file: &str,
        size: u64,
        sha256: &str,
        read_as: &str,
    ) -> Result<i64> {
        data::start_run(&mut *self.c()?, case, file, size, sha256, read_as)
    }
    fn finish_run(
        &self,
        id: i64,
        events: u64,
        skipped: &BTreeMap<String, u64>,
        formats: &BTreeMap<String, u64>,
        duration_ms: u64,
    ) -> Result<()> {
        data::finish_run(&mut *self.c()?, id, events, skipped, formats, duration_ms)
    }
    fn runs(&self, case: &str) -> Result<Vec<IngestRun>> {
        data::runs(&mut *self.c()?, case)
    }
    fn delete_case(&mut self, case: &str) -> Result<()> {
        rows::delete_case(self.client.get_mut(), case)
    }

    fn write_sessions(
        &mut self,
        case: &str,
        fill: &mut dyn FnMut(&mut dyn SessionSink) -> Result<()>,
    ) -> Result<()> {
        sessions::write_sessions(self.client.get_mut(), case, fill)
    }
    fn scan_sessions(&self, case: &str, each: &mut dyn FnMut(Session) -> Result<()>) -> Result<()> {
        sessions::scan_sessions(&mut *self.c()?, case, each)
    }
    fn session(&self, case: &str, id: &str) -> Result<Option<Session>> {
        sessions::session(&mut *self.c()?, case, id)
    }
    fn session_members(&self, case: &str, id: &str) -> Result<Vec<u64>> {
        sessions::session_members(&mut *self.c()?, case, id)
    }

    fn add_hits(&mut self, case: &str, hits: &[Hit]) -> Result<()> {
        data::add_hits(self.client.get_mut(), case, hits, false)
    }
    fn replace_hits(&mut self, case: &str, hits: &[Hit]) -> Result<()> {
        data::add_hits(self.client.get_mut(), case, hits, true)
    }
    fn clear_hits(&mut self, case: &str) -> Result<()> {
        data::clear_hits(self.client.get_mut(), case)
    }
    fn hit_count(&self, case: &str) -> Result<u64> {
        data::hit_count(&mut *self.c()?, case)
    }
    fn hits_on_ids(&self, case: &str, event_ids: &[&str]) -> Result<Vec<Hit>> {
        data::hits_on(&mut *self.c()?, case, event_ids)
    }
    fn hits_on_keys(&self, case: &str, keys: &[u64]) -> Result<Vec<Hit>> {
        data::hits_on_keys(&mut *self.c()?, case, keys)
    }
    fn hits(&self, case: &str) -> Result<Vec<Hit>> {
        data::hits(&mut *self.c()?, case)
    }

    fn add_correction(&self, c: &Correction) -> Result<i64> {
        verdicts::add_correction(&mut *self.c()?, c)
    }
    fn corrections(&self, case: Option<&str>) -> Result<Vec<Correction>> {
        verdicts::corrections(&mut *self.c()?, case)
    }
    fn watch_corrections(&self) -> Result<Box<dyn CorrectionWatch>> {
        Ok(Box::new(verdicts::ListenWatch::start(open_client(
            &self.url,
        )?)?))
    }

    fn cached_assessment(&self, key: &AssessmentKey) -> Result<Option<Assessment>> {
        verdicts::cached_assessment(&mut *self.c()?, key)
    }
    fn put_assessment(&self, key: &AssessmentKey, a: &Assessment, raw_output: &str) -> Result<()> {
        verdicts::put_assessment(&mut *self.c()?, key, a, raw_output)
    }
    fn latest_assessment(&self, session_id: &str) -> Result<Option<Assessment>> {
        verdicts::latest_assessment(&mut *self.c()?, session_id)
    }
    fn assessment_raw_output(&self, key: &AssessmentKey) -> Result<Option<String>> {
        verdicts::cached(&mut *self.c()?, key, "raw_output")
    }

    fn begin_batch(&self) -> Result<()> {
        Ok(self.c()?.batch_execute("BEGIN")?)
    }
    fn commit_batch(&self) -> Result<()> {
        Ok(self.c()?.batch_execute("COMMIT")?)
    }
    fn rollback_batch(&self) -> Result<()> {
        Ok(self.c()?.batch_execute("ROLLBACK")?)
    }

    fn enqueue_reviews(&self, case: &str, items: &[(String, i64)]) -> Result<usize> {
        reviews::enqueue(&mut *self.c()?, case, items)
    }
    fn lease_review(&self, case: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>> {
        reviews::lease(&mut *self.c()?, case, holder, ttl)
    }
    fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool> {
        reviews::renew(&mut *self.c()?, lease, ttl)
    }
    fn finish_review(&self, case: &str, session_id: &str, holder: &str) -> Result<bool> {
        reviews::finish(&mut *self.c()?, case, session_id, holder)
    }
    fn release_lease(&self, case: &str, session_id: &str, holder: &str) -> Result<bool> {
        reviews::release(&mut *self.c()?, case, session_id, holder)
    }
    fn review_items(&self, case: &str) -> Result<Vec<ReviewItem>> {
        reviews::items(&mut *self.c()?, case)
    }

    fn read_case_rows(&self, table: &Table, case: &str) -> Result<Vec<Vec<Value>>> {
        rows::read(&mut *self.c()?, table, case)
    }
    fn write_rows(&mut self, batches: &[(&Table, &[Vec<Value>])]) -> Result<Vec<bool>> {
        rows::write(self.client.get_mut(), batches)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://ana:s3cret@db:5432/lookout"),
            "postgres://ana@db:5432/lookout"
        );
        assert_eq!(
            super::redact("postgres://db/lookout?host=/run"),
            "postgres://db/lookout?host=/run"
        );
    }
}

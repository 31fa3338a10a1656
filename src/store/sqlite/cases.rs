//! Cases and ingest runs in SQLite (file, size, hash, events, skipped by reason, duration).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use crate::store::Result;
use crate::store::types::{CaseRow, FileState, IngestRun};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cases (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_name TEXT NOT NULL REFERENCES cases(name) ON DELETE CASCADE,
    file TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    events INTEGER NOT NULL DEFAULT 0,
    skipped TEXT NOT NULL DEFAULT '{}',
    formats TEXT NOT NULL DEFAULT '{}',
    started TEXT NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ingest_runs_hash ON ingest_runs(case_name, sha256, complete);
";

/// How each file was read (format, default host, labels), so that another analyst's machine
/// reads it into its own index the same way.
pub(super) const READ_AS: &str =
    "ALTER TABLE ingest_runs ADD COLUMN read_as TEXT NOT NULL DEFAULT '{}';";

impl Sqlite {
    pub fn ensure_case(&self, name: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO cases(name, created) VALUES (?1, ?2)",
            params![name, Utc::now().to_rfc3339()],
        )?;
        Ok(())
    }

    pub fn cases(&self) -> Result<Vec<CaseRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, created FROM cases ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            let created: String = r.get(1)?;
            Ok(CaseRow {
                name: r.get(0)?,
                created: parse_time(&created),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Whether a file with this content was ingested into the case: completely, partly (an
    /// interrupted run), or never.
    pub fn file_state(&self, case: &str, sha256: &str) -> Result<FileState> {
        let complete: Option<bool> = self
            .conn
            .query_row(
                "SELECT MAX(complete) FROM ingest_runs WHERE case_name = ?1 AND sha256 = ?2",
                params![case, sha256],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(match complete {
            Some(true) => FileState::Done,
            Some(false) => FileState::Interrupted,
            None => FileState::New,
        })
    }

    /// Records the start of a file's ingest and how it is read; returns the run id.
    pub fn start_run(
        &self,
        case: &str,
        file: &str,
        size: u64,
        sha256: &str,
        read_as: &str,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO ingest_runs(case_name, file, size, sha256, started, read_as)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                case,
                file,
                size as i64,
                sha256,
                Utc::now().to_rfc3339(),
                read_as
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Marks a run complete with its counts (called after the index commit).
    pub fn finish_run(
        &self,
        id: i64,
        events: u64,
        skipped: &BTreeMap<String, u64>,
        formats: &BTreeMap<String, u64>,
        duration_ms: u64,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE ingest_runs SET events = ?2, skipped = ?3, formats = ?4, duration_ms = ?5, complete = 1 WHERE id = ?1",
            params![
                id,
                events as i64,
                serde_json::to_string(skipped)?,
                serde_json::to_string(formats)?,
                duration_ms as i64
            ],
        )?;
        Ok(())
    }

    pub fn runs(&self, case: &str) -> Result<Vec<IngestRun>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, file, size, sha256, events, skipped, formats, started, duration_ms, complete,
                    read_as
             FROM ingest_runs WHERE case_name = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![case], |r| {
            let skipped: String = r.get(5)?;
            let formats: String = r.get(6)?;
            let started: String = r.get(7)?;
            Ok(IngestRun {
                id: r.get(0)?,
                file: r.get(1)?,
                size: r.get::<_, i64>(2)? as u64,
                sha256: r.get(3)?,
                events: r.get::<_, i64>(4)? as u64,
                skipped: serde_json::from_str(&skipped).unwrap_or_default(),
                formats: serde_json::from_str(&formats).unwrap_or_default(),
                started: parse_time(&started),
                duration_ms: r.get::<_, i64>(8)? as u64,
                complete: r.get::<_, i64>(9)? != 0,
                read_as: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

pub(super) fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_complete_only_when_finished() {
        let s = Sqlite::in_memory().unwrap();
        s.ensure_case("c").unwrap();
        s.ensure_case("c").unwrap();
        assert_eq!(s.cases().unwrap().len(), 1);
        let id = s.start_run("c", "a.log", 10, "abc", "{}").unwrap();
        assert_eq!(s.file_state("c", "abc").unwrap(), FileState::Interrupted);
        assert_eq!(s.file_state("c", "other").unwrap(), FileState::New);
        let mut skipped = BTreeMap::new();
        skipped.insert("bad_record".to_string(), 2);
        s.finish_run(id, 5, &skipped, &BTreeMap::new(), 7).unwrap();
        assert_eq!(s.file_state("c", "abc").unwrap(), FileState::Done);
        let runs = s.runs("c").unwrap();
        assert_eq!(runs[0].events, 5);
        assert_eq!(runs[0].skipped["bad_record"], 2);
    }
}

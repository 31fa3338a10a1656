//! Sessions in SQLite: metadata as JSON plus the member events' keys, replaced per case after
//! each ingest so that start-up never recomputes them.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use crate::model::Session;
use crate::store::sessions::with_link;
use crate::store::{Result, SessionSink};

/// Sessions read per page of a scan.
const SCAN_PAGE: usize = 1000;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    case_name TEXT NOT NULL,
    id TEXT NOT NULL,
    start TEXT NOT NULL,
    host TEXT NOT NULL,
    events INTEGER NOT NULL,
    json TEXT NOT NULL,
    members BLOB NOT NULL,
    PRIMARY KEY (case_name, id)
);
";

/// Schema version 3: sessions in start order, for scans a page at a time.
pub(super) const START_INDEX: &str = "
CREATE INDEX IF NOT EXISTS sessions_start ON sessions(case_name, start, id);
";

impl Sqlite {
    /// See [`Backend::write_sessions`](crate::store::Backend::write_sessions).
    pub fn write_sessions(
        &mut self,
        case: &str,
        fill: &mut dyn FnMut(&mut dyn SessionSink) -> Result<()>,
    ) -> Result<()> {
        // Dropped without a commit (an error of `fill`), the transaction rolls back.
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM sessions WHERE case_name = ?1", params![case])?;
        {
            let stmt = tx.prepare(
                "INSERT INTO sessions(case_name, id, start, host, events, json, members) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            fill(&mut Sink {
                conn: &tx,
                stmt,
                case,
            })?;
        }
        tx.commit()?;
        // The transaction left a WAL as large as the case's sessions, which SQLite reuses but
        // never shrinks: with the verdicts that follow, a 128 MiB log's store took twice the
        // disk. Its pages are in the database now; the WAL goes back to nothing (or to what a
        // reader still needs, when one is reading: then this does less, and says so).
        let _busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        Ok(())
    }

    /// See [`Backend::scan_sessions`](crate::store::Backend::scan_sessions). A page of
    /// sessions at a time, each page its own read through the (case, start, id) index: one
    /// statement held open for the whole scan kept SQLite from reusing its WAL, and the
    /// verdicts written beside a scan of a 128 MiB log's sessions grew it to 3 GB. So a scan
    /// is not one snapshot: sessions replaced while it runs (another ingest of the case) may
    /// be seen part-way. `each` may use this connection too.
    pub fn scan_sessions(
        &self,
        case: &str,
        each: &mut dyn FnMut(Session) -> Result<()>,
    ) -> Result<()> {
        let mut after: Option<(String, String)> = None;
        loop {
            let mut page: Vec<(String, String, String)> = Vec::with_capacity(SCAN_PAGE);
            {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT start, id, json FROM sessions WHERE case_name = ?1
                     AND (start, id) > (?2, ?3) ORDER BY start, id LIMIT ?4",
                )?;
                // Before every start: an empty string sorts first.
                let (start, id) = after.as_ref().map_or(("", ""), |(s, i)| (s, i));
                let mut rows = stmt.query(params![case, start, id, SCAN_PAGE as i64])?;
                while let Some(r) = rows.next()? {
                    page.push((r.get(0)?, r.get(1)?, r.get(2)?));
                }
            }
            let full = page.len() == SCAN_PAGE;
            for (start, id, json) in page {
                each(serde_json::from_str(&json)?)?;
                after = Some((start, id));
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// One session by id, or by a unique id prefix.
    pub fn session(&self, case: &str, id: &str) -> Result<Option<Session>> {
        let mut stmt = self.conn.prepare(
            "SELECT json FROM sessions WHERE case_name = ?1 AND id LIKE ?2 || '%' LIMIT 2",
        )?;
        let rows: Vec<String> = stmt
            .query_map(params![case, id], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        match rows.as_slice() {
            [one] => Ok(Some(serde_json::from_str(one)?)),
            _ => Ok(None),
        }
    }

    /// The member event keys of a session.
    pub fn session_members(&self, case: &str, id: &str) -> Result<Vec<u64>> {
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT members FROM sessions WHERE case_name = ?1 AND id = ?2",
                params![case, id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(blob
            .unwrap_or_default()
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                u64::from_le_bytes(b)
            })
            .collect())
    }
}

/// The insert statement of one [`Sqlite::write_sessions`].
struct Sink<'a> {
    conn: &'a rusqlite::Connection,
    stmt: rusqlite::Statement<'a>,
    case: &'a str,
}

impl SessionSink for Sink<'_> {
    fn put(&mut self, s: &Session, members: &[u64]) -> Result<()> {
        let blob: Vec<u8> = members.iter().flat_map(|k| k.to_le_bytes()).collect();
        self.stmt.execute(params![
            self.case,
            s.id,
            s.start.to_rfc3339(),
            s.host,
            s.events as i64,
            serde_json::to_string(s)?,
            blob
        ])?;
        Ok(())
    }

    fn link(&mut self, id: &str, other: &str) -> Result<()> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT json FROM sessions WHERE case_name = ?1 AND id = ?2",
                params![self.case, id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(json) = json
            .as_deref()
            .map(|j| with_link(j, other))
            .transpose()?
            .flatten()
        {
            self.conn.execute(
                "UPDATE sessions SET json = ?3 WHERE case_name = ?1 AND id = ?2",
                params![self.case, id, json],
            )?;
        }
        Ok(())
    }
}

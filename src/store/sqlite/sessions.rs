//! Sessions in SQLite: metadata as JSON plus the member events' keys, replaced per case after
//! each ingest so that start-up never recomputes them.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use crate::model::Session;
use crate::store::{Result, SessionSink};

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
            fill(&mut Sink { stmt, case })?;
        }
        tx.commit()?;
        Ok(())
    }

    /// See [`Backend::scan_sessions`](crate::store::Backend::scan_sessions). SQLite steps
    /// through the rows as `each` takes them, so `each` may use this connection too.
    pub fn scan_sessions(
        &self,
        case: &str,
        each: &mut dyn FnMut(Session) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT json FROM sessions WHERE case_name = ?1 ORDER BY start, id")?;
        let mut rows = stmt.query(params![case])?;
        while let Some(r) = rows.next()? {
            // Parsed from the row's own buffer: no copy of the JSON text.
            let json = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            each(serde_json::from_str(json)?)?;
        }
        Ok(())
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
}

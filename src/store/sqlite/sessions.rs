//! Sessions in SQLite: metadata as JSON plus the member events' keys, replaced per case after
//! each ingest so that start-up never recomputes them.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use crate::model::Session;
use crate::store::Result;

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
    /// Replaces the case's sessions with `sessions` (each with its member event keys) in one
    /// transaction, so readers see either the old or the new set.
    pub fn replace_sessions(&mut self, case: &str, sessions: &[(Session, Vec<u64>)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM sessions WHERE case_name = ?1", params![case])?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO sessions(case_name, id, start, host, events, json, members) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (s, members) in sessions {
                let blob: Vec<u8> = members.iter().flat_map(|k| k.to_le_bytes()).collect();
                stmt.execute(params![
                    case,
                    s.id,
                    s.start.to_rfc3339(),
                    s.host,
                    s.events as i64,
                    serde_json::to_string(s)?,
                    blob
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// All sessions of a case in start order.
    pub fn sessions(&self, case: &str) -> Result<Vec<Session>> {
        let mut stmt = self
            .conn
            .prepare("SELECT json FROM sessions WHERE case_name = ?1 ORDER BY start, id")?;
        let rows = stmt.query_map(params![case], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for json in rows {
            out.push(serde_json::from_str(&json?)?);
        }
        Ok(out)
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

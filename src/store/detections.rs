//! Stored rule hits: one row per (event, rule), written at ingest, read by sessions and `detect`.

use rusqlite::params;

use super::{Result, Store};
use crate::detect::Hit;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS detections (
    case_name TEXT NOT NULL,
    event_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (case_name, event_id, rule_id)
);
";

impl Store {
    /// Adds hits (idempotent: the same rule on the same event is stored once).
    pub fn add_hits(&mut self, case: &str, hits: &[Hit]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO detections(case_name, event_id, rule_id, json) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for h in hits {
                stmt.execute(params![
                    case,
                    h.event_id,
                    h.rule_id,
                    serde_json::to_string(h)?
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Drops every stored hit of the case (before `detect` re-runs the rules).
    pub fn clear_hits(&self, case: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM detections WHERE case_name = ?1", params![case])?;
        Ok(())
    }

    /// How many hits the case has.
    pub fn hit_count(&self, case: &str) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM detections WHERE case_name = ?1",
            params![case],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// The hits on these events (a session's), through the primary key: a session view must
    /// not read every hit of a large case.
    pub fn hits_on<'a>(
        &self,
        case: &str,
        event_ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<Hit>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT json FROM detections WHERE case_name = ?1 AND event_id = ?2")?;
        let mut out = Vec::new();
        for id in event_ids {
            let rows = stmt.query_map(params![case, id], |r| r.get::<_, String>(0))?;
            for json in rows {
                out.push(serde_json::from_str(&json?)?);
            }
        }
        Ok(out)
    }

    pub fn hits(&self, case: &str) -> Result<Vec<Hit>> {
        let mut stmt = self
            .conn
            .prepare("SELECT json FROM detections WHERE case_name = ?1")?;
        let rows = stmt.query_map(params![case], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for json in rows {
            out.push(serde_json::from_str(&json?)?);
        }
        Ok(out)
    }
}

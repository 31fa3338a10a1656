//! Corrections in SQLite: append-only, the commit synced to disk.

use rusqlite::params;

use super::Sqlite;
use super::cases::parse_time;
use crate::store::Result;
use crate::store::corrections::{parse_cause, parse_risk};
use crate::store::{Correction, CorrectionKind};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_name TEXT NOT NULL,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    analyst TEXT NOT NULL,
    created TEXT NOT NULL,
    cause TEXT NOT NULL,
    risk TEXT NOT NULL,
    priority INTEGER,
    techniques TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    rationale TEXT NOT NULL DEFAULT '',
    model_id TEXT NOT NULL DEFAULT '',
    prompt_version TEXT NOT NULL DEFAULT '',
    model_output TEXT,
    session_host TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS corrections_session ON corrections(case_name, session_id, id);
";

impl Sqlite {
    /// Appends a correction; returns its id once it is durable. A correction is the analyst's
    /// work and cannot be redone from the logs, so its commit is synced to disk even against
    /// power loss: the store's WAL with `synchronous=NORMAL` survives a killed process but may
    /// lose the last commits when the machine loses power.
    pub fn add_correction(&self, c: &Correction) -> Result<i64> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let added = self.insert_correction(c);
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        added
    }

    fn insert_correction(&self, c: &Correction) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO corrections(case_name, session_id, kind, analyst, created, cause, risk, priority,
                techniques, summary, rationale, model_id, prompt_version, model_output, session_host)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                c.case_name,
                c.session_id,
                c.kind.as_str(),
                c.analyst,
                c.created.to_rfc3339(),
                c.cause.as_str(),
                c.risk.as_str(),
                c.priority.map(i64::from),
                serde_json::to_string(&c.techniques)?,
                c.summary,
                c.rationale,
                c.model_id,
                c.prompt_version,
                c.model_output.as_ref().map(|v| v.to_string()),
                c.session_host,
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every correction of a case (all cases when `case` is None), oldest first.
    pub fn corrections(&self, case: Option<&str>) -> Result<Vec<Correction>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, case_name, session_id, kind, analyst, created, cause, risk, priority, techniques,
                    summary, rationale, model_id, prompt_version, model_output, session_host
             FROM corrections WHERE (?1 IS NULL OR case_name = ?1) ORDER BY id",
        )?;
        let rows = stmt.query_map(params![case], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<i64>>(8)?,
                r.get::<_, String>(9)?,
                (
                    r.get::<_, String>(10)?,
                    r.get::<_, String>(11)?,
                    r.get::<_, String>(12)?,
                    r.get::<_, String>(13)?,
                    r.get::<_, Option<String>>(14)?,
                    r.get::<_, String>(15)?,
                ),
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                case_name,
                session_id,
                kind,
                analyst,
                created,
                cause,
                risk,
                priority,
                techniques,
                rest,
            ) = row?;
            let (summary, rationale, model_id, prompt_version, model_output, session_host) = rest;
            out.push(Correction {
                id,
                case_name,
                session_id,
                kind: CorrectionKind::from_stored(&kind),
                analyst,
                created: parse_time(&created),
                cause: parse_cause(&cause),
                risk: parse_risk(&risk),
                priority: priority.and_then(|p| u8::try_from(p).ok()),
                techniques: serde_json::from_str(&techniques).unwrap_or_default(),
                summary,
                rationale,
                model_id,
                prompt_version,
                model_output: model_output.and_then(|s| serde_json::from_str(&s).ok()),
                session_host,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Cause, Risk};
    use chrono::Utc;

    fn correction(session: &str, cause: Cause) -> Correction {
        Correction {
            id: 0,
            case_name: "c".into(),
            session_id: session.into(),
            kind: CorrectionKind::Correction,
            analyst: "ana".into(),
            created: Utc::now(),
            cause,
            risk: Risk::Medium,
            priority: Some(2),
            techniques: vec!["T1110.001".into()],
            summary: "s".into(),
            rationale: "stale password".into(),
            model_id: "abc".into(),
            prompt_version: "v1".into(),
            model_output: Some(serde_json::json!({"cause": "malicious"})),
            session_host: "FS01".into(),
        }
    }

    #[test]
    fn corrections_are_append_only_and_latest_wins() {
        let s = Sqlite::in_memory().unwrap();
        let a = s
            .add_correction(&correction("s1", Cause::Malicious))
            .unwrap();
        let b = s
            .add_correction(&correction("s1", Cause::Misconfiguration))
            .unwrap();
        assert!(b > a);
        let all = s.corrections(Some("c")).unwrap();
        assert_eq!(all.len(), 2, "history kept");
        assert_eq!(all[0].cause, Cause::Malicious);
        let latest = crate::store::corrections::latest(s.corrections(Some("c")).unwrap());
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].cause, Cause::Misconfiguration);
        assert_eq!(
            latest[0].model_output.as_ref().unwrap()["cause"],
            "malicious"
        );
        assert_eq!(latest[0].techniques, vec!["T1110.001"]);
    }
}

//! The assessment cache in SQLite: one row per (session content, model file, prompt version, prior
//! version, exact prompt), so a session is assessed once per model and question. Keeps the
//! model's raw output, the final verdict with its adjustments, and the latency.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use crate::model::Assessment;
use crate::store::Result;
use crate::store::types::AssessmentKey;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS assessments (
    content_hash TEXT NOT NULL,
    model_hash TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    prior_version TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    session_id TEXT NOT NULL,
    created TEXT NOT NULL,
    latency_ms INTEGER NOT NULL,
    raw_output TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (content_hash, model_hash, prompt_version, prior_version, input_hash)
);
CREATE INDEX IF NOT EXISTS assessments_session ON assessments(session_id, created);
";

impl Sqlite {
    /// The cached assessment for `key`, if any.
    pub fn cached_assessment(&self, key: &AssessmentKey) -> Result<Option<Assessment>> {
        parse(self.column_by_key("json", key)?)
    }

    /// Stores (or replaces) an assessment with the model's raw output.
    pub fn put_assessment(
        &self,
        key: &AssessmentKey,
        a: &Assessment,
        raw_output: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO assessments(content_hash, model_hash, prompt_version,
                prior_version, input_hash, session_id, created, latency_ms, raw_output, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                key.content_hash,
                key.model_hash,
                key.prompt_version,
                key.prior_version,
                key.input_hash,
                a.session_id,
                a.created.to_rfc3339(),
                a.latency_ms as i64,
                raw_output,
                serde_json::to_string(a)?
            ],
        )?;
        Ok(())
    }

    /// The most recent assessment of a session, whatever model or prompt made it.
    pub fn latest_assessment(&self, session_id: &str) -> Result<Option<Assessment>> {
        let json = self
            .conn
            .query_row(
                "SELECT json FROM assessments WHERE session_id = ?1
                 ORDER BY created DESC LIMIT 1",
                params![session_id],
                |r| r.get(0),
            )
            .optional()?;
        parse(json)
    }

    /// The model's raw output stored with an assessment.
    pub fn assessment_raw_output(&self, key: &AssessmentKey) -> Result<Option<String>> {
        self.column_by_key("raw_output", key)
    }

    /// One column of the row `key` names; `column` is a name from this file, never input.
    fn column_by_key(&self, column: &'static str, key: &AssessmentKey) -> Result<Option<String>> {
        let sql = format!(
            "SELECT {column} FROM assessments WHERE content_hash = ?1 AND model_hash = ?2
               AND prompt_version = ?3 AND prior_version = ?4 AND input_hash = ?5"
        );
        Ok(self
            .conn
            .query_row(
                &sql,
                params![
                    key.content_hash,
                    key.model_hash,
                    key.prompt_version,
                    key.prior_version,
                    key.input_hash
                ],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// A stored assessment's JSON, read back.
fn parse(json: Option<String>) -> Result<Option<Assessment>> {
    Ok(match json {
        Some(j) => Some(serde_json::from_str(&j)?),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::event::{Cause, Risk};
    use crate::model::Verdict;

    fn assessment(session: &str, secs: i64) -> Assessment {
        Assessment {
            session_id: session.into(),
            verdict: Verdict {
                cause: Cause::Malicious,
                cause_explanation: "x".into(),
                risk_level: Risk::High,
                risk_justification: "y".into(),
                business_impact: String::new(),
                likelihood: "high".into(),
                investigation_priority: 2,
                techniques: vec!["T1110".into()],
                anomalous_patterns: vec![],
                summary: "s".into(),
                remediation: vec![],
                evidence: vec![],
            },
            model_verdict: None,
            adjustments: vec!["note".into()],
            dropped_techniques: vec![],
            model_id: "m".into(),
            prompt_version: "v1".into(),
            latency_ms: 1234,
            created: Utc.timestamp_opt(1_772_442_000 + secs, 0).single().unwrap(),
            from_cache: false,
            prompt_tokens: 300,
            completion_tokens: 90,
        }
    }

    fn key(input: &str) -> AssessmentKey {
        AssessmentKey {
            content_hash: "c".into(),
            model_hash: "m".into(),
            prompt_version: "v1".into(),
            prior_version: String::new(),
            input_hash: input.into(),
        }
    }

    #[test]
    fn put_then_get_round_trips_and_keys_are_exact() {
        let s = Sqlite::in_memory().unwrap();
        assert_eq!(s.cached_assessment(&key("i")).unwrap(), None);
        let a = assessment("s1", 0);
        s.put_assessment(&key("i"), &a, "{\"raw\":1}").unwrap();
        assert_eq!(s.cached_assessment(&key("i")).unwrap(), Some(a.clone()));
        assert_eq!(s.cached_assessment(&key("other")).unwrap(), None);
        assert_eq!(
            s.assessment_raw_output(&key("i")).unwrap().as_deref(),
            Some("{\"raw\":1}")
        );
        // Idempotent: the same key replaces.
        s.put_assessment(&key("i"), &a, "again").unwrap();
        let b = assessment("s1", 60);
        s.put_assessment(&key("j"), &b, "").unwrap();
        assert_eq!(s.latest_assessment("s1").unwrap(), Some(b));
        assert_eq!(s.latest_assessment("s2").unwrap(), None);
    }
}

//! Corrections (announced by LISTEN/NOTIFY) and the assessment cache in PostgreSQL.

use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Row};

use crate::model::Assessment;
use crate::store::backend::CorrectionWatch;
use crate::store::corrections::{parse_cause, parse_risk};
use crate::store::types::{AssessmentKey, CorrectionNotice};
use crate::store::{Correction, CorrectionKind, Result};

/// The channel the `corrections` trigger notifies (schema version 1).
pub(super) const CHANNEL: &str = "lookout_corrections";

/// Appends a correction; the commit returns once the server has it durable
/// (`synchronous_commit`), and the trigger's notification goes out with it.
pub(super) fn add_correction(client: &mut Client, c: &Correction) -> Result<i64> {
    let priority = c.priority.map(i64::from);
    let techniques = serde_json::to_string(&c.techniques)?;
    let output = c.model_output.as_ref().map(|v| v.to_string());
    Ok(client
        .query_one(
            "INSERT INTO corrections(case_name, session_id, kind, analyst, created, cause, risk,
                 priority, techniques, summary, rationale, model_id, prompt_version, model_output,
                 session_host)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             RETURNING id",
            &[
                &c.case_name,
                &c.session_id,
                &c.kind.as_str(),
                &c.analyst,
                &c.created.to_rfc3339(),
                &c.cause.as_str(),
                &c.risk.as_str(),
                &priority,
                &techniques,
                &c.summary,
                &c.rationale,
                &c.model_id,
                &c.prompt_version,
                &output,
                &c.session_host,
            ],
        )?
        .get(0))
}

pub(super) fn corrections(client: &mut Client, case: Option<&str>) -> Result<Vec<Correction>> {
    let rows = client.query(
        "SELECT id, case_name, session_id, kind, analyst, created, cause, risk, priority,
                techniques, summary, rationale, model_id, prompt_version, model_output, session_host
         FROM corrections WHERE ($1::text IS NULL OR case_name = $1) ORDER BY id",
        &[&case],
    )?;
    Ok(rows.iter().map(correction_of).collect())
}

fn correction_of(r: &Row) -> Correction {
    let created: &str = r.get(5);
    Correction {
        id: r.get(0),
        case_name: r.get(1),
        session_id: r.get(2),
        kind: CorrectionKind::from_stored(r.get(3)),
        analyst: r.get(4),
        created: chrono::DateTime::parse_from_rfc3339(created)
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default(),
        cause: parse_cause(r.get(6)),
        risk: parse_risk(r.get(7)),
        priority: r
            .get::<_, Option<i64>>(8)
            .and_then(|p| u8::try_from(p).ok()),
        techniques: serde_json::from_str(r.get(9)).unwrap_or_default(),
        summary: r.get(10),
        rationale: r.get(11),
        model_id: r.get(12),
        prompt_version: r.get(13),
        model_output: r
            .get::<_, Option<&str>>(14)
            .and_then(|s| serde_json::from_str(s).ok()),
        session_host: r.get(15),
    }
}

/// A connection of its own that LISTENs: notifications arrive on the connection that asked,
/// and the store's own connection is busy with queries.
pub(super) struct ListenWatch {
    client: Client,
}

impl ListenWatch {
    pub(super) fn start(mut client: Client) -> Result<ListenWatch> {
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(ListenWatch { client })
    }
}

impl CorrectionWatch for ListenWatch {
    fn wait(&mut self, timeout: Duration) -> Result<Vec<CorrectionNotice>> {
        let mut out = Vec::new();
        let mut notes = self.client.notifications();
        let first = notes.timeout_iter(timeout).next()?;
        let Some(first) = first else {
            return Ok(out);
        };
        out.extend(notice(first.payload()));
        // Whatever else has arrived already, without waiting.
        let mut rest = notes.iter();
        while let Some(n) = rest.next()? {
            out.extend(notice(n.payload()));
        }
        Ok(out)
    }
}

/// A notification's payload, `"id case"`.
fn notice(payload: &str) -> Option<CorrectionNotice> {
    let (id, case) = payload.split_once(' ')?;
    Some(CorrectionNotice {
        id: id.parse().ok()?,
        case_name: case.to_string(),
    })
}

const KEY: &str = "content_hash = $1 AND model_hash = $2 AND prompt_version = $3
    AND prior_version = $4 AND input_hash = $5";

pub(super) fn cached(
    client: &mut Client,
    key: &AssessmentKey,
    column: &str,
) -> Result<Option<String>> {
    // `column` is one of this file's names, never input.
    let row = client.query_opt(
        &format!("SELECT {column} FROM assessments WHERE {KEY}"),
        &[
            &key.content_hash,
            &key.model_hash,
            &key.prompt_version,
            &key.prior_version,
            &key.input_hash,
        ],
    )?;
    Ok(row.map(|r| r.get(0)))
}

pub(super) fn cached_assessment(
    client: &mut Client,
    key: &AssessmentKey,
) -> Result<Option<Assessment>> {
    parse(cached(client, key, "json")?)
}

pub(super) fn put_assessment(
    client: &mut Client,
    key: &AssessmentKey,
    a: &Assessment,
    raw: &str,
) -> Result<()> {
    client.execute(
        "INSERT INTO assessments(content_hash, model_hash, prompt_version, prior_version,
             input_hash, session_id, created, latency_ms, raw_output, json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (content_hash, model_hash, prompt_version, prior_version, input_hash)
         DO UPDATE SET session_id = EXCLUDED.session_id, created = EXCLUDED.created,
             latency_ms = EXCLUDED.latency_ms, raw_output = EXCLUDED.raw_output,
             json = EXCLUDED.json",
        &[
            &key.content_hash,
            &key.model_hash,
            &key.prompt_version,
            &key.prior_version,
            &key.input_hash,
            &a.session_id,
            &a.created.to_rfc3339(),
            &(a.latency_ms as i64),
            &raw,
            &serde_json::to_string(a)?,
        ],
    )?;
    Ok(())
}

pub(super) fn latest_assessment(
    client: &mut Client,
    session_id: &str,
) -> Result<Option<Assessment>> {
    let row = client.query_opt(
        "SELECT json FROM assessments WHERE session_id = $1 ORDER BY created DESC LIMIT 1",
        &[&session_id],
    )?;
    parse(row.map(|r| r.get(0)))
}

fn parse(json: Option<String>) -> Result<Option<Assessment>> {
    Ok(match json {
        Some(j) => Some(serde_json::from_str(&j)?),
        None => None,
    })
}

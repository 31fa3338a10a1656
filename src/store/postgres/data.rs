//! Cases, ingest runs and rule hits in PostgreSQL, as the SQLite backend keeps them.

use std::collections::{BTreeMap, HashMap, HashSet};

use postgres::{Client, GenericClient};

use crate::model::Hit;
use crate::store::Result;
use crate::store::types::{CaseRow, FileState, IngestRun, hit_of};

fn time(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

fn u64_of(n: i64) -> u64 {
    n.max(0) as u64
}

pub(super) fn ensure_case(c: &mut Client, name: &str) -> Result<()> {
    c.execute(
        "INSERT INTO cases(name, created) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&name, &crate::store::now_text()],
    )?;
    Ok(())
}

pub(super) fn cases(c: &mut Client) -> Result<Vec<CaseRow>> {
    Ok(
        c.query("SELECT name, created FROM cases ORDER BY name", &[])?
            .iter()
            .map(|r| CaseRow {
                name: r.get(0),
                created: time(r.get(1)),
            })
            .collect(),
    )
}

pub(super) fn file_state(c: &mut Client, case: &str, sha256: &str) -> Result<FileState> {
    let row = c.query_one(
        "SELECT MAX(complete) FROM ingest_runs WHERE case_name = $1 AND sha256 = $2",
        &[&case, &sha256],
    )?;
    Ok(match row.get::<_, Option<i64>>(0) {
        Some(1..) => FileState::Done,
        Some(_) => FileState::Interrupted,
        None => FileState::New,
    })
}

pub(super) fn start_run(
    c: &mut Client,
    case: &str,
    file: &str,
    size: u64,
    sha: &str,
    read_as: &str,
) -> Result<i64> {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    Ok(c.query_one(
        "INSERT INTO ingest_runs(case_name, file, size, sha256, started, read_as)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            &case,
            &file,
            &size,
            &sha,
            &crate::store::now_text(),
            &read_as,
        ],
    )?
    .get(0))
}

pub(super) fn finish_run(
    c: &mut Client,
    id: i64,
    events: u64,
    skipped: &BTreeMap<String, u64>,
    formats: &BTreeMap<String, u64>,
    duration_ms: u64,
) -> Result<()> {
    c.execute(
        "UPDATE ingest_runs SET events = $2, skipped = $3, formats = $4, duration_ms = $5,
             complete = 1 WHERE id = $1",
        &[
            &id,
            &(events as i64),
            &serde_json::to_string(skipped)?,
            &serde_json::to_string(formats)?,
            &(duration_ms as i64),
        ],
    )?;
    Ok(())
}

pub(super) fn runs(c: &mut Client, case: &str) -> Result<Vec<IngestRun>> {
    let rows = c.query(
        "SELECT id, file, size, sha256, events, skipped, formats, started, duration_ms, complete,
                read_as
         FROM ingest_runs WHERE case_name = $1 ORDER BY id",
        &[&case],
    )?;
    Ok(rows
        .iter()
        .map(|r| IngestRun {
            id: r.get(0),
            file: r.get(1),
            size: u64_of(r.get(2)),
            sha256: r.get(3),
            events: u64_of(r.get(4)),
            skipped: serde_json::from_str(r.get(5)).unwrap_or_default(),
            formats: serde_json::from_str(r.get(6)).unwrap_or_default(),
            started: time(r.get(7)),
            duration_ms: u64_of(r.get(8)),
            complete: r.get::<_, i64>(9) != 0,
            read_as: r.get(10),
        })
        .collect())
}

pub(super) fn add_hits(c: &mut Client, case: &str, hits: &[Hit], replace: bool) -> Result<()> {
    let mut tx = c.transaction()?;
    if replace {
        delete_hits(&mut tx, case)?;
    }
    insert_hits(&mut tx, case, hits)?;
    tx.commit()?;
    Ok(())
}

pub(super) fn clear_hits(c: &mut Client, case: &str) -> Result<()> {
    let mut tx = c.transaction()?;
    delete_hits(&mut tx, case)?;
    tx.commit()?;
    Ok(())
}

fn delete_hits(tx: &mut impl GenericClient, case: &str) -> Result<()> {
    tx.execute("DELETE FROM rule_hits WHERE case_name = $1", &[&case])?;
    tx.execute("DELETE FROM hit_rules WHERE case_name = $1", &[&case])?;
    Ok(())
}

/// In batches through arrays (`unnest`): one round trip per thousands of hits, not per hit.
fn insert_hits(tx: &mut impl GenericClient, case: &str, hits: &[Hit]) -> Result<()> {
    for chunk in hits.chunks(5000) {
        let events: Vec<&str> = chunk.iter().map(|h| h.event_id.as_str()).collect();
        let rules: Vec<&str> = chunk.iter().map(|h| &*h.rule_id).collect();
        tx.execute(
            "INSERT INTO rule_hits(case_name, event_id, rule_id)
             SELECT $1, e, r FROM unnest($2::text[], $3::text[]) AS t(e, r)
             ON CONFLICT DO NOTHING",
            &[&case, &events, &rules],
        )?;
    }
    let mut seen: HashSet<&str> = HashSet::new();
    for h in hits {
        if seen.insert(&h.rule_id) {
            // The rule's parts; the event id is each row's.
            tx.execute(
                "INSERT INTO hit_rules(case_name, rule_id, json) VALUES ($1, $2, $3)
                 ON CONFLICT (case_name, rule_id) DO UPDATE SET json = EXCLUDED.json",
                &[&case, &&*h.rule_id, &serde_json::to_string(&h.on(""))?],
            )?;
        }
    }
    Ok(())
}

pub(super) fn hit_count(c: &mut Client, case: &str) -> Result<u64> {
    let n: i64 = c
        .query_one(
            "SELECT COUNT(*) FROM rule_hits WHERE case_name = $1",
            &[&case],
        )?
        .get(0);
    Ok(u64_of(n))
}

pub(super) fn hits_on(c: &mut Client, case: &str, ids: &[&str]) -> Result<Vec<Hit>> {
    let rules = hit_rules(c, case)?;
    let rows = c.query(
        "SELECT event_id, rule_id FROM rule_hits WHERE case_name = $1 AND event_id = ANY($2)
         ORDER BY event_id, rule_id",
        &[&case, &ids],
    )?;
    Ok(rows
        .iter()
        .map(|r| hit_of(&rules, r.get(1), r.get(0)))
        .collect())
}

/// By the ids' last 16 hex digits (an event's key), through the expression index of schema
/// version 3; a few thousand keys a round trip.
pub(super) fn hits_on_keys(c: &mut Client, case: &str, keys: &[u64]) -> Result<Vec<Hit>> {
    let rules = hit_rules(c, case)?;
    let mut out = Vec::new();
    for chunk in keys.chunks(5000) {
        let tails: Vec<String> = chunk.iter().map(|k| format!("{k:016x}")).collect();
        for r in c.query(
            "SELECT event_id, rule_id FROM rule_hits
             WHERE case_name = $1 AND right(event_id, 16) = ANY($2)",
            &[&case, &tails],
        )? {
            out.push(hit_of(&rules, r.get(1), r.get(0)));
        }
    }
    Ok(out)
}

pub(super) fn hits(c: &mut Client, case: &str) -> Result<Vec<Hit>> {
    let rules = hit_rules(c, case)?;
    let rows = c.query(
        "SELECT event_id, rule_id FROM rule_hits WHERE case_name = $1 ORDER BY event_id, rule_id",
        &[&case],
    )?;
    Ok(rows
        .iter()
        .map(|r| hit_of(&rules, r.get(1), r.get(0)))
        .collect())
}

fn hit_rules(c: &mut Client, case: &str) -> Result<HashMap<String, Hit>> {
    let mut out = HashMap::new();
    for r in c.query(
        "SELECT rule_id, json FROM hit_rules WHERE case_name = $1",
        &[&case],
    )? {
        out.insert(r.get(0), serde_json::from_str(r.get(1))?);
    }
    Ok(out)
}

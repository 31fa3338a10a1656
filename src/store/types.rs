//! The value types both store backends hand out: cases, ingest runs, assessment keys, review
//! leases and correction notices.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::Risk;
use crate::model::Hit;

#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub name: String,
    pub created: DateTime<Utc>,
}

/// One file's ingest; `complete` only once its events are committed to the index.
#[derive(Debug, Clone, Serialize)]
pub struct IngestRun {
    pub id: i64,
    pub file: String,
    pub size: u64,
    pub sha256: String,
    pub events: u64,
    pub skipped: BTreeMap<String, u64>,
    pub formats: BTreeMap<String, u64>,
    pub started: DateTime<Utc>,
    pub duration_ms: u64,
    pub complete: bool,
    /// How the file was read (JSON of `case::ReadAs`; `{}`: as detected, no host or labels).
    pub read_as: String,
}

/// How far a file (by content hash) was ingested into a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    New,
    Interrupted,
    Done,
}

/// What identifies one assessment. `input_hash` covers the exact prompt and schema, so a
/// change of rule hits or catalog that changes the question also misses the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentKey {
    pub content_hash: String,
    /// Hash of the model file (or `rules-only`).
    pub model_hash: String,
    pub prompt_version: String,
    /// Empty when no prior was used.
    pub prior_version: String,
    pub input_hash: String,
}

/// A session of the review queue handed to one holder until `until_ms` (milliseconds since
/// the Unix epoch, by the store's clock: one clock for every analyst of a team store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lease {
    pub case_name: String,
    pub session_id: String,
    pub holder: String,
    pub until_ms: i64,
}

/// One session of the review queue as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewItem {
    pub session_id: String,
    /// Lower first.
    pub priority: i64,
    /// The holder of an unexpired lease.
    pub leased_by: Option<String>,
    pub reviewed_by: Option<String>,
}

/// A correction saved by some process: its case and id (read it with `corrections`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CorrectionNotice {
    pub case_name: String,
    pub id: i64,
}

/// The review queue's holder name for this process: analyst, host and process id, so two
/// workbenches of one analyst hold different leases.
pub fn holder_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    format!(
        "{}@{}:{}",
        super::analyst_name(),
        if host.is_empty() { "localhost" } else { &host },
        std::process::id()
    )
}

/// `rule_id`'s hit on `event_id`. Both tables are written in one transaction, so the rule is
/// there; should a hand-edited store lack it, the hit keeps its id and the lowest level.
pub(super) fn hit_of(rules: &HashMap<String, Hit>, rule_id: &str, event_id: &str) -> Hit {
    match rules.get(rule_id) {
        Some(rule) => rule.on(event_id),
        None => Hit {
            rule_id: rule_id.into(),
            title: rule_id.into(),
            level: Risk::Low,
            techniques: Arc::from([]),
            tactics: Arc::from([]),
            event_id: event_id.to_string(),
            events: Vec::new(),
        },
    }
}

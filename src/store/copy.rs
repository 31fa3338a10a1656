//! `store copy`: every table of a case from one store to another (SQLite <-> PostgreSQL), in
//! one transaction on the destination, then the rows read back and compared with the source's
//! by count and checksum.

use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Result, Store, StoreError};

/// A column's type, the same in both backends (TEXT, INTEGER/BIGINT, BLOB/BYTEA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Bytes,
}

/// One value of a row, as both backends store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// Which rows of a table belong to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The table's `case_name` column (`name` for `cases`).
    Column(&'static str),
    /// Assessments: those of the case's sessions (the cache is keyed by session content).
    SessionsOfCase,
}

/// A table as `store copy` moves it. Both backends keep these names and columns.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// The order rows are read and compared in.
    pub key: &'static [&'static str],
    /// A surrogate id column the destination assigns when the source's ids are taken there.
    pub serial: Option<&'static str>,
    pub scope: Scope,
}

impl Table {
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The columns without the serial id (what is inserted when the ids are renumbered).
    pub fn columns_without_serial(&self) -> Vec<(&'static str, Kind)> {
        self.columns
            .iter()
            .copied()
            .filter(|(c, _)| Some(*c) != self.serial)
            .collect()
    }
}

use Kind::{Bytes, Int, Text};

/// Every table of a case, parents first.
pub static TABLES: &[Table] = &[
    Table {
        name: "cases",
        columns: &[("name", Text), ("created", Text)],
        key: &["name"],
        serial: None,
        scope: Scope::Column("name"),
    },
    Table {
        name: "ingest_runs",
        columns: &[
            ("id", Int),
            ("case_name", Text),
            ("file", Text),
            ("size", Int),
            ("sha256", Text),
            ("events", Int),
            ("skipped", Text),
            ("formats", Text),
            ("started", Text),
            ("duration_ms", Int),
            ("complete", Int),
            ("read_as", Text),
        ],
        key: &["id"],
        serial: Some("id"),
        scope: Scope::Column("case_name"),
    },
    Table {
        name: "sessions",
        columns: &[
            ("case_name", Text),
            ("id", Text),
            ("start", Text),
            ("host", Text),
            ("events", Int),
            ("json", Text),
            ("members", Bytes),
        ],
        key: &["case_name", "id"],
        serial: None,
        scope: Scope::Column("case_name"),
    },
    Table {
        name: "rule_hits",
        columns: &[("case_name", Text), ("event_id", Text), ("rule_id", Text)],
        key: &["case_name", "event_id", "rule_id"],
        serial: None,
        scope: Scope::Column("case_name"),
    },
    Table {
        name: "hit_rules",
        columns: &[("case_name", Text), ("rule_id", Text), ("json", Text)],
        key: &["case_name", "rule_id"],
        serial: None,
        scope: Scope::Column("case_name"),
    },
    Table {
        name: "corrections",
        columns: &[
            ("id", Int),
            ("case_name", Text),
            ("session_id", Text),
            ("kind", Text),
            ("analyst", Text),
            ("created", Text),
            ("cause", Text),
            ("risk", Text),
            ("priority", Int),
            ("techniques", Text),
            ("summary", Text),
            ("rationale", Text),
            ("model_id", Text),
            ("prompt_version", Text),
            ("model_output", Text),
            ("session_host", Text),
        ],
        key: &["id"],
        serial: Some("id"),
        scope: Scope::Column("case_name"),
    },
    Table {
        name: "assessments",
        columns: &[
            ("content_hash", Text),
            ("model_hash", Text),
            ("prompt_version", Text),
            ("prior_version", Text),
            ("input_hash", Text),
            ("session_id", Text),
            ("created", Text),
            ("latency_ms", Int),
            ("raw_output", Text),
            ("json", Text),
        ],
        key: &[
            "content_hash",
            "model_hash",
            "prompt_version",
            "prior_version",
            "input_hash",
        ],
        serial: None,
        scope: Scope::SessionsOfCase,
    },
    Table {
        name: "review_queue",
        columns: &[
            ("case_name", Text),
            ("session_id", Text),
            ("priority", Int),
            ("added", Text),
            ("lease_holder", Text),
            ("lease_until", Int),
            ("reviewed_by", Text),
            ("reviewed_at", Text),
        ],
        key: &["case_name", "session_id"],
        serial: None,
        scope: Scope::Column("case_name"),
    },
];

/// One table of one case after a copy.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub case_name: String,
    pub table: &'static str,
    pub source_rows: usize,
    pub copied_rows: usize,
    /// SHA-256 over the rows in key order (serial ids left out), hex.
    pub source_sha256: String,
    pub copied_sha256: String,
    /// The destination assigned new ids (the source's were taken there).
    pub renumbered: bool,
}

impl TableReport {
    pub fn matches(&self) -> bool {
        self.source_rows == self.copied_rows && self.source_sha256 == self.copied_sha256
    }
}

/// Copies `cases` (every case of `from` when empty) into `to`, which must not hold them yet;
/// each case in one transaction. Returns a report per case and table; the caller says whether
/// all matched (`TableReport::matches`).
pub fn copy_cases(from: &Store, to: &mut Store, cases: &[String]) -> Result<Vec<TableReport>> {
    let names: Vec<String> = if cases.is_empty() {
        from.cases()?.into_iter().map(|c| c.name).collect()
    } else {
        cases.to_vec()
    };
    let present: Vec<String> = to.cases()?.into_iter().map(|c| c.name).collect();
    let mut reports = Vec::new();
    for case in &names {
        if present.contains(case) {
            return Err(StoreError::Copy(format!(
                "case `{case}` is already in {}: copy never merges into an existing case",
                to.location()
            )));
        }
        if !from.cases()?.iter().any(|c| &c.name == case) {
            return Err(StoreError::Copy(format!(
                "no case `{case}` in {}",
                from.location()
            )));
        }
        let mut batches = Vec::new();
        for t in TABLES {
            batches.push((t, from.read_case_rows(t, case)?));
        }
        let refs: Vec<(&Table, &[Vec<Value>])> =
            batches.iter().map(|(t, r)| (*t, r.as_slice())).collect();
        let renumbered = to.write_rows(&refs)?;
        for ((t, rows), renumbered) in batches.iter().zip(renumbered) {
            let back = to.read_case_rows(t, case)?;
            reports.push(TableReport {
                case_name: case.clone(),
                table: t.name,
                source_rows: rows.len(),
                copied_rows: back.len(),
                source_sha256: checksum(t, rows),
                copied_sha256: checksum(t, &back),
                renumbered,
            });
        }
    }
    Ok(reports)
}

/// SHA-256 over rows (in the order given) without the serial id: each value tagged with its
/// kind and length, so no two different rows encode alike.
pub fn checksum(t: &Table, rows: &[Vec<Value>]) -> String {
    let skip = t
        .serial
        .and_then(|s| t.columns.iter().position(|(c, _)| *c == s));
    let mut h = Sha256::new();
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            if Some(i) == skip {
                continue;
            }
            match v {
                Value::Null => h.update([0u8]),
                Value::Int(n) => {
                    h.update([1u8]);
                    h.update(n.to_le_bytes());
                }
                Value::Text(s) => {
                    h.update([2u8]);
                    h.update((s.len() as u64).to_le_bytes());
                    h.update(s.as_bytes());
                }
                Value::Bytes(b) => {
                    h.update([3u8]);
                    h.update((b.len() as u64).to_le_bytes());
                    h.update(b);
                }
            }
        }
        h.update([0xffu8]);
    }
    let mut out = String::with_capacity(64);
    for b in h.finalize() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The `WHERE` clause selecting a case's rows of `t`, with the case as parameter `param`
/// (`?1` or `$1`).
pub fn case_filter(t: &Table, param: &str) -> String {
    match t.scope {
        Scope::Column(c) => format!("{c} = {param}"),
        Scope::SessionsOfCase => {
            format!("session_id IN (SELECT id FROM sessions WHERE case_name = {param})")
        }
    }
}

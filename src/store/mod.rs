//! Store: the SQLite file (WAL) of cases, ingest runs, sessions, detections, assessments and
//! corrections. The only module that imports rusqlite; the others see plain Rust types.

mod assessments;
mod cases;
mod corrections;
mod detections;
mod sessions;

use std::path::Path;

use rusqlite::Connection;

pub use assessments::AssessmentKey;
pub use cases::{CaseRow, FileState, IngestRun};
pub use corrections::{Correction, CorrectionKind, analyst_name};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite store {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("sqlite: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One connection to the store. Cheap to open; open one per worker thread.
pub struct Store {
    conn: Connection,
}

/// Each module adds its tables here; `CREATE … IF NOT EXISTS` keeps opening idempotent.
const SCHEMA: &[&str] = &[
    cases::SCHEMA,
    sessions::SCHEMA,
    detections::SCHEMA,
    corrections::SCHEMA,
    assessments::SCHEMA,
];

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        let err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        for sql in SCHEMA {
            conn.execute_batch(sql).map_err(err)?;
        }
        detections::migrate(&conn).map_err(err)?;
        Ok(Store { conn })
    }

    /// SQLite's own consistency check (`PRAGMA integrity_check`): the problems it names, none
    /// when the file is sound.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let rows: Vec<String> = rows.collect::<std::result::Result<_, _>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        for sql in SCHEMA {
            conn.execute_batch(sql)?;
        }
        Ok(Store { conn })
    }
}

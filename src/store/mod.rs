//! Store: cases, ingest runs, sessions, rule hits, assessments, corrections and the review
//! queue, in a SQLite file (one analyst, the default) or a PostgreSQL database (a team:
//! `--store postgres://…`). The only module that imports rusqlite or postgres; the others see
//! a [`Store`] handle and plain Rust types.

mod backend;
mod batch;
pub mod copy;
mod corrections;
mod postgres;
mod sessions;
mod sqlite;
mod types;

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use backend::{Backend, CorrectionWatch, SessionSink};
pub use batch::Batch;
pub use corrections::{Correction, CorrectionKind, Disagreement, analyst_name, disagreements};
pub use types::{
    AssessmentKey, CaseRow, CorrectionNotice, FileState, IngestRun, Lease, ReviewItem, holder_name,
};

use crate::model::Hit;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite store {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("sqlite: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("postgres store {location}: {source}")]
    Connect {
        location: String,
        source: ::postgres::Error,
    },
    #[error("postgres: {0}")]
    Pg(#[from] ::postgres::Error),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("store URL `{0}`: expected postgres://…, postgresql://…, sqlite://PATH or a file path")]
    Url(String),
    #[error(
        "store schema version {found} is newer than this lookout knows ({known}): upgrade lookout"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("store copy: {0}")]
    Copy(String),
    /// A PostgreSQL connection asked for while it reads sessions one at a time.
    #[error(
        "postgres store: this connection is busy reading sessions; use another connection inside a session scan"
    )]
    Busy,
    /// A streaming call stopped by its caller's error, which the `Store` handle returns in
    /// its place (never seen outside the store).
    #[error("stopped by the caller")]
    Stopped,
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Where a store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    /// A libpq-style URL, `postgres://user@host:port/db` or with `?host=/socket/dir`.
    Postgres(String),
}

impl StoreUrl {
    /// `postgres://…`/`postgresql://…`, `sqlite://PATH`, or a plain path to a SQLite file.
    pub fn parse(s: &str) -> Result<StoreUrl> {
        let s = s.trim();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(StoreUrl::Postgres(s.to_string()))
        } else if let Some(p) = s.strip_prefix("sqlite://") {
            Ok(StoreUrl::Sqlite(PathBuf::from(p)))
        } else if s.is_empty() || s.contains("://") {
            Err(StoreError::Url(s.to_string()))
        } else {
            Ok(StoreUrl::Sqlite(PathBuf::from(s)))
        }
    }
}

/// The team store chosen for this process (`--store`, `store.url`); unset means the data
/// dir's SQLite file. Process-wide because every command opens the store from the data dir
/// it is handed, through some forty call sites: the choice belongs to the process, like the
/// data dir itself, and is set once at start-up.
static TEAM_URL: OnceLock<StoreUrl> = OnceLock::new();

/// Makes every later [`Store::open_data_dir`] open `url`. Set once, at start-up; a second
/// call is refused (returns false).
pub fn set_default_url(url: StoreUrl) -> bool {
    TEAM_URL.set(url).is_ok()
}

/// The store this process uses for `data_dir`.
pub fn url_for(data_dir: &Path) -> StoreUrl {
    TEAM_URL
        .get()
        .cloned()
        .unwrap_or_else(|| StoreUrl::Sqlite(data_dir.join("lookout.db")))
}

/// One connection to a store. Cheap to open; open one per worker thread. Dereferences to the
/// backend, whose methods are the store's API.
pub struct Store {
    backend: Box<dyn Backend>,
}

impl Deref for Store {
    type Target = dyn Backend;
    fn deref(&self) -> &(dyn Backend + 'static) {
        &*self.backend
    }
}

impl DerefMut for Store {
    fn deref_mut(&mut self) -> &mut (dyn Backend + 'static) {
        &mut *self.backend
    }
}

impl Store {
    /// The SQLite file at `path` (created and migrated as needed).
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store {
            backend: Box::new(sqlite::Sqlite::open(path)?),
        })
    }

    /// The store at `url`, migrated to the current schema.
    pub fn connect(url: &StoreUrl) -> Result<Store> {
        Ok(match url {
            StoreUrl::Sqlite(p) => Store::open(p)?,
            StoreUrl::Postgres(u) => Store {
                backend: Box::new(postgres::Postgres::connect(u)?),
            },
        })
    }

    /// The store this process uses for `data_dir`: the team store when one was chosen, else
    /// the data dir's SQLite file.
    pub fn open_data_dir(data_dir: &Path) -> Result<Store> {
        Store::connect(&url_for(data_dir))
    }

    /// An in-memory SQLite store, for tests.
    pub fn in_memory() -> Result<Store> {
        Ok(Store {
            backend: Box::new(sqlite::Sqlite::in_memory()?),
        })
    }

    /// The hits on these events (a session's), through the primary key: a session view must
    /// not read every hit of a large case.
    pub fn hits_on<'a>(
        &self,
        case: &str,
        event_ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<Hit>> {
        let ids: Vec<&str> = event_ids.into_iter().collect();
        self.backend.hits_on_ids(case, &ids)
    }

    /// The correction in force per session (the latest), for a case or all cases.
    pub fn latest_corrections(&self, case: Option<&str>) -> Result<Vec<Correction>> {
        Ok(corrections::latest(self.corrections(case)?))
    }
}

/// Current time as the stores write it.
pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339()
}

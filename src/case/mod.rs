//! A case: one investigation under the data dir, tying the event index, the store, rule
//! detections and sessions together. The CLI and the workbench both work through it.
//!
//! Here the facade (open, list, sessions, timelines, search, summary); the ingest loop, which
//! feeds the index, the rules and the store from one pass over the files, is in `ingest`.

mod ingest;
mod read_as;
mod sessionize;
mod verdicts;

pub use verdicts::InstantVerdicts;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::detect::{Hit, RuleSet};
use crate::fsutil::{self, validate_name};
use crate::index::{IndexBackend, Order, SearchHits};
use crate::sessions::{self, Session};
use crate::store::{Store, StoreUrl};

pub(crate) use self::ingest::release_freed_memory;
pub use self::ingest::{
    INGEST_WRITER_MEMORY, INGEST_WRITER_THREADS, IngestProgress, IngestStage, IngestSummary,
    SharedProgress,
};
/// The ground truth [`Case::ingest`] attaches to files; its home is `ingest::labels`.
pub use crate::ingest::FileLabels;

pub struct Case {
    pub name: String,
    pub data_dir: PathBuf,
    /// The case's events: the local tantivy index, or the team's OpenSearch cluster.
    pub index: Box<dyn IndexBackend>,
    pub store: Store,
}

/// A case as `lookout cases` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub name: String,
    pub events: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub formats: BTreeMap<String, u64>,
    pub hosts: u64,
    pub sessions: u64,
    pub files: u64,
}

/// The data dir's SQLite store (the team store, when one is chosen, is elsewhere:
/// [`crate::store::url_for`]).
pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("lookout.db")
}

pub fn index_dir(data_dir: &Path, case: &str) -> PathBuf {
    data_dir.join("cases").join(case).join("index")
}

/// Says on stderr that an existing file or folder was readable by others and is not any more.
fn notice_tightened(path: &Path, old_mode: Option<u32>) {
    if let Some(old) = old_mode {
        eprintln!(
            "lookout: {} was mode {old:o}, readable by other users; now owner-only",
            path.display()
        );
    }
}

impl Case {
    pub fn open(data_dir: &Path, name: &str) -> Result<Case> {
        validate_name("case", name)?;
        let tightened = fsutil::private_dir(data_dir)
            .with_context(|| format!("creating data dir {}", data_dir.display()))?;
        notice_tightened(data_dir, tightened);
        let store = match crate::store::url_for(data_dir) {
            StoreUrl::Sqlite(db) => {
                let existed = db.exists();
                let store = Store::open(&db)?;
                // SQLite gives its -wal and -shm files the database file's mode.
                let tightened = fsutil::private_file(&db)
                    .with_context(|| format!("restricting {}", db.display()))?;
                // A database just created with the process's umask is no news.
                notice_tightened(&db, tightened.filter(|_| existed));
                store
            }
            team => Store::connect(&team)?,
        };
        store.ensure_case(name)?;
        let index = crate::index::open_case(&index_dir(data_dir, name), name)?;
        Ok(Case {
            name: name.to_string(),
            data_dir: data_dir.to_path_buf(),
            index,
            store,
        })
    }

    /// Names of the cases in the data dir.
    pub fn names(data_dir: &Path) -> Result<Vec<String>> {
        let url = crate::store::url_for(data_dir);
        if matches!(&url, StoreUrl::Sqlite(db) if !db.exists()) {
            return Ok(Vec::new());
        }
        let store = Store::connect(&url)?;
        Ok(store.cases()?.into_iter().map(|c| c.name).collect())
    }

    /// Re-runs `rules` over every stored event, replacing the stored hits, then sessions.
    pub fn redetect(&mut self, rules: &RuleSet, config: &Config) -> Result<Vec<Hit>> {
        // The hits and sessions replace the whole case's: from part of it they would lose
        // the rest (team mode, where another analyst ingested files this index lacks).
        let missing = self.files_not_held()?;
        anyhow::ensure!(
            missing.is_empty(),
            "this machine's index lacks {} file(s) of case `{}` that another analyst \
             ingested ({}): ingest them here before re-running the rules",
            missing.len(),
            self.name,
            some_files(&missing)
        );
        let mut hits = Vec::new();
        let mut correlator = rules.correlator();
        self.index
            .for_each_event(|ev| rules.matches_correlating(&ev, &mut hits, &mut correlator))?;
        hits.extend(correlator.finish().iter().flat_map(Hit::per_event));
        self.store.replace_hits(&self.name, &hits)?;
        self.refresh_sessions(config)?;
        Ok(hits)
    }

    /// The read-only view of this case that the stages above `sessions` take; its events,
    /// hits and timelines are read through it (the facade does not repeat them).
    pub fn view(&self) -> sessions::CaseView<'_> {
        sessions::CaseView {
            name: &self.name,
            index: &*self.index,
            store: &self.store,
        }
    }

    pub fn sessions(&self) -> Result<Vec<Session>> {
        Ok(self.view().sessions()?)
    }

    /// A session by id or unique id prefix.
    pub fn session(&self, id: &str) -> Result<Session> {
        Ok(self.view().session(id)?)
    }

    pub fn search(&self, query: &str, limit: usize, order: Order) -> Result<SearchHits> {
        Ok(self.index.search(query, limit, order)?)
    }

    pub fn summary(&self) -> Result<CaseSummary> {
        let mut formats: BTreeMap<String, u64> = BTreeMap::new();
        let mut hosts = std::collections::HashSet::new();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        let mut events = 0u64;
        // A chunk at a time: a large case's metadata does not fit in memory.
        self.index.for_each_meta(1 << 16, |chunk| {
            for m in &chunk {
                events += 1;
                if let Some(f) = &m.format {
                    *formats.entry(f.to_string()).or_default() += 1;
                }
                if let Some(h) = &m.host {
                    hosts.insert(h.to_string());
                }
                if let Some(t) = m.ts {
                    first = first.min(t);
                    last = last.max(t);
                }
            }
            Ok::<_, anyhow::Error>(())
        })?;
        let mut sessions = 0u64;
        self.store.for_each_session(&self.name, |_| {
            sessions += 1;
            Ok::<_, anyhow::Error>(())
        })?;
        let time = |t: i64| {
            (t != i64::MAX && t != i64::MIN)
                .then(|| Utc.timestamp_micros(t).single())
                .flatten()
        };
        Ok(CaseSummary {
            name: self.name.clone(),
            events,
            first: time(first),
            last: time(last),
            formats,
            hosts: hosts.len() as u64,
            sessions,
            files: self
                .store
                .runs(&self.name)?
                .iter()
                .filter(|r| r.complete)
                .count() as u64,
        })
    }
}

/// The first few of `files` for a message, and how many more (a case may lack thousands).
fn some_files(files: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = files
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > SHOWN {
        text.push_str(&format!(" and {} more", files.len() - SHOWN));
    }
    text
}

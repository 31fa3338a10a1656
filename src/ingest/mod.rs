//! Ingest: read log files of many kinds, detect their format and normalise each record.
//! (Interface placeholder in the lead's branch; the parsers land from the `ingest` branch.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::event::{Event, Format, Label};

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub format: Option<Format>,
    pub label: Option<Label>,
    pub max_line_bytes: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { format: None, label: None, max_line_bytes: 1 << 20 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    Unreadable,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        "unreadable"
    }
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub source: String,
    pub offset: u64,
    pub reason: SkipReason,
    pub detail: String,
}

impl Problem {
    pub fn unreadable(path: &Path, e: &std::io::Error) -> Problem {
        Problem { source: path.display().to_string(), offset: 0, reason: SkipReason::Unreadable, detail: e.to_string() }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}: {}: {}", self.source, self.offset, self.reason.as_str(), self.detail)
    }
}

#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub source: String,
    pub format: Option<Format>,
    pub events: u64,
    pub skipped: BTreeMap<String, u64>,
    pub problems: Vec<Problem>,
    pub bytes: u64,
}

pub fn expand_paths(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Problem>) {
    (paths.to_vec(), Vec::new())
}

pub fn read_file(_path: &Path, _opts: &IngestOptions, _sink: &mut dyn FnMut(Event)) -> Vec<FileReport> {
    Vec::new()
}

//! What ingest tells its caller besides events: problems with one record or file, counted by
//! reason and kept (a bounded number of them) with their file and offset.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::event::Format;

/// At most this many problems are kept per source; every one is still counted.
pub const MAX_PROBLEMS_PER_FILE: usize = 100;

/// Why a record or a file was skipped, cut or repaired.
///
/// `InvalidUtf8` and `LineTooLong` are repairs, not losses: the record is still ingested
/// (decoded lossily with U+FFFD, or cut at `max_line_bytes`) and only counted, see
/// [`SkipReason::is_repair`]. Every other reason means something was not ingested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Bytes that are not valid UTF-8 (or UTF-16 that does not decode): replaced, ingested.
    InvalidUtf8,
    /// A line longer than `max_line_bytes`: cut, ingested.
    LineTooLong,
    /// One record that its format cannot parse (JSON, CSV, EVTX record…): skipped.
    BadRecord,
    /// An EVTX chunk (or the file header) that cannot be read: its records are lost.
    CorruptChunk,
    /// The file is not text and not a known binary log: skipped.
    Binary,
    /// The file or path cannot be opened or read.
    Unreadable,
    /// The file holds no bytes (or only blank lines).
    Empty,
    /// A gzip or zip container that cannot be read (the part read before is kept).
    BadArchive,
    /// A file too large for a format that needs it in memory (EVTX inside an archive).
    TooLarge,
}

impl SkipReason {
    pub const ALL: [SkipReason; 9] = [
        SkipReason::InvalidUtf8,
        SkipReason::LineTooLong,
        SkipReason::BadRecord,
        SkipReason::CorruptChunk,
        SkipReason::Binary,
        SkipReason::Unreadable,
        SkipReason::Empty,
        SkipReason::BadArchive,
        SkipReason::TooLarge,
    ];

    /// The snake_case name used as a JSON key in ingest summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::InvalidUtf8 => "invalid_utf8",
            SkipReason::LineTooLong => "line_too_long",
            SkipReason::BadRecord => "bad_record",
            SkipReason::CorruptChunk => "corrupt_chunk",
            SkipReason::Binary => "binary",
            SkipReason::Unreadable => "unreadable",
            SkipReason::Empty => "empty",
            SkipReason::BadArchive => "bad_archive",
            SkipReason::TooLarge => "too_large",
        }
    }

    /// True when the record was still ingested (repaired) rather than lost.
    pub fn is_repair(self) -> bool {
        matches!(self, SkipReason::InvalidUtf8 | SkipReason::LineTooLong)
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem with one record or file, reported with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub source: String,
    /// Byte offset of the line (line formats, in the decoded text), record number (EVTX),
    /// or 0 for a whole-file problem.
    pub offset: u64,
    pub reason: SkipReason,
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}: {}: {}",
            self.source, self.offset, self.reason, self.detail
        )
    }
}

/// What happened to one source (a file, or one member of an archive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReport {
    pub source: String,
    /// The format the source was read as; `None` when it was skipped before that.
    pub format: Option<Format>,
    /// Events handed to the sink.
    pub events: u64,
    /// Problems counted by [`SkipReason::as_str`] (repairs included, see [`SkipReason`]).
    pub skipped: BTreeMap<String, u64>,
    /// The first [`MAX_PROBLEMS_PER_FILE`] problems, in file order.
    pub problems: Vec<Problem>,
    /// Bytes read from the source (after decompression).
    pub bytes: u64,
}

impl FileReport {
    pub fn new(source: impl Into<String>) -> Self {
        FileReport {
            source: source.into(),
            ..Default::default()
        }
    }

    /// Counts a problem and keeps it while fewer than [`MAX_PROBLEMS_PER_FILE`] are kept.
    pub fn problem(&mut self, offset: u64, reason: SkipReason, detail: impl Into<String>) {
        *self.skipped.entry(reason.as_str().to_string()).or_insert(0) += 1;
        if self.problems.len() < MAX_PROBLEMS_PER_FILE {
            self.problems.push(Problem {
                source: self.source.clone(),
                offset,
                reason,
                detail: detail.into(),
            });
        }
    }

    /// How many problems of `reason` were counted.
    pub fn count(&self, reason: SkipReason) -> u64 {
        self.skipped.get(reason.as_str()).copied().unwrap_or(0)
    }

    /// Problems that lost data (repairs excluded).
    pub fn lost(&self) -> u64 {
        SkipReason::ALL
            .iter()
            .filter(|r| !r.is_repair())
            .map(|r| self.count(*r))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_counted_all_but_kept_bounded() {
        let mut r = FileReport::new("f.log");
        for i in 0..(MAX_PROBLEMS_PER_FILE as u64 + 20) {
            r.problem(i, SkipReason::BadRecord, "bad");
        }
        r.problem(0, SkipReason::LineTooLong, "cut");
        assert_eq!(
            r.count(SkipReason::BadRecord),
            MAX_PROBLEMS_PER_FILE as u64 + 20
        );
        assert_eq!(r.problems.len(), MAX_PROBLEMS_PER_FILE);
        assert_eq!(r.lost(), MAX_PROBLEMS_PER_FILE as u64 + 20);
        assert_eq!(r.skipped["line_too_long"], 1);
    }

    #[test]
    fn reason_names_are_snake_case_and_match_serde() {
        for r in SkipReason::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
    }
}

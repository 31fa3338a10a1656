//! Ingest: read log files of many kinds, detect their format by content and normalise each
//! record into one [`Event`].
//!
//! Entry points: [`expand_paths`] (files and folders to the files to read), [`read_file`]
//! (one file, plain, `.gz` or `.zip`, events to a sink in file order, a [`FileReport`] per
//! source) and [`detect_format`]. Nothing here panics on input or stops on a bad record:
//! problems are counted by [`SkipReason`] and the first ones kept with their offsets.
//!
//! [`FileLabels`] is the ground truth attached to input files (`ingest --labels`).
//!
//! Layout: `source` opens and unwraps inputs, `reader` handles bytes (lines, encodings),
//! `detect` sniffs formats, `lines` drives line parsers (in parallel batches), `jsondoc`
//! splits whole JSON documents, `expansion` refuses decompression bombs, and one file
//! per format: `evtx`, `winjson` (+ `windows`, `wintable` shared with EVTX), `zeek`,
//! `suricata`, `slips`, `binetflow`, `json`, `syslog` (+ `authlog`), `auditd` (+
//! `auditd_record`, `auditd_syscalls`), `web`, `apache_error`, `csv`, `text`.

mod apache_error;
mod auditd;
mod auditd_record;
mod auditd_syscalls;
mod authlog;
mod binetflow;
mod csv;
mod csv_cap;
mod detect;
mod evtx;
mod expansion;
mod json;
mod jsondoc;
mod jsonflat;
mod labels;
mod lines;
mod parser;
mod paths;
mod reader;
mod report;
mod slips;
mod source;
mod suricata;
mod syslog;
mod text;
mod time;
mod web;
mod windows;
mod winjson;
mod wintable;
mod zeek;

use std::path::Path;

pub use detect::detect_format;
pub use expansion::ExpansionLimit;
pub use labels::FileLabels;
pub use paths::expand_paths;
pub use report::{FileReport, MAX_PROBLEMS_PER_FILE, Problem, SkipReason};

use crate::event::{Event, Format, Label};

/// How to read inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOptions {
    /// Read every file as this format instead of detecting it (archives are still opened).
    pub format: Option<Format>,
    /// Ground truth given to every event read.
    pub label: Option<Label>,
    /// Longer lines are cut to this many bytes (counted as `line_too_long`, still ingested);
    /// a longer JSON record (a line, or an element of a JSON document) is refused whole
    /// (`bad_record`), since half a record does not parse.
    pub max_line_bytes: usize,
    /// How far a gzip or zip may expand before it is refused as a decompression bomb.
    pub expansion: ExpansionLimit,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            format: None,
            label: None,
            max_line_bytes: 1 << 20,
            expansion: ExpansionLimit::default(),
        }
    }
}

impl Problem {
    /// A path that could not be opened or read.
    pub fn unreadable(path: &Path, e: &std::io::Error) -> Problem {
        Problem {
            source: path.display().to_string(),
            offset: 0,
            reason: SkipReason::Unreadable,
            detail: e.to_string(),
        }
    }
}

/// Reads one input file: plain, `.gz` or `.zip` (each member its own source,
/// `archive.zip!member`, nested archives followed a few levels), decoded (UTF-8, UTF-8 or
/// UTF-16 with BOM, BOM-less UTF-16), its format detected by content (or taken from
/// `opts.format`); `sink` gets every event in file order. Never panics on input; returns
/// one report per source read (an archive also gets one for itself when it has problems).
pub fn read_file(
    path: &Path,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Event),
) -> Vec<FileReport> {
    source::read_file(path, opts, sink)
}

/// Reads `bytes` as if they were the content of a file named `name` (the name is only a hint
/// for detection, as for files): for inputs that are not on disk, and for fuzzing.
pub fn read_bytes(
    name: &str,
    bytes: &[u8],
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Event),
) -> Vec<FileReport> {
    source::read_bytes(name, bytes, opts, sink)
}

/// Reads one file and collects its events: a convenience for tests and small inputs.
pub fn read_file_to_vec(path: &Path, opts: &IngestOptions) -> (Vec<Event>, Vec<FileReport>) {
    let mut events = Vec::new();
    let reports = read_file(path, opts, &mut |e| events.push(e));
    (events, reports)
}

//! Labels files: ground truth for sessions from a TSV, matched by session id, source path glob
//! or host + time range (the project's `sample_logs/labels.tsv`).
//!
//! One format covers both: a header line names the columns, in any order.
//! - selector, the first non-empty of: `session` (id), `path` (glob over source files),
//!   `host` (+ optional `user`, `start`, `end`);
//! - label: `cause` (or `label` as `CAUSE[:T1,T2]`), optional `techniques`, `risk`, `story`.
//!
//! Rows are tried in order and the first match wins. Bad rows are kept as counted problems
//! (one typo does not void the file); a missing column is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::glob::Glob;
use super::split::host_key;
use super::types::split_techniques;
use crate::event::{Cause, Label, Risk};
use crate::sessions::{AccountTries, Session};

#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    #[error("reading labels file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("labels file {path}: {reason}")]
    Format { path: PathBuf, reason: String },
}

/// Which sessions a row applies to.
#[derive(Debug, Clone)]
pub enum Selector {
    Session(String),
    /// Sessions with at least one event read from a matching source file.
    Path(Glob),
    HostTime {
        /// `None` for `*` (any host).
        host: Option<String>,
        /// `None`: any user.
        user: Option<String>,
        /// `None`: unbounded on that side.
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    },
}

#[derive(Debug, Clone)]
pub struct LabelRow {
    /// 1-based line number in the file.
    pub line: usize,
    pub selector: Selector,
    pub label: Label,
    pub story: Option<String>,
}

/// A row that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: usize,
    pub reason: String,
}

/// What a row is matched against: a session seen through the fields labels can name.
#[derive(Debug, Clone, Copy)]
pub struct SessionRef<'a> {
    pub id: &'a str,
    pub host: &'a str,
    pub user: Option<&'a str>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Source files of the session's events (empty when unknown: path rows never match).
    pub sources: &'a [String],
    /// Accounts a remote source's session authenticated as: a user row names any of them.
    pub accounts: &'a BTreeMap<String, AccountTries>,
}

impl<'a> SessionRef<'a> {
    pub fn new(session: &'a Session, sources: &'a [String]) -> SessionRef<'a> {
        SessionRef {
            id: &session.id,
            host: &session.host,
            user: session.user.as_deref(),
            start: session.start,
            end: session.end,
            sources,
            accounts: &session.accounts,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LabelTable {
    pub rows: Vec<LabelRow>,
    pub problems: Vec<RowProblem>,
}

impl LabelTable {
    pub fn read(path: &Path) -> Result<LabelTable, LabelsError> {
        let text = std::fs::read_to_string(path).map_err(|source| LabelsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        LabelTable::parse(&text).map_err(|reason| LabelsError::Format {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses the text of a labels file; `Err` only when the header is unusable.
    pub fn parse(text: &str) -> Result<LabelTable, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
        let (_, header) = lines.next().ok_or("empty file: expected a header line")?;
        let cols = Columns::from_header(header)?;
        let mut table = LabelTable::default();
        for (line, text) in lines {
            let fields: Vec<&str> = text.split('\t').map(str::trim).collect();
            match cols.row(&fields) {
                Ok((selector, label, story)) => table.rows.push(LabelRow {
                    line,
                    selector,
                    label,
                    story,
                }),
                Err(reason) => table.problems.push(RowProblem { line, reason }),
            }
        }
        Ok(table)
    }

    /// The first row that applies to the session.
    pub fn lookup(&self, s: &SessionRef<'_>) -> Option<&LabelRow> {
        self.rows.iter().find(|r| selector_matches(&r.selector, s))
    }
}

fn selector_matches(sel: &Selector, s: &SessionRef<'_>) -> bool {
    match sel {
        Selector::Session(id) => id == s.id,
        Selector::Path(glob) => s.sources.iter().any(|src| glob.matches(src)),
        Selector::HostTime {
            host,
            user,
            start,
            end,
        } => {
            host.as_deref().is_none_or(|h| host_matches(h, s.host))
                && user.as_deref().is_none_or(|u| {
                    s.user.is_some_and(|su| user_matches(u, su))
                        || s.accounts.keys().any(|a| user_matches(u, a))
                })
                && start.is_none_or(|st| s.end >= st)
                && end.is_none_or(|en| s.start <= en)
        }
    }
}

/// Case-insensitive; a name without a domain also matches the short name of a fully
/// qualified one (`WS01` matches `WS01.corp.local`, and the other way round).
pub fn host_matches(row: &str, session: &str) -> bool {
    let (r, s) = (row.trim(), session.trim());
    if r.eq_ignore_ascii_case(s) {
        return true;
    }
    let bare = |h: &str| !h.contains('.') || h.parse::<std::net::IpAddr>().is_ok();
    (bare(r) || bare(s)) && host_key(r) == host_key(s)
}

/// Case-insensitive, ignoring a domain (`CORP\bob`, `bob@corp.local` and `bob` are one user).
pub fn user_matches(row: &str, session: &str) -> bool {
    let bare = |u: &str| {
        let u = u.trim();
        let u = u.rsplit_once('\\').map_or(u, |(_, name)| name);
        u.split_once('@')
            .map_or(u, |(name, _)| name)
            .to_ascii_lowercase()
    };
    row.trim().eq_ignore_ascii_case(session.trim()) || bare(row) == bare(session)
}

/// Column positions found in the header.
struct Columns {
    session: Option<usize>,
    path: Option<usize>,
    host: Option<usize>,
    user: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    cause: Option<usize>,
    label: Option<usize>,
    techniques: Option<usize>,
    risk: Option<usize>,
    story: Option<usize>,
}

impl Columns {
    fn from_header(header: &str) -> Result<Columns, String> {
        let names: Vec<String> = header
            .split('\t')
            .map(|n| n.trim().to_ascii_lowercase())
            .collect();
        let at = |n: &str| names.iter().position(|x| x == n);
        let c = Columns {
            session: at("session").or_else(|| at("session_id")),
            path: at("path").or_else(|| at("file")),
            host: at("host"),
            user: at("user"),
            start: at("start"),
            end: at("end"),
            cause: at("cause"),
            label: at("label"),
            techniques: at("techniques"),
            risk: at("risk"),
            story: at("story"),
        };
        if c.session.is_none() && c.path.is_none() && c.host.is_none() {
            return Err(format!(
                "header `{}` names no `session`, `path` or `host` column",
                header.trim()
            ));
        }
        if c.cause.is_none() && c.label.is_none() {
            return Err(format!(
                "header `{}` names no `cause` or `label` column",
                header.trim()
            ));
        }
        Ok(c)
    }

    fn row(&self, f: &[&str]) -> Result<(Selector, Label, Option<String>), String> {
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).copied().filter(|v| !v.is_empty());
        let mut label = match (get(self.cause), get(self.label)) {
            (Some(c), _) => Label {
                cause: c.parse::<Cause>()?,
                techniques: Vec::new(),
                risk: None,
            },
            (None, Some(l)) => l.parse::<Label>()?,
            (None, None) => return Err("no cause".into()),
        };
        if let Some(t) = get(self.techniques) {
            label.techniques = split_techniques(t);
        }
        if let Some(r) = get(self.risk) {
            label.risk = Some(r.parse::<Risk>()?);
        }
        let selector = if let Some(id) = get(self.session) {
            Selector::Session(id.to_string())
        } else if let Some(p) = get(self.path) {
            Selector::Path(Glob::new(p).map_err(|e| format!("bad path glob `{p}`: {e}"))?)
        } else if let Some(h) = get(self.host) {
            let time = |i: Option<usize>, what: &str| -> Result<Option<DateTime<Utc>>, String> {
                get(i)
                    .map(|v| {
                        DateTime::parse_from_rfc3339(v)
                            .map(|t| t.with_timezone(&Utc))
                            .map_err(|e| format!("bad {what} time `{v}` (RFC 3339 expected): {e}"))
                    })
                    .transpose()
            };
            let (start, end) = (time(self.start, "start")?, time(self.end, "end")?);
            if let (Some(s), Some(e)) = (start, end)
                && s > e
            {
                return Err(format!("start {s} is after end {e}"));
            }
            Selector::HostTime {
                host: (h != "*").then(|| h.to_string()),
                user: get(self.user).map(str::to_string),
                start,
                end,
            }
        } else {
            return Err("no session, path or host: the row selects nothing".into());
        };
        Ok((selector, label, get(self.story).map(str::to_string)))
    }
}

#[cfg(test)]
#[path = "labels_tests.rs"]
mod tests;

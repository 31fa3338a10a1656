//! The one message type entering the UI loop, and the commands `update` hands to workers.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use super::backend::{AssessPriority, AssessUpdate, ProgressSnapshot};
use super::highlight::HlLine;
use crate::detect::Hit;
use crate::event::{Event, Format};
use crate::model::Candidate;
use crate::sessions::{Session, Timeline};
use crate::store::Correction;
use crate::text::one_line;

/// Everything that can change the workbench's state.
// Messages are moved once from a worker to the loop; boxing the big ones buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Periodic: carries the background-work counters read from the shared atomics.
    Tick(ProgressSnapshot),
    /// A signal (SIGTERM, SIGHUP) asks to quit.
    Quit,
    SessionsLoaded(Result<Loaded, String>),
    SessionLoaded {
        request: u64,
        result: Result<Box<SessionData>, String>,
    },
    SearchDone {
        request: u64,
        result: Result<SearchResult, String>,
    },
    Located {
        request: u64,
        event_id: String,
        session_id: Option<String>,
    },
    Highlighted {
        request: u64,
        event_id: String,
        lines: Vec<HlLine>,
    },
    CorrectionSaved {
        request: u64,
        result: Result<Correction, String>,
    },
    Assess(AssessUpdate),
    /// Corrections saved by other processes (other analysts on a team store), oldest first.
    CorrectionsArrived(Vec<Correction>),
}

/// The case as loaded at start-up.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub sessions: Vec<Session>,
    /// Every correction of the case, oldest first (the latest per session is in force).
    pub corrections: Vec<Correction>,
}

/// One opened session: its timeline (condensed or full), member events and rule hits.
#[derive(Debug, Clone)]
pub struct SessionData {
    pub session: Session,
    pub full: bool,
    pub timeline: Timeline,
    pub events: Vec<Event>,
    pub hits: Vec<Hit>,
    /// Technique candidates from procedure knowledge (as `lookout show` lists them).
    pub candidates: Vec<Candidate>,
    /// Why there are none, when the retrieval index could not be loaded.
    pub candidates_error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchResult {
    pub query: String,
    /// All matches, not only those returned.
    pub total: usize,
    pub hits: Vec<SearchHit>,
}

/// A search hit, reduced to what the hits list, histogram and jump need.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub event_id: String,
    pub key: u64,
    pub time: Option<DateTime<Utc>>,
    pub host: Option<String>,
    pub user: Option<String>,
    pub format: Format,
    /// Sanitised one-line message.
    pub text: String,
}

impl SearchHit {
    /// The hit for a found event, its message sanitised to one line.
    pub fn of(e: &Event) -> SearchHit {
        SearchHit {
            event_id: e.id.clone(),
            key: e.key(),
            time: e.timestamp,
            host: e.host.clone(),
            user: e.user.clone(),
            format: e.format,
            text: one_line(&e.message, 400),
        }
    }
}

/// Work for the workers; each result comes back as a [`Msg`] carrying the same `request`.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    LoadSessions,
    LoadSession {
        request: u64,
        session_id: String,
        full: bool,
    },
    Search {
        request: u64,
        query: String,
        limit: usize,
    },
    /// Find the session whose members include this event.
    Locate {
        request: u64,
        hit: SearchHit,
    },
    Highlight {
        request: u64,
        event_id: String,
        format: Format,
        raw: String,
    },
    SaveCorrection {
        request: u64,
        correction: Correction,
    },
    Assess {
        session_id: String,
        request: u64,
        priority: AssessPriority,
    },
    CancelAssess {
        session_id: String,
    },
    LoadCachedAssessments {
        session_ids: Vec<String>,
    },
    Quit,
}

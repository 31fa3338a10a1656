//! The workbench's whole state: what `update` changes and views read.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::backend::{NoTechniques, ProgressSnapshot, TechniqueLookup};
use super::keymap::Keymap;
use super::layout;
use super::state::assess::AssessEntry;
use super::state::detail::DetailState;
use super::state::form::CorrectionForm;
use super::state::queue::BackgroundQueue;
use super::state::review::ReviewState;
use super::state::search::SearchState;
use super::state::sessions::{SessionsState, Shown, shown};
use super::theme::Theme;
use crate::sessions::Session;
use crate::store::Correction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Sessions,
    Session,
    Search,
    Review,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Info(String),
    Error(String),
}

pub struct App {
    pub case_name: String,
    pub theme: Theme,
    pub keymap: Keymap,
    pub lookup: Arc<dyn TechniqueLookup>,
    /// Stamps corrections; fixed in tests so `update` is deterministic.
    pub clock: fn() -> DateTime<Utc>,
    pub analyst: String,
    /// Terminal size: page sizes and mouse hit tests use the same layout as the views.
    pub size: (u16, u16),
    /// Screens opened so far; the last is shown, `back` pops.
    pub stack: Vec<Screen>,
    pub help: bool,
    pub help_scroll: usize,
    pub sessions: SessionsState,
    /// The correction in force per session (the latest stored one).
    pub reviews: HashMap<String, Correction>,
    pub assess: HashMap<String, AssessEntry>,
    /// Sessions waiting for a background assessment (`A`), sent one at a time by severity.
    pub queue: BackgroundQueue,
    pub detail: Option<DetailState>,
    pub search: SearchState,
    pub form: Option<CorrectionForm>,
    pub review: Option<ReviewState>,
    /// Opened as `lookout review`: leaving the queue quits.
    pub review_only: bool,
    /// Queue the sessions the model has not judged as soon as the case is loaded (`ui.
    /// auto_assess`, and only when the backend runs a model).
    pub auto_assess: bool,
    pub progress: ProgressSnapshot,
    pub status: Option<Status>,
    pub next_request: u64,
    pub quit: bool,
}

impl App {
    pub fn new(case_name: &str, theme: Theme, keymap: Keymap) -> App {
        App {
            case_name: case_name.to_string(),
            theme,
            keymap,
            lookup: Arc::new(NoTechniques),
            clock: Utc::now,
            analyst: crate::store::analyst_name(),
            size: (80, 24),
            stack: vec![Screen::Sessions],
            help: false,
            help_scroll: 0,
            sessions: SessionsState::default(),
            reviews: HashMap::new(),
            assess: HashMap::new(),
            queue: BackgroundQueue::default(),
            detail: None,
            search: SearchState::default(),
            form: None,
            review: None,
            review_only: false,
            auto_assess: false,
            progress: ProgressSnapshot::default(),
            status: None,
            next_request: 1,
            quit: false,
        }
    }

    pub fn screen(&self) -> Screen {
        self.stack.last().copied().unwrap_or(Screen::Sessions)
    }

    pub fn push(&mut self, s: Screen) {
        if self.screen() != s {
            self.stack.push(s);
        }
    }

    /// A fresh request id: every request carries one so that stale results can be dropped.
    pub fn request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    pub fn shown(&self, s: &Session) -> Shown {
        shown(s, self.assess.get(&s.id), self.reviews.get(&s.id))
    }

    /// Recomputes the sessions view after anything it depends on changed.
    pub fn rebuild_view(&mut self) {
        let height = layout::sessions_rows(self.size);
        let assess = &self.assess;
        let reviews = &self.reviews;
        let f = |s: &Session| shown(s, assess.get(&s.id), reviews.get(&s.id));
        self.sessions.rebuild(&f, height);
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status::Info(text.into()));
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status::Error(text.into()));
    }
}

//! What the workbench knows about each session's assessment: state, streamed tokens, result.

use crate::assess::{AssessState, Assessment};
use crate::tui::backend::AssessUpdate;

/// The streamed text kept per session (the tail, enough to watch the model write).
const MAX_TOKENS_TEXT: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct AssessEntry {
    pub state: AssessState,
    /// The latest request made for this session (0 = none: only cached results apply).
    pub request: u64,
    /// Text generated so far by the running assessment.
    pub tokens: String,
    pub assessment: Option<Assessment>,
    pub error: Option<String>,
}

impl Default for AssessEntry {
    fn default() -> Self {
        AssessEntry {
            state: AssessState::NotAssessed,
            request: 0,
            tokens: String::new(),
            assessment: None,
            error: None,
        }
    }
}

impl AssessEntry {
    /// Applies an update unless it answers an older request than the latest; returns whether
    /// it was applied.
    pub fn apply(&mut self, u: AssessUpdate) -> bool {
        if u.request < self.request {
            // A stored verdict (the instant one from ingest) that arrives after a newer request
            // was made shows until that request answers; the request goes on.
            let stored = u.request == 0 && u.state == AssessState::FromCache;
            if stored && self.assessment.is_none() && u.assessment.is_some() {
                self.assessment = u.assessment;
                return true;
            }
            return false;
        }
        if u.request > self.request {
            // A newer request than we know (e.g. the backend re-queued): follow it.
            self.request = u.request;
            self.tokens.clear();
        }
        if u.state == AssessState::Queued {
            self.tokens.clear();
            self.error = None;
        }
        self.state = u.state;
        if let Some(t) = u.tokens {
            self.tokens.push_str(&t);
            if self.tokens.len() > MAX_TOKENS_TEXT {
                let cut = self.tokens.len() - MAX_TOKENS_TEXT;
                let cut = (cut..self.tokens.len())
                    .find(|&i| self.tokens.is_char_boundary(i))
                    .unwrap_or(0);
                self.tokens.drain(..cut);
            }
        }
        if let Some(a) = u.assessment {
            self.assessment = Some(a);
            self.error = None;
        }
        if u.error.is_some() {
            self.error = u.error;
        }
        true
    }

    /// Marks a new request as queued (before the backend confirms).
    pub fn requested(&mut self, request: u64) {
        self.request = request;
        self.state = AssessState::Queued;
        self.tokens.clear();
        self.error = None;
    }

    pub fn is_busy(&self) -> bool {
        matches!(self.state, AssessState::Queued | AssessState::Running)
    }
}

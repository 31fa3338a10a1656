//! A read-only view of one case's stored sessions, their events and rule hits: what the stages
//! above `sessions` (assess, learn, eval) read from a case. The `case` facade hands one out
//! ([`crate::case::Case::view`]); the stages never import the facade itself.

use std::collections::BTreeSet;

use super::timeline;
use crate::event::Event;
use crate::index::{IndexBackend, IndexError};
use crate::model::{Hit, Session, Timeline};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("no session `{id}` in case `{case}` (or the prefix is ambiguous)")]
    NoSession { id: String, case: String },
}

pub type Result<T> = std::result::Result<T, ViewError>;

#[derive(Clone, Copy)]
pub struct CaseView<'a> {
    pub name: &'a str,
    pub index: &'a dyn IndexBackend,
    pub store: &'a Store,
}

impl<'a> CaseView<'a> {
    pub fn sessions(&self) -> Result<Vec<Session>> {
        Ok(self.store.sessions(self.name)?)
    }

    /// Each stored session in start order, read one at a time: a large case has millions.
    pub fn for_each_session<E: From<StoreError>>(
        &self,
        each: impl FnMut(Session) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.store.for_each_session(self.name, each)
    }

    /// A session by id or unique id prefix.
    pub fn session(&self, id: &str) -> Result<Session> {
        self.store
            .session(self.name, id)?
            .ok_or_else(|| ViewError::NoSession {
                id: id.to_string(),
                case: self.name.to_string(),
            })
    }

    /// The session's events in time order.
    pub fn session_events(&self, session: &Session) -> Result<Vec<Event>> {
        let keys = self.store.session_members(self.name, &session.id)?;
        Ok(self.index.events_by_keys(&keys)?)
    }

    /// Rule hits on the session's events.
    pub fn session_hits(&self, events: &[Event]) -> Result<Vec<Hit>> {
        let ids: BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
        Ok(self.store.hits_on(self.name, ids)?)
    }

    /// The condensed (or full) timeline of a session, with its events.
    pub fn timeline(
        &self,
        session: &Session,
        budget_tokens: usize,
        full: bool,
    ) -> Result<(Timeline, Vec<Event>)> {
        let (t, events, _) = self.timeline_seen_by(session, budget_tokens, full, &|_| true)?;
        Ok((t, events))
    }

    /// The timeline as a case whose rule set holds only the rules `keep` accepts (by rule id)
    /// would show it, with its events and those rules' hits: the others' hits mark no line and
    /// keep no event from being condensed away.
    pub fn timeline_seen_by(
        &self,
        session: &Session,
        budget_tokens: usize,
        full: bool,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<(Timeline, Vec<Event>, Vec<Hit>)> {
        let events = self.session_events(session)?;
        let mut hits = self.session_hits(&events)?;
        hits.retain(|h| keep(&h.rule_id));
        let t = if full {
            timeline::full(&events, &hits)
        } else {
            timeline::condense(&events, &hits, budget_tokens)
        };
        Ok((t, events, hits))
    }
}

//! A rule detection: which rule fired on which event, with its level and ATT&CK techniques.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::event::Risk;

/// The rule's parts are shared (`Arc`): a case can hold a million hits of a few rules, and each
/// hit then costs its event id and a few pointers, not copies of the rule's strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub rule_id: Arc<str>,
    pub title: Arc<str>,
    /// The rule's Sigma level mapped onto risk (`informational` -> low).
    pub level: Risk,
    /// ATT&CK technique ids from the rule's `attack.tXXXX` tags, upper-case (`T1003.001`).
    pub techniques: Arc<[String]>,
    /// ATT&CK tactic tags (`credential-access`), lower-case as in Sigma.
    pub tactics: Arc<[String]>,
    /// Id of the event the rule matched; for a correlation, the event that completed it.
    pub event_id: String,
    /// A correlation rule's hit: every event it correlated, in time order (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

impl Hit {
    /// This rule's hit on another event (shares the rule's parts).
    pub fn on(&self, event_id: &str) -> Hit {
        Hit {
            event_id: event_id.to_string(),
            events: Vec::new(),
            ..self.clone()
        }
    }

    /// One hit per event: a correlation's hit on each event it correlated (as hits are
    /// stored, per event), any other hit as it is.
    pub fn per_event(&self) -> Vec<Hit> {
        if self.events.is_empty() {
            return vec![self.clone()];
        }
        self.events.iter().map(|e| self.on(e)).collect()
    }
}

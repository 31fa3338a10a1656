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
    /// Id of the event the rule matched.
    pub event_id: String,
}

impl Hit {
    /// This rule's hit on another event (shares the rule's parts).
    pub fn on(&self, event_id: &str) -> Hit {
        Hit {
            event_id: event_id.to_string(),
            ..self.clone()
        }
    }
}

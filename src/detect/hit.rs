//! A rule detection: which rule fired on which event, with its level and ATT&CK techniques.

use serde::{Deserialize, Serialize};

use crate::event::Risk;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub rule_id: String,
    pub title: String,
    /// The rule's Sigma level mapped onto risk (`informational` -> low).
    pub level: Risk,
    /// ATT&CK technique ids from the rule's `attack.tXXXX` tags, upper-case (`T1003.001`).
    pub techniques: Vec<String>,
    /// ATT&CK tactic tags (`credential-access`), lower-case as in Sigma.
    pub tactics: Vec<String>,
    /// Id of the event the rule matched.
    pub event_id: String,
}

//! The evaluator's inputs: ground truth per session and one method's prediction per session.
//!
//! Methods are plugged in as plain data (a list of predictions per method name), so that the
//! evaluator depends on no model, prior or rule engine.

use serde::{Deserialize, Serialize};

use crate::event::{Cause, Label, Risk};
use crate::sessions::Session;

/// What really happened in one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub session_id: String,
    /// The session's host: k-fold splits keep each host on one side.
    pub host: String,
    pub cause: Cause,
    #[serde(default)]
    pub risk: Option<Risk>,
    #[serde(default)]
    pub techniques: Vec<String>,
}

impl Truth {
    pub fn from_label(session_id: &str, host: &str, label: &Label) -> Truth {
        Truth {
            session_id: session_id.to_string(),
            host: host.to_string(),
            cause: label.cause,
            risk: label.risk,
            techniques: normalise_techniques(&label.techniques),
        }
    }

    /// The truth carried by the session's own events (labels attached at ingest), if any.
    pub fn from_session(session: &Session) -> Option<Truth> {
        session
            .label
            .as_ref()
            .map(|l| Truth::from_label(&session.id, &session.host, l))
    }

    pub fn is_malicious(&self) -> bool {
        self.cause == Cause::Malicious
    }
}

/// What one method said about one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub session_id: String,
    pub cause: Cause,
    #[serde(default)]
    pub risk: Option<Risk>,
    #[serde(default)]
    pub techniques: Vec<String>,
    /// Time the method spent on this session; feeds the cost figures only.
    #[serde(default)]
    pub latency_ms: f64,
    /// The verdict's summary checked against the session (model answers only).
    #[serde(default)]
    pub summary: Option<super::grounding::SummaryCheck>,
}

impl Prediction {
    pub fn is_malicious(&self) -> bool {
        self.cause == Cause::Malicious
    }
}

/// Upper-case, trimmed, de-duplicated technique ids in first-seen order, so that `t1003.001 `
/// and `T1003.001` count as the same answer.
pub fn normalise_techniques<S: AsRef<str>>(techniques: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(techniques.len());
    for t in techniques {
        let t = t.as_ref().trim().to_ascii_uppercase();
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The parent technique of a sub-technique (`T1003.001` -> `T1003`); a technique is its own
/// parent.
pub fn parent_technique(technique: &str) -> &str {
    technique
        .split_once('.')
        .map_or(technique, |(parent, _)| parent)
}

/// Splits a technique list written in a labels file: commas, semicolons, bars or spaces.
pub fn split_techniques(field: &str) -> Vec<String> {
    let parts: Vec<&str> = field
        .split([',', ';', '|', ' '])
        .filter(|p| !p.trim().is_empty())
        .collect();
    normalise_techniques(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn techniques_are_normalised_and_deduplicated() {
        assert_eq!(
            split_techniques(" t1003.001, T1003.001;T1059 | "),
            vec!["T1003.001", "T1059"]
        );
        assert_eq!(parent_technique("T1003.001"), "T1003");
        assert_eq!(parent_technique("T1003"), "T1003");
    }

    #[test]
    fn truth_from_label_keeps_cause_risk_and_techniques() {
        let label: Label = "malicious:t1003.001".parse().unwrap();
        let t = Truth::from_label("s1", "WS01", &label);
        assert!(t.is_malicious());
        assert_eq!(t.techniques, vec!["T1003.001"]);
        assert_eq!(t.risk, None);
    }
}

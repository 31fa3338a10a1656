//! The review queue: sessions that need a human, one at a time, with the decisions taken so
//! far (for progress and undo).

use super::assess::AssessEntry;
use crate::event::{Cause, Risk};
use crate::sessions::Session;
use crate::store::Correction;

/// Why a session is in the queue, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Rules and model disagree (or the combination overrode the model).
    Disagreement,
    /// No model verdict, or the model was unsure.
    LowConfidence,
    Unreviewed,
}

impl Reason {
    pub fn text(self) -> &'static str {
        match self {
            Reason::Disagreement => "rules and model disagree",
            Reason::LowConfidence => "low confidence",
            Reason::Unreviewed => "not reviewed yet",
        }
    }
}

/// The reason an unreviewed session needs a human (reviewed sessions need none).
pub fn reason(s: &Session, a: Option<&AssessEntry>, latest: Option<&Correction>) -> Option<Reason> {
    if latest.is_some() {
        return None;
    }
    let Some(assessment) = a.and_then(|a| a.assessment.as_ref()) else {
        return Some(Reason::LowConfidence);
    };
    let v = &assessment.verdict;
    let rules = s.max_rule_level();
    let model = assessment.model_verdict.as_ref();
    let disagree = (rules >= Some(Risk::High)
        && model.is_some_and(|m| m.cause == Cause::Legitimate))
        || (model.is_some_and(|m| m.cause == Cause::Malicious && m.risk_level >= Risk::High)
            && rules.is_none())
        || !assessment.adjustments.is_empty();
    if disagree {
        return Some(Reason::Disagreement);
    }
    let unsure = ["low", "unlikely", "possible", "unknown", "uncertain"];
    let likelihood = v.likelihood.to_lowercase();
    if model.is_none() || unsure.iter().any(|w| likelihood.contains(w)) {
        return Some(Reason::LowConfidence);
    }
    Some(Reason::Unreviewed)
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewItem {
    pub session_id: String,
    pub reason: Reason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    Accepted,
    Corrected,
    Skipped,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub pos: usize,
    pub kind: DecisionKind,
    /// The correction in force before this decision (restored by undo).
    pub previous: Option<Correction>,
    /// The store request that recorded it (None for skips).
    pub request: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct ReviewState {
    pub queue: Vec<ReviewItem>,
    pub pos: usize,
    pub decisions: Vec<Decision>,
    /// A correction form opened from the queue: its save advances the queue.
    pub correcting: Option<usize>,
    /// Saves undone before they were confirmed: their late results must not count.
    pub undone: std::collections::HashSet<u64>,
}

impl ReviewState {
    pub fn current(&self) -> Option<&ReviewItem> {
        self.queue.get(self.pos)
    }
    /// Accepted or corrected, net of undos.
    pub fn reviewed(&self) -> usize {
        self.decisions
            .iter()
            .filter(|d| d.kind != DecisionKind::Skipped)
            .count()
    }
    /// Skipped, net of undos.
    pub fn skipped(&self) -> usize {
        self.decisions.len() - self.reviewed()
    }
    pub fn finished(&self) -> bool {
        self.pos >= self.queue.len()
    }
}
